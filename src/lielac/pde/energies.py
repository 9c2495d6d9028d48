"""Energies on initial conditions: Gaussian negative log-densities, known or learned.

:class:`GaussianEnergy` scores a sampled function u by the negative log-density of a Gaussian
field: coordinates ``c = <u - mean, e_j>`` along an orthonormal basis ``e_j`` with variances
``lambda_j``, plus an isotropic residual off the basis,

    q(u) = sum_j c_j^2 / lambda_j + |u - mean - sum_j c_j e_j|^2 / residual_variance,
    E(u) = q(u) / 2                                                  (norm_prior=None)
    E(u) = (d / 2) log(q(u) / |u|^2) + (log |u|^2 - m)^2 / (2 s^2)   (norm_prior=(m, s))
    E(u) = q(u) / 2 - (k / 2) log |u|^2                              (haar_dim=k).

The last two are for groups that scale u. Along a ray ``{e^s u}`` the Gaussian density is
largest at a shrunk point: ``q / 2`` is smallest at ``e^s = <mean, u> / <u, u>`` (in the
Mahalanobis inner product), about 0.6 for typical samples of a field with a strong mean, and
at u = 0 for a zero-mean field.

* ``norm_prior`` splits u into its direction and its size: the first term is the negative
  log-density of the direction ``u / |u|`` under the zero-mean Gaussian (the angular central
  Gaussian, d = number of basis functions), which no scaling changes; the second is a
  log-normal law for the squared norm, with m and s the mean and standard deviation of
  ``log |u|^2`` under the field.
* ``haar_dim`` scores the ray coordinate s by its density under the Haar measure ds of the
  scaling, ``p(e^s u) e^{k s}`` on a k-dimensional space: up to a constant of the ray, the
  form above is its negative logarithm, so its minimiser along a ray is the ray's most
  probable point (near s = 0 for typical samples). It is a function of the moved input
  alone, so, unlike a prior on a flow time, it does not depend on how a group element is
  written as a word of flows (flow times of a central generator such as the u-scaling of
  the heat group are not coordinates of a non-abelian group).

Two sources of the Gaussian: the closed form of the sampler (:meth:`from_sampler`, using
its eigenbasis) and a fit to training samples by maximum likelihood (:meth:`fit`,
probabilistic PCA: leading principal directions, residual variance = mean of the rest).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from lielac.pde.grid import Grid

__all__ = ["GaussianEnergy"]


class GaussianEnergy(nn.Module):
    """Negative log-density of a Gaussian field on a grid; maps (B, N) to (B,).

    Args:
        basis: (M, N) basis, orthonormal for ``<f, g> = sum f g dx``.
        variances: (M,) variances of the coordinates along the basis.
        residual_variance: variance of the part of ``u - mean`` off the basis.
        dx: the grid spacing of the inner product.
        mean: optional (N,) mean function (default 0).
        norm_prior: None, or (m, s) for the scale-separated form (see the module notes).
        haar_dim: None, or k > 0 for the Haar-corrected form ``q / 2 - (k / 2) log |u|^2``
            (see the module notes; k is the dimension of the field's span).
    """

    def __init__(
        self,
        basis: torch.Tensor,
        variances: torch.Tensor,
        residual_variance: float,
        dx: float,
        mean: torch.Tensor | None = None,
        norm_prior: tuple[float, float] | None = None,
        haar_dim: float | None = None,
    ):
        super().__init__()
        if basis.ndim != 2 or variances.shape != (basis.shape[0],):
            raise ValueError(
                f"basis, variances: expected (M, N) and (M,), got {tuple(basis.shape)} and "
                f"{tuple(variances.shape)}"
            )
        if not (variances > 0).all() or not residual_variance > 0:
            raise ValueError("variances: expected positive variances")
        n = basis.shape[1]
        mean = torch.zeros(n, dtype=torch.float64) if mean is None else mean
        if mean.shape != (n,):
            raise ValueError(f"mean: expected shape ({n},), got {tuple(mean.shape)}")
        self.register_buffer("basis", basis.to(torch.float64))
        self.register_buffer("variances", variances.to(torch.float64))
        self.register_buffer("mean", mean.to(torch.float64))
        self.residual_variance = float(residual_variance)
        self.dx = float(dx)
        if norm_prior is not None and not norm_prior[1] > 0:
            raise ValueError(f"norm_prior: expected (mean, std > 0), got {norm_prior}")
        self.norm_prior = None if norm_prior is None else tuple(map(float, norm_prior))
        if haar_dim is not None and not (math.isfinite(haar_dim) and haar_dim > 0):
            raise ValueError(f"haar_dim: expected a positive number, got {haar_dim!r}")
        if haar_dim is not None and norm_prior is not None:
            raise ValueError("haar_dim, norm_prior: expected at most one of the two forms")
        self.haar_dim = None if haar_dim is None else float(haar_dim)

    def quadratic(self, u: torch.Tensor) -> torch.Tensor:
        """(B,) Mahalanobis form ``q(u)``."""
        if u.ndim != 2 or u.shape[1] != self.basis.shape[1]:
            raise ValueError(
                f"u: expected a (B, {self.basis.shape[1]}) tensor, got {tuple(u.shape)}"
            )
        v = u.to(torch.float64) - self.mean
        c = v @ self.basis.T * self.dx
        residual = v - c @ self.basis
        return (c**2 / self.variances).sum(1) + (residual**2).sum(1) * self.dx / (
            self.residual_variance
        )

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        q = self.quadratic(u)
        if self.norm_prior is None and self.haar_dim is None:
            return (0.5 * q).to(u.dtype)
        log_norm2 = torch.log((u.to(torch.float64) ** 2).sum(1).clamp_min(1e-300) * self.dx)
        if self.haar_dim is not None:
            return (0.5 * q - 0.5 * self.haar_dim * log_norm2).to(u.dtype)
        m, s = self.norm_prior
        d = self.basis.shape[0]
        direction = 0.5 * d * (torch.log(q.clamp_min(1e-300)) - log_norm2)
        return (direction + (log_norm2 - m) ** 2 / (2 * s * s)).to(u.dtype)

    @classmethod
    def from_sampler(cls, sampler, grid: Grid, *, residual_variance: float | None = None,
                     scale_separated: bool = False, mean_variance: float | None = None,
                     haar_scaling: bool = False):
        """The closed-form energy of a sampler with ``eigenbasis(grid)`` (its exact density),
        and ``mean_function(grid)`` if it has one.

        Args:
            residual_variance: variance off the sampler's span (exactly 0 for the sampler;
                default ``1e-3`` times the smallest variance, a soft wall).
            scale_separated: use the direction + log-normal-size form, with the size law's
                (m, s) from 20000 draws of the sampler's coefficients (exact: the squared
                norm is the sum of squared coefficients).
            mean_variance: for periodic grids, also score the mean (the constant function)
                with this variance (default: as the residual).
            haar_scaling: use the Haar-corrected form with k = the number of the sampler's
                basis functions.
        """
        basis, variances = sampler.eigenbasis(grid)
        mean = sampler.mean_function(grid) if hasattr(sampler, "mean_function") else None
        floor = float(variances.min()) * 1e-3 if residual_variance is None else residual_variance
        if mean_variance is not None:
            constant = torch.full((1, grid.n), 1 / math.sqrt(grid.length), dtype=torch.float64)
            basis = torch.cat([constant, basis])
            variances = torch.cat([torch.tensor([float(mean_variance)], dtype=torch.float64),
                                   variances])
        norm_prior = None
        if scale_separated:
            gen = torch.Generator().manual_seed(0)
            draws = torch.randn(20000, variances.numel(), generator=gen, dtype=torch.float64)
            if mean is not None and float(mean.abs().max()) > 0:
                raise ValueError("scale_separated: expected a zero-mean sampler")
            log_norm2 = torch.log((draws**2 * variances).sum(1))
            norm_prior = (float(log_norm2.mean()), float(log_norm2.std()))
        haar_dim = float(sampler.eigenbasis(grid)[1].numel()) if haar_scaling else None
        return cls(basis, variances, floor, grid.dx, mean=mean, norm_prior=norm_prior,
                   haar_dim=haar_dim)

    @classmethod
    def fit(cls, samples: torch.Tensor, grid: Grid, n_components: int, *,
            scale_separated: bool = False, min_variance_ratio: float = 1e-4,
            haar_scaling: bool = False):
        """Probabilistic PCA fitted to (S, N) training samples (maximum likelihood).

        The residual variance is the mean of the discarded covariance eigenvalues, floored at
        ``min_variance_ratio`` times the smallest kept one. With ``scale_separated`` the size
        law's (m, s) are the sample mean and deviation of ``log |u|^2``; with
        ``haar_scaling`` the Haar-corrected form with k = ``n_components``.
        """
        grid.check(samples, "samples", ndim=2)
        samples = samples.to(torch.float64)
        if not 0 < n_components < min(samples.shape):
            raise ValueError(
                f"n_components: expected 0 < n < {min(samples.shape)}, got {n_components}"
            )
        mean = samples.mean(0)
        centred = (samples - mean) * math.sqrt(grid.dx)
        _, sing, vh = torch.linalg.svd(centred, full_matrices=False)
        eig = sing**2 / (samples.shape[0] - 1)
        kept = eig[:n_components]
        rest = eig[n_components:]
        residual = max(float(rest.mean()) if rest.numel() else 0.0,
                       float(kept.min()) * min_variance_ratio)
        basis = vh[:n_components] / math.sqrt(grid.dx)
        norm_prior = None
        if scale_separated:
            log_norm2 = torch.log((samples**2).sum(1) * grid.dx)
            norm_prior = (float(log_norm2.mean()), float(log_norm2.std()))
        return cls(basis, kept, residual, grid.dx, mean=mean, norm_prior=norm_prior,
                   haar_dim=float(n_components) if haar_scaling else None)
