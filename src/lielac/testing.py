"""Checks users run on their own models: invariance and equivariance errors under a group.

The errors are relative: ``|f(g.x) - f(x)| / |f(x)|`` (invariance) and
``|f(g.x) - g.f(x)| / |g.f(x)|`` (equivariance), per input, for random group elements
``g = exp(a)`` with coordinates drawn per generator.
"""

from __future__ import annotations

from typing import Callable

import torch

from lielac._checks import check_batch
from lielac.groups.base import LieGroup

__all__ = [
    "invariance_error",
    "equivariance_error",
    "prediction_agreement",
    "assert_invariant",
    "assert_equivariant",
]


def _elements(group: LieGroup, batch: int, scale, seed: int, distribution: str, dtype, device):
    generator = torch.Generator().manual_seed(seed)
    return group.random(
        batch, scale, generator=generator, distribution=distribution, dtype=dtype, device=device
    )


def _relative(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    diff = (a - b).flatten(1).norm(dim=1)
    return diff / b.flatten(1).norm(dim=1).clamp_min(1e-12)


def invariance_error(
    f: Callable, group: LieGroup, action: Callable, x: torch.Tensor, *,
    scale: float | torch.Tensor = 0.2, seed: int = 0, distribution: str = "uniform",
) -> torch.Tensor:
    """(B,) relative invariance error of ``f`` at inputs ``x`` under one random g per input.

    Args:
        f: the model; maps a batch to a batch.
        group, action: the group and its action on the inputs.
        x: a batch of inputs (leading axis B).
        scale: spread of the coordinates of g (scalar or (k,)); see ``LieGroup.random``.
    """
    check_batch(x, "x")
    g = _elements(group, x.shape[0], scale, seed, distribution, x.dtype, x.device)
    with torch.no_grad():
        return _relative(f(action(g, x)), f(x))


def equivariance_error(
    f: Callable, group: LieGroup, input_action: Callable, output_action: Callable,
    x: torch.Tensor, *, scale: float | torch.Tensor = 0.2, seed: int = 0,
    distribution: str = "uniform",
) -> torch.Tensor:
    """(B,) relative equivariance error ``|f(g.x) - g.f(x)| / |g.f(x)|``."""
    check_batch(x, "x")
    g = _elements(group, x.shape[0], scale, seed, distribution, x.dtype, x.device)
    with torch.no_grad():
        return _relative(f(input_action(g, x)), output_action(g, f(x)))


def prediction_agreement(
    f: Callable, group: LieGroup, action: Callable, x: torch.Tensor, *,
    scale: float | torch.Tensor = 0.2, seed: int = 0, distribution: str = "uniform",
) -> float:
    """Fraction of inputs whose predicted class (argmax of ``f``) is unchanged by g."""
    check_batch(x, "x")
    g = _elements(group, x.shape[0], scale, seed, distribution, x.dtype, x.device)
    with torch.no_grad():
        same = f(action(g, x)).argmax(dim=1) == f(x).argmax(dim=1)
    return float(same.float().mean())


def _report(kind: str, errors: torch.Tensor, rtol: float) -> None:
    bad = (errors > rtol).nonzero().flatten()
    if bad.numel() == 0:
        return
    rows = "\n".join(f"  input {int(i):>5d}   error {float(errors[i]):.3e}" for i in bad[:10])
    more = f"\n  ... and {bad.numel() - 10} more" if bad.numel() > 10 else ""
    raise AssertionError(
        f"{kind} error above rtol={rtol:.1e} for {bad.numel()} of {errors.numel()} inputs "
        f"(max {float(errors.max()):.3e}, mean {float(errors.mean()):.3e}):\n{rows}{more}"
    )


def assert_invariant(
    f: Callable, group: LieGroup, action: Callable, x: torch.Tensor, *,
    rtol: float = 1e-3, **kwargs,
) -> torch.Tensor:
    """Raise ``AssertionError`` with a table of failing inputs unless every relative
    invariance error is at most ``rtol``; returns the (B,) errors otherwise."""
    errors = invariance_error(f, group, action, x, **kwargs)
    _report("invariance", errors, rtol)
    return errors


def assert_equivariant(
    f: Callable, group: LieGroup, input_action: Callable, output_action: Callable,
    x: torch.Tensor, *, rtol: float = 1e-3, **kwargs,
) -> torch.Tensor:
    """Like :func:`assert_invariant` for ``f(g.x) = g.f(x)``."""
    errors = equivariance_error(f, group, input_action, output_action, x, **kwargs)
    _report("equivariance", errors, rtol)
    return errors
