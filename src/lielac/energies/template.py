"""Template matching: the simplest energy, the squared distance to one reference input."""

from __future__ import annotations

import torch
from torch import nn

from lielac._checks import check_batch


class TemplateEnergy(nn.Module):
    """``E(x) = mean((x - template)^2)`` per batch entry.

    Args:
        template: one input without batch axis, e.g. a (C, H, W) image.
    """

    def __init__(self, template: torch.Tensor):
        super().__init__()
        if not isinstance(template, torch.Tensor):
            raise TypeError(f"template: expected a torch.Tensor, got {type(template).__name__}")
        check_batch(template[None], "template")
        self.register_buffer("template", template[None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1:] != self.template.shape[1:]:
            raise ValueError(
                f"x: expected inputs of shape (B, {', '.join(map(str, self.template.shape[1:]))})"
                f", got {tuple(x.shape)}"
            )
        return ((x - self.template) ** 2).flatten(1).mean(dim=1)
