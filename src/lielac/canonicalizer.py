"""Canonicalization: move each input to the group element of lowest energy on its orbit.

``g*(x) = argmin_g E(g . x) + P(g)``, searched over the Lie algebra from several starting
points at once (inputs x restarts in one batch); the lowest objective wins per input.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any, Callable

import torch

from lielac._checks import check_batch
from lielac.descent import SCHEMES, descend
from lielac.groups.base import LieGroup, random_coordinates

__all__ = ["Canonicalization", "Canonicalizer"]

logger = logging.getLogger(__name__)


@dataclass
class Canonicalization:
    """The result of canonicalizing a batch of B inputs.

    Attributes:
        x: canonical inputs ``action(g, inputs)`` (made with the canonicalizer's
            ``final_action``), same shape as the inputs.
        g: the chosen group elements, batch B ((B, n, n) for matrix groups).
        energy: (B,) objective ``E(g . x) + P(g)`` at ``g``, as seen by the descent.
        restart_energies: (B, R) best objective reached from each of the R starts.
    """

    x: torch.Tensor
    g: Any
    energy: torch.Tensor
    restart_energies: torch.Tensor


class Canonicalizer:
    """Finds canonical forms of inputs by multi-start descent on a Lie group.

    Args:
        group: a :class:`lielac.groups.LieGroup` (e.g. ``lielac.groups.affine()``).
        action: ``action(g, x)`` moves a batch ``x`` by the elements ``g`` (e.g.
            :class:`lielac.actions.ImageWarp`).
        energy: maps a batch to a (B,) tensor; low on canonical inputs. May be an
            ``nn.Module``; its parameters are never updated here.
        scheme: ``"retraction"``, ``"algebra"`` or ``"coordinate"`` (see
            :mod:`lielac.descent`).
        steps: descent iterations (sweeps for ``"coordinate"``).
        lr: Adam step size (``"retraction"``, ``"algebra"``) or initial flow time of the
            coordinate line search.
        restarts: extra starting points besides the unmoved start; each is
            ``exp(a_r) g0(x)`` with ``a_r`` drawn once per call from ``restart_distribution``
            with per-generator ``restart_scale``, the same for every input.
        restart_scale: scalar or (k,) tensor; spread of the restart coordinates.
        restart_distribution: ``"normal"`` or ``"uniform"``.
        prior: optional ``prior(g) -> (B,)`` penalty added to the energy (the weighted
            canonicalization needed for non-compact groups); see :mod:`lielac.priors`.
        init: optional ``init(x) -> g0`` giving a starting element per input (default: the
            identity).
        final_action: action used to produce :attr:`Canonicalization.x` from the original
            inputs (e.g. a higher-order interpolation); default ``action``.
        view: optional map applied once to the inputs before the search (e.g. a low-pass
            filter against aliasing); the search moves ``view(x)``, while the canonical
            inputs are ``final_action(g, x)`` of the original inputs.
        seed: seed of the restart draw; equal seeds give equal results.
        chunk_size: canonicalize at most this many inputs at a time (memory bound).

    Example:
        >>> import torch
        >>> from lielac import Canonicalizer, groups
        >>> from lielac.actions import ImageWarp
        >>> template = torch.zeros(1, 1, 16, 16); template[..., 6:10, 6:10] = 1
        >>> energy = lambda y: ((y - template) ** 2).flatten(1).sum(1)
        >>> canon = Canonicalizer(groups.translation(), ImageWarp(), energy, steps=40, lr=0.05)
        >>> result = canon(template.roll(2, dims=-1))
        >>> result.g.shape
        torch.Size([1, 3, 3])
    """

    def __init__(
        self,
        group: LieGroup,
        action: Callable,
        energy: Callable,
        *,
        scheme: str = "retraction",
        steps: int = 50,
        lr: float = 0.05,
        restarts: int = 0,
        restart_scale: float | torch.Tensor = 0.5,
        restart_distribution: str = "normal",
        prior: Callable | None = None,
        init: Callable | None = None,
        final_action: Callable | None = None,
        seed: int = 0,
        chunk_size: int | None = None,
        view: Callable | None = None,
    ):
        if not isinstance(group, LieGroup):
            raise TypeError(f"group: expected a lielac LieGroup, got {type(group).__name__}")
        for name, fn in (("action", action), ("energy", energy)):
            if not callable(fn):
                raise TypeError(f"{name}: expected a callable, got {type(fn).__name__}")
        if scheme not in SCHEMES:
            raise ValueError(
                f"unknown descent scheme {scheme!r}; expected one of {sorted(SCHEMES)}"
            )
        if not isinstance(steps, int) or steps < 0:
            raise ValueError(f"steps: expected a non-negative int, got {steps!r}")
        if not isinstance(restarts, int) or restarts < 0:
            raise ValueError(f"restarts: expected a non-negative int, got {restarts!r}")
        if not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
            raise ValueError(f"lr: expected a positive finite step size, got {lr!r}")
        if chunk_size is not None and chunk_size < 1:
            raise ValueError(f"chunk_size: expected a positive int or None, got {chunk_size!r}")
        # Validates shape and distribution name once, at construction.
        random_coordinates(1, group.dim, restart_scale, distribution=restart_distribution)

        self.group = group
        self.action = action
        self.energy = energy
        self.scheme = scheme
        self.steps = steps
        self.lr = lr
        self.restarts = restarts
        self.restart_scale = restart_scale
        self.restart_distribution = restart_distribution
        self.prior = prior
        self.init = init
        self.final_action = final_action or action
        self.seed = seed
        self.chunk_size = chunk_size
        self.view = view

    def __repr__(self) -> str:
        return (
            f"Canonicalizer(group={self.group!r}, scheme={self.scheme!r}, steps={self.steps}, "
            f"lr={self.lr}, restarts={self.restarts})"
        )

    def objective(self, g, x: torch.Tensor) -> torch.Tensor:
        """``E(g . x) + P(g)`` as an (N,) tensor for N elements and N inputs."""
        value = self.energy(self.action(g, x))
        if not isinstance(value, torch.Tensor) or value.shape != (x.shape[0],):
            got = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
            raise ValueError(f"energy: expected a ({x.shape[0]},) tensor, got {got}")
        if self.prior is not None:
            penalty = self.prior(g)
            if not isinstance(penalty, torch.Tensor) or penalty.shape != (x.shape[0],):
                got = (tuple(penalty.shape) if isinstance(penalty, torch.Tensor)
                       else type(penalty).__name__)
                raise ValueError(f"prior: expected a ({x.shape[0]},) tensor, got {got}")
            value = value + penalty
        return value

    def apply(self, g, x: torch.Tensor) -> torch.Tensor:
        """Move inputs by given elements with the final action: ``final_action(g, x)``."""
        return self.final_action(g, x)

    def restart_coordinates(self, dtype=torch.float32) -> torch.Tensor:
        """The (R, k) algebra coordinates of the starts; row 0 is the unmoved start."""
        generator = torch.Generator().manual_seed(self.seed)
        draws = random_coordinates(
            self.restarts, self.group.dim, self.restart_scale,
            generator=generator, distribution=self.restart_distribution, dtype=dtype,
        )
        return torch.cat([torch.zeros(1, self.group.dim, dtype=dtype), draws])

    def __call__(self, x: torch.Tensor) -> Canonicalization:
        """Canonicalize a batch ``x`` (leading axis B); see :class:`Canonicalization`."""
        check_batch(x, "x")
        size = self.chunk_size or x.shape[0]
        parts = [self._canonicalize(x[i:i + size]) for i in range(0, x.shape[0], size)]
        if len(parts) == 1:
            return parts[0]
        return Canonicalization(
            x=torch.cat([p.x for p in parts]),
            g=_concat(self.group, [p.g for p in parts]),
            energy=torch.cat([p.energy for p in parts]),
            restart_energies=torch.cat([p.restart_energies for p in parts]),
        )

    def _canonicalize(self, x: torch.Tensor) -> Canonicalization:
        batch = x.shape[0]
        dtype = x.dtype if x.is_floating_point() else torch.get_default_dtype()
        starts = self.restart_coordinates(dtype).to(x.device)
        n_starts = starts.shape[0]

        with torch.no_grad():
            g0 = self.init(x) if self.init is not None else self.group.identity(
                batch, dtype=dtype, device=x.device
            )
            if isinstance(g0, torch.Tensor) and hasattr(self.group, "n"):
                n = self.group.n
                if g0.shape != (batch, n, n):
                    raise ValueError(
                        f"init: expected ({batch}, {n}, {n}) starting elements, got "
                        f"{tuple(g0.shape)}"
                    )
            if self.group.batch_size(g0) != batch:
                raise ValueError(
                    f"init: expected {batch} starting elements, got {self.group.batch_size(g0)}"
                )
            # Entry b * R + r holds input b with start r.
            rep = torch.arange(batch, device=x.device).repeat_interleave(n_starts)
            x_rep = (self.view(x) if self.view is not None else x)[rep]
            g_start = self.group.compose(
                self.group.exp(starts.repeat(batch, 1)), self.group.select(g0, rep)
            )

        g, value = descend(
            self.scheme, lambda h: self.objective(h, x_rep), self.group, g_start,
            self.steps, self.lr,
        )
        value = value.reshape(batch, n_starts)
        if not torch.isfinite(value).any(dim=1).all():
            raise ValueError(
                "energy: no start reached a finite objective for some inputs; check the energy "
                "and the action on these inputs"
            )
        best = value.argmin(dim=1)
        chosen = torch.arange(batch, device=x.device) * n_starts + best
        g_best = self.group.select(g, chosen)
        if isinstance(g_best, torch.Tensor):
            g_best = g_best.detach()
        return Canonicalization(
            x=self.apply(g_best, x),
            g=g_best,
            energy=value.gather(1, best[:, None])[:, 0],
            restart_energies=value,
        )


def _concat(group: LieGroup, parts: list):
    if isinstance(parts[0], torch.Tensor):
        return torch.cat(parts)
    if hasattr(group, "cat"):
        return group.cat(parts)
    raise TypeError(
        f"{type(group).__name__} elements are not tensors; define cat(parts) to use chunk_size"
    )
