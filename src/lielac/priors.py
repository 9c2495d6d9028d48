"""Priors (penalties) on group elements for weighted canonicalization of non-compact groups.

A prior is any callable ``prior(g) -> (B,)`` added to the energy. On a non-compact group the
energy's infimum may lie at the edge of an orbit (an image shrunk to a point has little
energy); a prior that grows along the non-compact directions keeps the minimiser finite.
"""

from __future__ import annotations

import torch

from lielac.groups.matrix import MatrixLieGroup

__all__ = ["CoordinatePenalty"]


class CoordinatePenalty:
    """Quadratic penalty ``sum_i w_i a_i^2`` on the algebra coordinates ``a = log(g)``.

    Args:
        group: a :class:`lielac.groups.MatrixLieGroup` (coordinates from its ``log``).
        weights: scalar or (k,) tensor of non-negative weights; 0 leaves a generator free.

    Example:
        >>> import torch
        >>> from lielac import groups
        >>> prior = CoordinatePenalty(groups.affine(), torch.tensor([0, 0, 1, 1, 1, 1.]))
        >>> prior(groups.affine().identity(2))
        tensor([0., 0.])
    """

    def __init__(self, group: MatrixLieGroup, weights: float | torch.Tensor):
        if not isinstance(group, MatrixLieGroup):
            raise TypeError(f"group: expected a MatrixLieGroup, got {type(group).__name__}")
        weights = torch.as_tensor(weights, dtype=torch.get_default_dtype())
        if weights.ndim == 0:
            weights = weights.expand(group.dim)
        if weights.shape != (group.dim,):
            raise ValueError(
                f"weights: expected a scalar or a ({group.dim},) tensor, got "
                f"{tuple(weights.shape)}"
            )
        if (weights < 0).any() or not torch.isfinite(weights).all():
            raise ValueError("weights: expected finite non-negative weights")
        self.group = group
        self.weights = weights

    def __call__(self, g: torch.Tensor) -> torch.Tensor:
        a = self.group.log(g)
        return (a * a * self.weights.to(dtype=a.dtype, device=a.device)).sum(dim=1)
