"""Actions of point-symmetry groups on sampled functions: initial conditions and solutions.

An element g moves the graph of u to the graph of ``g . u``: at a grid point (x, t) the new
value is the u-component of ``g (x0, t0, u(x0, t0))``, where (x0, t0) is the base point that
g maps to (x, t). ``u(x0, t0)`` is read by spectral interpolation in x
(:meth:`lielac.pde.grid.Grid.interpolate`). Only elements that fix t are supported on
sampled data (the initial-value subgroups), so no interpolation in t is ever needed.
"""

from __future__ import annotations

import torch

from lielac.groups.point import FlowWord, PointSymmetryGroup
from lielac.pde.grid import Grid

__all__ = ["FieldAction", "support_window"]


def support_window(values: torch.Tensor, floor: float, width: int = 4) -> torch.Tensor:
    """(..., N) 0/1 mask of the support window of each slice of (..., N) samples.

    The window is the connected run of points around the slice's largest ``|u|`` on which
    the maximum of ``|u|`` over ``2 width + 1`` neighbouring points exceeds ``floor`` times
    the slice maximum. All ones for an all-zero slice.
    """
    size = values.abs()
    shape = size.shape
    flat = size.reshape(-1, 1, shape[-1])
    smooth = torch.nn.functional.max_pool1d(flat, 2 * width + 1, stride=1, padding=width)
    smooth = smooth.reshape(shape)
    peak_value = size.amax(-1, keepdim=True)
    below = smooth <= floor * peak_value
    idx = torch.arange(shape[-1], device=values.device).expand(shape)
    peak = size.argmax(-1, keepdim=True)
    left = torch.where(below & (idx < peak), idx, -1).amax(-1, keepdim=True)
    right = torch.where(below & (idx > peak), idx, shape[-1]).amin(-1, keepdim=True)
    inside = (idx > left) & (idx < right)
    return torch.where(peak_value > 0, inside, True).to(values.dtype)


class FieldAction:
    """``action(g, u)`` for initial conditions (B, N) or solutions (B, T, N) on a grid.

    Args:
        group: a :class:`lielac.groups.point.PointSymmetryGroup`.
        grid: the spatial grid of the samples.
        times: None for initial conditions at t = 0; a (T,) tensor of the sample times for
            solutions.
        strict: if True, raise ``ValueError`` when g maps the data (points where
            ``|u| > tol max|u|``) outside the segment, or within ``margin`` of its ends;
            descent uses ``strict=False`` and lets the energy judge.
        nan_outside: if True (and not strict), entries that ``g`` maps outside the domain
            come back as NaN: an energy then reads them as infeasible, so a descent never
            settles where the sampled data no longer represent the moved function.
        floor: if set, each slice is cut to its support window before moving: the
            connected interval around its largest value on which ``|u|`` (its maximum over
            ``2 floor_width + 1`` neighbouring points, so that sign changes inside the data
            do not split it) stays above ``floor * max|u|``; values outside are zeroed. For
            approximate data (a network's prediction) on segments: an element that tilts u
            by ``e^{eps x}`` would otherwise amplify the error in the tails, where the exact
            solution is negligible, and a cut point by point would keep isolated error
            spikes there.
        floor_width: half-width in points of the window's maximum filter.
        tol, margin: the data's extent and the required distance from the ends (on
            segments; a fraction of the segment length).

    Example:
        >>> import torch
        >>> from lielac.groups.point import burgers_ivp_subgroup
        >>> from lielac.pde.grid import Grid
        >>> grid = Grid(0.0, 1.0, 64, periodic=True)
        >>> group = burgers_ivp_subgroup()
        >>> u0 = torch.sin(2 * torch.pi * grid.points())[None]
        >>> moved = FieldAction(group, grid)(group.flow(1, torch.tensor([0.5])), u0)
        >>> round(float(moved.mean()), 6)  # the boost adds 0.5 to u
        0.5
    """

    def __init__(
        self,
        group: PointSymmetryGroup,
        grid: Grid,
        times: torch.Tensor | None = None,
        *,
        strict: bool = False,
        nan_outside: bool = False,
        floor: float | None = None,
        floor_width: int = 4,
        tol: float = 1e-3,
        margin: float = 0.02,
    ):
        if not isinstance(group, PointSymmetryGroup):
            raise TypeError(f"group: expected a PointSymmetryGroup, got {type(group).__name__}")
        if not isinstance(grid, Grid):
            raise TypeError(f"grid: expected a lielac.pde.grid.Grid, got {type(grid).__name__}")
        if times is not None:
            times = torch.as_tensor(times, dtype=torch.float64)
            if times.ndim != 1 or times.numel() == 0:
                raise ValueError(f"times: expected a (T,) tensor, got shape {tuple(times.shape)}")
        self.group, self.grid, self.times = group, grid, times
        self.strict, self.tol, self.margin = strict, tol, margin
        if floor is not None and not floor >= 0:
            raise ValueError(f"floor: expected a non-negative fraction, got {floor!r}")
        if not (isinstance(floor_width, int) and floor_width >= 0):
            raise ValueError(f"floor_width: expected a non-negative int, got {floor_width!r}")
        self.nan_outside, self.floor, self.floor_width = nan_outside, floor, floor_width

    def __call__(self, g: FlowWord, u: torch.Tensor) -> torch.Tensor:
        ndim = 2 if self.times is None else 3
        self.grid.check(u, "u", ndim=ndim)
        if self.times is not None and u.shape[1] != self.times.numel():
            raise ValueError(
                f"u: expected {self.times.numel()} time slices, got shape {tuple(u.shape)}"
            )
        batch = self.group.batch_size(g)
        if batch != u.shape[0]:
            raise ValueError(f"g: expected {u.shape[0]} elements for the batch, got {batch}")
        if self.group.moves_time(g):
            raise ValueError(
                "g: the element moves t (time translation, dilation or projective flow); "
                "sampled fields support only elements that fix t, i.e. the initial-value "
                "subgroup, since any other maps the problem outside its time domain"
            )

        dtype = torch.float64
        x = self.grid.points(dtype=dtype, device=u.device)
        t = (torch.zeros(1, dtype=dtype, device=u.device) if self.times is None
             else self.times.to(u.device))
        x_grid = x.expand(batch, t.numel(), x.numel())
        t_grid = t[None, :, None].expand_as(x_grid)
        word = FlowWord(g.indices, g.times.to(dtype))
        x0, t0 = self.group.base_preimage(word, x_grid, t_grid)

        values = u.to(dtype).reshape(batch, t.numel(), x.numel())
        if self.strict:
            self._check_domain(word, values, x_grid, t_grid)
        if self.floor is not None:
            values = values * support_window(values, self.floor, self.floor_width)
        u0 = self.grid.interpolate(values, x0)
        moved = self.group.transform_points(word, x0, t0, u0)[2]
        if self.nan_outside and not self.grid.periodic:
            bad = self.outside(word, values)
            moved = torch.where(bad[:, None, None], torch.full_like(moved, float("nan")), moved)
        return moved.reshape(u.shape).to(u.dtype)

    def outside(self, g: FlowWord, u: torch.Tensor) -> torch.Tensor:
        """(B,) bool: entries whose data (``|u| > tol max|u|``) ``g`` maps outside the
        segment or within ``margin`` of its ends; all False on periodic grids."""
        values = u.to(torch.float64).reshape(u.shape[0], -1, self.grid.n)
        if self.grid.periodic:
            return torch.zeros(u.shape[0], dtype=torch.bool, device=u.device)
        x = self.grid.points(device=u.device).expand_as(values)
        t = (torch.zeros(1, dtype=torch.float64, device=u.device) if self.times is None
             else self.times.to(u.device))
        t = t[None, :, None].expand_as(values)
        word = FlowWord(g.indices, g.times.to(torch.float64))
        support = values.abs() > self.tol * values.abs().amax(-1, keepdim=True)
        x_new = self.group.transform_points(word, x, t, values)[0]
        lo = self.grid.x_min + self.margin * self.grid.length
        hi = self.grid.x_max - self.margin * self.grid.length
        return (support & ((x_new < lo) | (x_new > hi))).flatten(1).any(1)

    def _check_domain(self, g: FlowWord, values, x_grid, t_grid) -> None:
        outside = self.outside(g, values)
        if outside.any():
            rows = outside.nonzero()[:, 0].tolist()
            raise ValueError(
                f"g: the element maps the data of batch entries {rows[:8]} outside the domain "
                f"[{self.grid.x_min}, {self.grid.x_max}] (or within {self.margin:g} of its "
                "length from the ends)"
            )
