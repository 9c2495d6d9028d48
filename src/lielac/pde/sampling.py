"""Gaussian random fields of initial conditions, with their spectra known in closed form.

* :class:`PeriodicGRF`: a stationary zero-mean field on a periodic interval, Fourier modes
  ``1 .. max_mode`` with standard deviations ``amplitude * m^-decay`` (Burgers).
* :class:`HermiteGRF`: a field on the line decaying like a Gaussian, a random combination of
  the first ``n_modes`` Hermite functions (eigenfunctions of the harmonic oscillator) with
  variances ``amplitude^2 * ratio^n`` (heat). Its covariance has the Hermite functions as
  eigenfunctions, the line's analogue of a Fourier spectrum.

Each sampler gives its orthonormal eigenbasis on a grid and the variances along it, so the
negative log-density of a sample is known exactly (:mod:`lielac.pde.energies`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from lielac.pde.grid import Grid

__all__ = ["HermiteGRF", "PeriodicGRF", "hermite_functions"]


def hermite_functions(x: torch.Tensor, n: int) -> torch.Tensor:
    """(n, ...) Hermite functions ``psi_0 .. psi_{n-1}`` at ``x`` (orthonormal in L2(R))."""
    psi = [math.pi ** -0.25 * torch.exp(-x * x / 2)]
    if n > 1:
        psi.append(math.sqrt(2.0) * x * psi[0])
    for j in range(1, n - 1):
        psi.append(math.sqrt(2 / (j + 1)) * x * psi[j] - math.sqrt(j / (j + 1)) * psi[j - 1])
    return torch.stack(psi[:n])


def _generator(seed: int | torch.Generator) -> torch.Generator:
    if isinstance(seed, torch.Generator):
        return seed
    return torch.Generator().manual_seed(int(seed))


@dataclass(frozen=True)
class PeriodicGRF:
    """Zero-mean stationary Gaussian field on a periodic grid.

    ``u(x) = sum_{m=1}^{M} a_m cos(2 pi m x / L) + b_m sin(2 pi m x / L)``, with
    ``a_m, b_m ~ N(0, (amplitude m^-decay)^2)``.
    """

    amplitude: float = 0.5
    decay: float = 2.0
    max_mode: int = 24

    def stds(self) -> torch.Tensor:
        """(M,) standard deviations of the cosine and sine coefficients of modes 1..M."""
        m = torch.arange(1, self.max_mode + 1, dtype=torch.float64)
        return self.amplitude * m ** (-self.decay)

    def sample(self, batch: int, grid: Grid, seed: int | torch.Generator = 0) -> torch.Tensor:
        """(batch, N) float64 samples on the periodic ``grid``."""
        if not grid.periodic:
            raise ValueError("grid: expected a periodic grid for PeriodicGRF, got a segment")
        if 2 * self.max_mode >= grid.n:
            raise ValueError(f"grid: expected more than {2 * self.max_mode} points, got {grid.n}")
        gen = _generator(seed)
        coef = torch.randn(batch, 2, self.max_mode, generator=gen, dtype=torch.float64)
        coef = coef * self.stds()
        basis = self.fourier_basis(grid)  # (2M, N) cos then sin, unnormalised
        return coef.reshape(batch, -1) @ basis

    def fourier_basis(self, grid: Grid) -> torch.Tensor:
        """(2M, N) functions ``cos(2 pi m x / L)`` (m = 1..M) then ``sin(...)``."""
        x = grid.points() - grid.x_min
        m = torch.arange(1, self.max_mode + 1, dtype=torch.float64)
        angle = 2 * math.pi * m[:, None] * x[None, :] / grid.length
        return torch.cat([torch.cos(angle), torch.sin(angle)])

    def eigenbasis(self, grid: Grid) -> tuple[torch.Tensor, torch.Tensor]:
        """Orthonormal (in ``sum f g dx``) eigenbasis (2M, N) and its (2M,) variances."""
        basis = self.fourier_basis(grid) * math.sqrt(2 / grid.length)
        variances = (self.stds() ** 2 * grid.length / 2).repeat(2)
        return basis, variances


@dataclass(frozen=True)
class HermiteGRF:
    """Gaussian field ``u(x) = sum_{n<M} c_n psi_n((x - center) / scale) / sqrt(scale)``,
    ``c_n ~ N(0, amplitude^2 ratio^n)`` except ``c_0 ~ N(mean0, amplitude^2)``; it decays like
    ``exp(-x^2 / (2 scale^2))``. A nonzero ``mean0`` gives every sample a Gaussian bump at
    ``center``, which fixes position, size and tilt of the typical sample."""

    amplitude: float = 1.0
    ratio: float = 0.8
    n_modes: int = 10
    scale: float = 1.0
    center: float = 0.0
    mean0: float = 0.0

    def mean_function(self, grid: Grid) -> torch.Tensor:
        """(N,) mean of the field, ``mean0 psi_0``."""
        return self.mean0 * self.basis(grid)[0]

    def variances(self) -> torch.Tensor:
        n = torch.arange(self.n_modes, dtype=torch.float64)
        return self.amplitude**2 * self.ratio**n

    def basis(self, grid: Grid) -> torch.Tensor:
        """(M, N) Hermite functions on the grid, orthonormal in L2(R)."""
        x = (grid.points() - self.center) / self.scale
        return hermite_functions(x, self.n_modes) / math.sqrt(self.scale)

    def sample(self, batch: int, grid: Grid, seed: int | torch.Generator = 0) -> torch.Tensor:
        """(batch, N) float64 samples."""
        gen = _generator(seed)
        coef = torch.randn(batch, self.n_modes, generator=gen, dtype=torch.float64)
        return (coef * self.variances().sqrt()) @ self.basis(grid) + self.mean_function(grid)

    def eigenbasis(self, grid: Grid) -> tuple[torch.Tensor, torch.Tensor]:
        """Orthonormal (in ``sum f g dx``) eigenbasis (M, N) and its (M,) variances.

        The Hermite functions are orthonormalised on the grid (a QR step; they already are
        to quadrature accuracy when the grid resolves them and the segment contains them).
        """
        b = self.basis(grid) * math.sqrt(grid.dx)
        q, r = torch.linalg.qr(b.T)
        q = q * torch.sign(torch.diagonal(r))[None, :]
        return q.T / math.sqrt(grid.dx), self.variances()
