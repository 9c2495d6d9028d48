"""The three descent schemes of Lie algebra canonicalization, on batches of group elements.

Each scheme minimises an objective ``J(g)`` (energy of the moved input plus prior) over a
batch of group elements, starting from ``g_start``, and returns the lowest-objective element
it visited for every batch entry. All schemes are batched: entries never interact.

* ``"retraction"``: global retraction; Adam on coordinates ``a`` with ``g = exp(a) g_start``,
  gradients by autodiff through the exponential.
* ``"algebra"``: Lie-algebra descent; left updates ``g <- exp(-eta sum_i d_i A_i) g`` where
  ``xi_i = dJ(exp(eps A_i) g)/d eps`` at ``eps = 0`` and ``d`` is the Adam-normalised ``xi``.
* ``"coordinate"``: coordinate Lie-algebra descent; one generator at a time,
  ``g <- exp(s A_i) g``, with ``s`` from a three-point parabolic line search. It needs only
  the one-parameter flows and objective values (no gradients), so it serves groups known
  only by their flows and energies that are not differentiable.
"""

from __future__ import annotations

import logging
from typing import Callable

import torch

from lielac.groups.base import LieGroup

__all__ = ["SCHEMES", "descend"]

logger = logging.getLogger(__name__)

Objective = Callable[[object], torch.Tensor]


class _Adam:
    """Element-wise Adam step on (N, k) gradients; rows stay independent."""

    def __init__(self, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        self.lr, self.betas, self.eps = lr, betas, eps
        self.m = self.v = None
        self.t = 0

    def step(self, grad: torch.Tensor) -> torch.Tensor:
        b1, b2 = self.betas
        if self.m is None:
            self.m = torch.zeros_like(grad)
            self.v = torch.zeros_like(grad)
        self.t += 1
        self.m = b1 * self.m + (1 - b1) * grad
        self.v = b2 * self.v + (1 - b2) * grad * grad
        m_hat = self.m / (1 - b1**self.t)
        v_hat = self.v / (1 - b2**self.t)
        return self.lr * m_hat / (v_hat.sqrt() + self.eps)


class _Best:
    """Tracks, per batch entry, the lowest objective seen and the element that gave it."""

    def __init__(self, group: LieGroup, g, value: torch.Tensor):
        self.group = group
        self.g = g
        self.value = _finite_or_inf(value.detach())

    def update(self, g, value: torch.Tensor) -> None:
        value = _finite_or_inf(value.detach())
        better = value < self.value
        if better.any():
            self.g = _where(self.group, better, g, self.g)
            self.value = torch.where(better, value, self.value)


class _FlatGradient:
    """Notices a search whose gradient was exactly zero at every step: that means the energy
    does not depend on the element (a broken action or group), not a converged search."""

    def __init__(self, scheme: str):
        self.scheme = scheme
        self.moved = False

    def see(self, grad: torch.Tensor) -> None:
        self.moved = self.moved or bool((grad != 0).any())

    def report(self, steps: int) -> None:
        if steps > 0 and not self.moved:
            logger.warning(
                "%s descent: the energy gradient was exactly zero at every step; the energy "
                "does not depend on the group element (check the action and the group)",
                self.scheme,
            )


def _finite_or_inf(value: torch.Tensor) -> torch.Tensor:
    return torch.where(torch.isfinite(value), value, torch.full_like(value, float("inf")))


def _where(group: LieGroup, mask: torch.Tensor, g_true, g_false):
    """Batch-wise choice between two batches of elements (mask: (N,) bool)."""
    if isinstance(g_true, torch.Tensor):
        shape = (-1,) + (1,) * (g_true.ndim - 1)
        return torch.where(mask.reshape(shape), g_true.detach(), g_false)
    if hasattr(group, "where"):
        return group.where(mask, g_true, g_false)
    raise TypeError(
        f"{type(group).__name__} elements are not tensors; the group must define "
        "where(mask, g_true, g_false) to be used with lielac descent"
    )


def _grad(objective: Objective, param: torch.Tensor, make_g) -> tuple[torch.Tensor, torch.Tensor]:
    """Objective values and their gradient with respect to ``param`` (non-finite rows -> 0)."""
    with torch.enable_grad():
        param = param.detach().requires_grad_(True)
        value = objective(make_g(param))
        if not value.requires_grad:  # an energy that ignores the element: nothing to follow
            return value.detach(), torch.zeros_like(param)
        (grad,) = torch.autograd.grad(value.sum(), param)
    grad = torch.where(torch.isfinite(grad), grad, torch.zeros_like(grad))
    return value.detach(), grad


def retraction(objective: Objective, group: LieGroup, g_start, steps: int, lr: float):
    """Adam on coordinates ``a`` of ``g = exp(a) g_start``; returns (best g, best J)."""
    n = group.batch_size(g_start)
    dtype = _dtype_of(g_start)
    a = torch.zeros(n, group.dim, dtype=dtype, device=_device_of(g_start))
    make_g = lambda p: group.compose(group.exp(p), g_start)  # noqa: E731
    adam = _Adam(lr)
    best = None
    flat = _FlatGradient("retraction")
    for _ in range(steps):
        value, grad = _grad(objective, a, make_g)
        flat.see(grad)
        with torch.no_grad():
            g = make_g(a)
        if best is None:
            best = _Best(group, g, value)
        else:
            best.update(g, value)
        a = a - adam.step(grad)
    flat.report(steps)
    with torch.no_grad():
        g = make_g(a)
        value = objective(g)
    if best is None:
        return g, _finite_or_inf(value)
    best.update(g, value)
    return best.g, best.value


def algebra(objective: Objective, group: LieGroup, g_start, steps: int, lr: float):
    """Left Lie-algebra descent ``g <- exp(-eta d) g``; returns (best g, best J)."""
    n = group.batch_size(g_start)
    eps = torch.zeros(n, group.dim, dtype=_dtype_of(g_start), device=_device_of(g_start))
    adam = _Adam(lr)
    g = g_start
    best = None
    flat = _FlatGradient("algebra")
    for _ in range(steps):
        current = g
        value, xi = _grad(objective, eps, lambda e: group.compose(group.exp(e), current))
        flat.see(xi)
        best = _Best(group, g, value) if best is None else best
        best.update(g, value)
        with torch.no_grad():
            g = group.compose(group.exp(-adam.step(xi)), g)
    flat.report(steps)
    with torch.no_grad():
        value = objective(g)
    if best is None:
        return g, _finite_or_inf(value)
    best.update(g, value)
    return best.g, best.value


def coordinate(objective: Objective, group: LieGroup, g_start, steps: int, lr: float):
    """Coordinate descent along one flow at a time; ``steps`` sweeps over all generators.

    For generator i the objective is sampled at flow times ``-delta_i, 0, +delta_i``; the
    minimiser of the parabola through them (clipped to ``[-2 delta_i, 2 delta_i]``) is tried
    too, and the best of the four is kept. ``delta_i`` starts at ``lr``, grows by 1.5 after
    a move and halves when no move helps, per batch entry.
    """
    n = group.batch_size(g_start)
    dtype, device = _dtype_of(g_start), _device_of(g_start)
    delta = torch.full((n, group.dim), lr, dtype=dtype, device=device)
    with torch.no_grad():
        g = g_start
        value = _finite_or_inf(objective(g))
        for _ in range(steps):
            for i in range(group.dim):
                d = delta[:, i]
                g_plus = group.compose(group.flow(i, d), g)
                g_minus = group.compose(group.flow(i, -d), g)
                e_plus = _finite_or_inf(objective(g_plus))
                e_minus = _finite_or_inf(objective(g_minus))

                curvature = e_plus + e_minus - 2 * value
                s = d * (e_minus - e_plus) / (2 * curvature.clamp_min(1e-12))
                s = torch.where(curvature > 0, s, torch.zeros_like(s)).clamp(-2 * d, 2 * d)
                g_para = group.compose(group.flow(i, s), g)
                e_para = _finite_or_inf(objective(g_para))

                candidates = torch.stack([value, e_plus, e_minus, e_para], dim=1)
                choice = candidates.argmin(dim=1)
                times = torch.stack([torch.zeros_like(d), d, -d, s], dim=1)
                step = times.gather(1, choice[:, None])[:, 0]
                # One flow per generator and sweep (time 0 where no move helped), so
                # elements that are words of flows keep one structure across the batch.
                g = group.compose(group.flow(i, step), g)
                value = candidates.gather(1, choice[:, None])[:, 0]
                delta[:, i] = torch.where(choice == 0, d * 0.5, d * 1.5)
    return g, value


SCHEMES: dict[str, Callable] = {
    "retraction": retraction,
    "algebra": algebra,
    "coordinate": coordinate,
}


def descend(scheme: str, objective: Objective, group: LieGroup, g_start, steps: int, lr: float):
    """Run the named scheme; returns ``(g, J)`` with the best element and objective per entry.

    Args:
        scheme: one of ``"retraction"``, ``"algebra"``, ``"coordinate"``.
        objective: maps a batch of N elements to an (N,) tensor of objective values.
        group: the group the elements belong to.
        g_start: N starting elements.
        steps: iterations (sweeps over all generators for ``"coordinate"``).
        lr: Adam step size, or the initial flow time of the coordinate line search.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown descent scheme {scheme!r}; expected one of {sorted(SCHEMES)}")
    return SCHEMES[scheme](objective, group, g_start, steps, lr)


def _dtype_of(g) -> torch.dtype:
    if isinstance(g, torch.Tensor):
        return g.dtype
    return getattr(g, "dtype", torch.get_default_dtype())


def _device_of(g):
    if isinstance(g, torch.Tensor):
        return g.device
    return getattr(g, "device", None)
