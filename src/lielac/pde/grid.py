"""Uniform 1-D grids and spectral resampling of sampled functions on them.

A :class:`Grid` is either periodic (a circle of length ``x_max - x_min``) or a segment on
which sampled functions are taken to vanish outside (decaying data on a line, e.g. the heat
equation). Resampling is band-limited Fourier interpolation: exact for trigonometric
polynomials on periodic grids; on segments the samples are zero-padded to twice the length
first, so points up to one segment length outside read zeros.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from lielac._checks import check_finite, check_tensor

__all__ = ["Grid"]


@dataclass(frozen=True)
class Grid:
    """N equispaced points ``x_j = x_min + j dx``, ``dx = (x_max - x_min) / N``.

    Attributes:
        x_min, x_max: the domain ends (``x_max`` itself is not a grid point).
        n: number of points N.
        periodic: True for a circle; False for a segment outside which data vanish.
    """

    x_min: float
    x_max: float
    n: int
    periodic: bool

    def __post_init__(self):
        if not (math.isfinite(self.x_min) and math.isfinite(self.x_max)
                and self.x_max > self.x_min):
            raise ValueError(f"grid: expected x_min < x_max, got {self.x_min}, {self.x_max}")
        if not isinstance(self.n, int) or self.n < 4:
            raise ValueError(f"grid: expected at least 4 points, got {self.n!r}")

    @property
    def length(self) -> float:
        return self.x_max - self.x_min

    @property
    def dx(self) -> float:
        return self.length / self.n

    def points(self, dtype=torch.float64, device=None) -> torch.Tensor:
        """(N,) grid points."""
        return self.x_min + self.dx * torch.arange(self.n, dtype=dtype, device=device)

    def check(self, u, name: str = "u", ndim: int | None = None) -> torch.Tensor:
        """Raise unless ``u`` is a finite floating tensor sampled on this grid (last axis N)."""
        check_tensor(u, name)
        if ndim is not None and u.ndim != ndim:
            raise ValueError(f"{name}: expected a {ndim}-D tensor, got shape {tuple(u.shape)}")
        if u.ndim == 0 or u.shape[-1] != self.n:
            raise ValueError(
                f"{name}: expected samples on a grid of {self.n} points (last axis), got shape "
                f"{tuple(u.shape)}"
            )
        if not u.is_floating_point():
            raise TypeError(f"{name}: expected a floating-point tensor, got {u.dtype}")
        if u.shape[0] == 0:
            raise ValueError(f"{name}: expected a non-empty batch, got shape {tuple(u.shape)}")
        check_finite(u, name)
        return u

    # --- spectral resampling ---------------------------------------------------------------

    def _padded(self, u: torch.Tensor) -> tuple[torch.Tensor, float]:
        if self.periodic:
            return u, self.length
        return torch.nn.functional.pad(u, (0, self.n)), 2 * self.length

    def shift(self, u: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """``u(x - a)`` on the grid, for (..., N) samples and shifts ``a`` of shape (...)."""
        v, period = self._padded(u)
        m = v.shape[-1]
        k = torch.arange(m // 2 + 1, dtype=v.dtype, device=v.device)
        angle = -2 * math.pi * k * a[..., None].to(v.dtype) / period
        c = torch.fft.rfft(v, dim=-1)
        phase = torch.polar(torch.ones_like(angle), angle)
        if m % 2 == 0:  # the Nyquist mode interpolates as a cosine (no in-place: autograd)
            nyquist = torch.cos(angle[..., -1:]).to(phase.dtype)
            phase = torch.cat([phase[..., :-1], nyquist], dim=-1)
        out = torch.fft.irfft(c * phase, n=m, dim=-1)
        return out[..., : self.n]

    def interpolate(self, u: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Band-limited values of (..., N) samples at points ``x`` of shape (..., M).

        Uses :meth:`shift` (FFT) when ``x`` is the grid moved by a constant per row, a direct
        Fourier sum otherwise. On segments, points farther than one segment length outside
        read zero.
        """
        if x.shape[-1] == self.n:
            d = x - self.points(dtype=x.dtype, device=x.device)
            if (d - d[..., :1]).abs().max() <= 1e-12 * max(1.0, self.length):
                out = self.shift(u, -d[..., 0])
                return out if self.periodic else out * self._inside(x)
        v, period = self._padded(u)
        m = v.shape[-1]
        c = torch.fft.rfft(v, dim=-1) / m
        weights = torch.full((c.shape[-1],), 2.0, dtype=v.dtype, device=v.device)
        weights[0] = 1.0
        if m % 2 == 0:  # the Nyquist coefficient is real: it interpolates as a cosine
            weights[-1] = 1.0
        k = torch.arange(c.shape[-1], dtype=v.dtype, device=v.device)
        angle = 2 * math.pi * (x.to(v.dtype) - self.x_min)[..., None] * k / period
        values = (torch.cos(angle) * (weights * c.real)[..., None, :]
                  - torch.sin(angle) * (weights * c.imag)[..., None, :]).sum(-1)
        return values if self.periodic else values * self._inside(x)

    def _inside(self, x: torch.Tensor) -> torch.Tensor:
        lo, hi = self.x_min - self.length, self.x_max + self.length - self.dx
        return ((x >= lo) & (x <= hi)).to(x.dtype)
