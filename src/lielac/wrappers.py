"""Wrappers that turn a trained model into an invariant or equivariant one."""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from lielac.canonicalizer import Canonicalization, Canonicalizer

__all__ = ["Invariant", "Equivariant"]


class Invariant(nn.Module):
    """``f(x) = model(g*(x) . x)``: invariant wherever the canonical form is.

    The search for ``g*`` runs without gradients; the final move of ``x`` by ``g*`` and the
    model stay differentiable in ``x``. The last canonicalization is kept in
    :attr:`last` for inspection.

    Args:
        model: the trained model; takes canonical inputs.
        canonicalizer: a :class:`lielac.Canonicalizer`.
    """

    def __init__(self, model: Callable, canonicalizer: Canonicalizer):
        super().__init__()
        if not isinstance(canonicalizer, Canonicalizer):
            raise TypeError(
                f"canonicalizer: expected a lielac Canonicalizer, got "
                f"{type(canonicalizer).__name__}"
            )
        self.model = model
        self.canonicalizer = canonicalizer
        self.last: Canonicalization | None = None

    def canonicalize(self, x: torch.Tensor) -> Canonicalization:
        with torch.no_grad():
            self.last = self.canonicalizer(x)
        return self.last

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result = self.canonicalize(x)
        return self.model(self.canonicalizer.apply(result.g, x))


class Equivariant(Invariant):
    """``f(x) = g*(x)^{-1} . model(g*(x) . x)`` for models whose outputs the group moves.

    Args:
        model: the trained model (e.g. a neural solution operator).
        canonicalizer: a :class:`lielac.Canonicalizer`.
        output_action: ``output_action(g, y)`` moves a batch of model outputs by ``g``.
    """

    def __init__(self, model: Callable, canonicalizer: Canonicalizer, output_action: Callable):
        super().__init__(model, canonicalizer)
        if not callable(output_action):
            raise TypeError(
                f"output_action: expected a callable, got {type(output_action).__name__}"
            )
        self.output_action = output_action

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result = self.canonicalize(x)
        y = self.model(self.canonicalizer.apply(result.g, x))
        return self.output_action(self.canonicalizer.group.inverse(result.g), y)
