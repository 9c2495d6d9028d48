"""A learned image energy that measures how far an input sits from canonical pose.

``PoseEnergy`` is a small smooth CNN trained on clean examples ``x`` and their moved copies
``exp(a) . x`` to estimate the scaled coordinates ``a_i / r_i`` of the move (``r_i``: the
training range of generator i); the energy is the squared norm of that estimate. Clean inputs
get the lowest energy, the energy grows along every generator (no flat regions along the
orbit, the failure mode of a plain reconstruction energy), and its gradient in the Lie
algebra points back towards the training distribution's pose. It plays the role of the
paper's VAE energy with its adversarial regulariser (which also raises the energy of
transformed training inputs), but is trained directly for what the descent needs: a
scalar-distance target alone carries too little signal for a small network to pick up, the
k-dimensional estimate trains quickly.

Limitations: the energy knows only the moves it was trained with; outside the box
``|a_i| <= r_i`` it extrapolates, so pair it with a prior that keeps the search inside.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from lielac._checks import check_images
from lielac.groups.base import LieGroup, random_coordinates
from lielac.training import fit

__all__ = ["PoseCorrection", "PoseEnergy", "train_pose_energy"]


class PoseEnergy(nn.Module):
    """(B, 1, H, W) images -> (B,) energies ``|pose(x)|^2``; a smooth CNN (SiLU, average
    pooling) whose ``pose`` head estimates (B, k) scaled algebra coordinates.

    Args:
        dim: k, the dimension of the group the energy is trained for.
        width: channels of the first convolution (doubled twice).
    """

    def __init__(self, dim: int, width: int = 16):
        super().__init__()
        self.dim = dim
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.SiLU(), nn.AvgPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.SiLU(), nn.AvgPool2d(2),
            nn.Conv2d(2 * width, 4 * width, 3, padding=1), nn.SiLU(),
            nn.AdaptiveAvgPool2d(5), nn.Flatten(),
            nn.Linear(4 * width * 25, 64), nn.SiLU(), nn.Linear(64, dim),
        )

    def pose(self, images: torch.Tensor) -> torch.Tensor:
        """(B, k) estimate of the scaled coordinates that moved ``images`` off canonical."""
        return self.net(images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.pose(images).pow(2).sum(dim=1)


def train_pose_energy(
    energy: PoseEnergy,
    images: torch.Tensor,
    group: LieGroup,
    action: Callable,
    ranges: torch.Tensor,
    *,
    init: Callable | None = None,
    view: Callable | None = None,
    epochs: int = 3,
    batch_size: int = 128,
    lr: float = 2e-3,
    seed: int = 0,
    progress: bool = False,
) -> PoseEnergy:
    """Fit ``energy.pose`` to the scaled coordinates of randomly moved clean images.

    Each batch draws coordinates ``a`` uniform in ``[-ranges, ranges]`` (a quarter of the
    draws shrunk tenfold, so the clean pose is well sampled) and trains on
    ``action(exp(a) g0(x), view(x))`` with target ``a / ranges``, where ``g0 = init(x)`` is
    the same starting element the canonicalizer uses.

    Args:
        energy: the network to train (in place).
        images: (N, C, H, W) clean training images.
        group, action: the group and its action (e.g. a warp to the energy's resolution).
        ranges: (k,) positive half-widths of the coordinate box.
        init, view: as in :class:`lielac.Canonicalizer`.
    """
    check_images(images, "images")
    if energy.dim != group.dim:
        raise ValueError(f"energy: expected a pose head of width {group.dim}, got {energy.dim}")
    ranges = torch.as_tensor(ranges, dtype=images.dtype)
    if ranges.shape != (group.dim,) or not (ranges > 0).all():
        raise ValueError(
            f"ranges: expected a ({group.dim},) tensor of positive half-widths, got {ranges}"
        )
    with torch.no_grad():  # the view and the start depend only on the image: compute once
        seen = view(images) if view is not None else images
        g0 = init(images) if init is not None else group.identity(
            images.shape[0], dtype=images.dtype)

    def batch_loss(index: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        n = index.shape[0]
        a = random_coordinates(n, group.dim, ranges, generator=generator, dtype=images.dtype)
        a[torch.rand(n, generator=generator) < 0.25] *= 0.1
        with torch.no_grad():
            moved = action(group.compose(group.exp(a), group.select(g0, index)), seen[index])
        return nn.functional.mse_loss(energy.pose(moved), a / ranges)

    fit(energy, images.shape[0], batch_loss, epochs=epochs, batch_size=batch_size, lr=lr,
        seed=seed, desc="train energy", progress=progress)
    for p in energy.parameters():
        p.requires_grad_(False)
    return energy


class PoseCorrection:
    """A starting element from the pose estimate: ``g <- exp(-sum_i r_i p_i A_i) g``.

    ``p = energy.pose(action(g, view(x)))`` estimates the scaled coordinates of the move
    that took ``x`` off canonical pose, so one such step is a Gauss-Newton step on the
    energy ``|p|^2`` (its Jacobian along generator i is about ``1 / r_i`` by training). Use it
    as ``init`` of a :class:`lielac.Canonicalizer`; the descent then refines it, or, with
    ``steps=0`` descent steps, the corrected element is the canonicalizing one.

    Args:
        energy: a trained :class:`PoseEnergy`.
        group, action, view: as the energy was trained with.
        ranges: (k,) half-widths the energy was trained with.
        init: the element the correction starts from (default: identity).
        steps: number of correction steps.
    """

    def __init__(self, energy: PoseEnergy, group: LieGroup, action: Callable,
                 ranges: torch.Tensor, *, init: Callable | None = None,
                 view: Callable | None = None, steps: int = 1):
        if steps < 0:
            raise ValueError(f"steps: expected a non-negative int, got {steps}")
        self.energy, self.group, self.action = energy, group, action
        self.ranges = torch.as_tensor(ranges)
        self.init, self.view, self.steps = init, view, steps

    def __call__(self, x: torch.Tensor):
        batch = x.shape[0]
        g = self.init(x) if self.init is not None else self.group.identity(
            batch, dtype=x.dtype, device=x.device)
        seen = self.view(x) if self.view is not None else x
        with torch.no_grad():
            for _ in range(self.steps):
                a = self.energy.pose(self.action(g, seen)) * self.ranges.to(x.dtype)
                g = self.group.compose(self.group.exp(-a), g)
        return g
