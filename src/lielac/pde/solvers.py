"""Reference solvers: the heat equation (heat kernel) and viscous Burgers (ETDRK4, Fourier).

Both are spectral: solutions come back sampled on the initial condition's grid at the
requested times, as (B, T, N) float64 tensors.

* :func:`solve_heat` convolves with the heat kernel, ``u_hat(k, t) = u0_hat(k) exp(-nu k^2
  t)``, exactly on a periodic grid; on a segment the data are zero-padded to three times the
  length, which is the line problem up to heat leaking round the padded circle
  (``exp(-L^2 / (4 nu t))`` for segment length L: negligible for the benchmark).
* :func:`solve_burgers` integrates ``u_t + (u^2 / 2)_x = nu u_xx`` on a periodic grid with
  the fourth-order exponential time-differencing Runge-Kutta scheme of Cox & Matthews in the
  contour-integral form of Kassam & Trefethen, 2/3-rule dealiasing, optionally on a finer
  grid than the output.
* :func:`burgers_cole_hopf` is the exact periodic Burgers solution through the Cole-Hopf
  transform, for checking the integrator.
"""

from __future__ import annotations

import logging
import math

import torch

from lielac.pde.grid import Grid

__all__ = ["burgers_cole_hopf", "solve_burgers", "solve_heat"]

logger = logging.getLogger(__name__)


def _check_times(times) -> torch.Tensor:
    times = torch.as_tensor(times, dtype=torch.float64)
    if times.ndim != 1 or times.numel() == 0:
        raise ValueError(
            f"times: expected a non-empty 1-D sequence, got shape {tuple(times.shape)}"
        )
    if not torch.isfinite(times).all() or (times < 0).any() or (times.diff() <= 0).any():
        raise ValueError(f"times: expected finite increasing times >= 0, got {times.tolist()}")
    return times


def _check_edges(u0: torch.Tensor, grid: Grid, tol: float, name: str = "u0") -> None:
    """On a segment, the data must have decayed at both ends (they are continued by 0)."""
    if grid.periodic:
        return
    width = max(1, grid.n // 32)
    edge = torch.cat([u0[..., :width], u0[..., -width:]], dim=-1).abs().amax(-1)
    scale = u0.abs().amax(-1).clamp_min(1e-300)
    if (edge > tol * scale).any():
        worst = float((edge / scale).max())
        raise ValueError(
            f"{name}: expected data that decay to 0 at the ends of the segment [{grid.x_min}, "
            f"{grid.x_max}] (|u| at the ends <= {tol:g} max|u|), got a ratio of {worst:.2e}; "
            "the data leave the domain"
        )


def solve_heat(u0: torch.Tensor, grid: Grid, times, nu: float, *, edge_tol: float = 1e-4):
    """Exact solution of ``u_t = nu u_xx`` by heat-kernel convolution.

    Args:
        u0: (B, N) initial conditions on ``grid``.
        grid: a periodic grid, or a segment outside which the data vanish.
        times: (T,) increasing output times >= 0.
        nu: diffusivity > 0.
        edge_tol: on segments, the largest allowed ``|u0|`` at the ends relative to
            ``max |u0|``.

    Returns:
        (B, T, N) float64 solution.
    """
    grid.check(u0, "u0", ndim=2)
    times = _check_times(times)
    if not nu > 0:
        raise ValueError(f"nu: expected a positive diffusivity, got {nu}")
    u0 = u0.to(torch.float64)
    _check_edges(u0, grid, edge_tol)
    pad = 0 if grid.periodic else 2 * grid.n
    v = torch.nn.functional.pad(u0, (0, pad))
    m = v.shape[-1]
    k = 2 * math.pi * torch.fft.rfftfreq(m, d=grid.dx, dtype=torch.float64)
    c = torch.fft.rfft(v, dim=-1)
    decay = torch.exp(-nu * k[None, :] ** 2 * times[:, None])  # (T, K)
    u = torch.fft.irfft(c[:, None, :] * decay[None], n=m, dim=-1)
    return u[..., : grid.n]


def _etdrk4_coefficients(lin: torch.Tensor, dt: float, contour: int = 32):
    """Kassam-Trefethen ETDRK4 coefficients for a diagonal linear part ``lin`` (K,)."""
    roots = torch.exp(1j * math.pi * (torch.arange(1, contour + 1, dtype=torch.float64) - 0.5)
                      / contour)
    lr = dt * lin.to(torch.complex128)[:, None] + roots[None, :]
    e_lr = torch.exp(lr)
    q = dt * ((torch.exp(lr / 2) - 1) / lr).mean(1).real
    f1 = dt * ((-4 - lr + e_lr * (4 - 3 * lr + lr**2)) / lr**3).mean(1).real
    f2 = dt * ((2 + lr + e_lr * (lr - 2)) / lr**3).mean(1).real
    f3 = dt * ((-4 - 3 * lr - lr**2 + e_lr * (4 - lr)) / lr**3).mean(1).real
    return torch.exp(dt * lin), torch.exp(dt * lin / 2), q, f1, f2, f3


def _resample_periodic(u: torch.Tensor, n: int) -> torch.Tensor:
    """Band-limited resampling of periodic (..., N) samples to n points (n >= N or n | N)."""
    m = u.shape[-1]
    if n == m:
        return u
    if n < m:
        if m % n:
            raise ValueError(f"cannot subsample {m} points to {n}")
        return u[..., :: m // n]
    c = torch.fft.rfft(u, dim=-1)
    if m % 2 == 0:
        c[..., -1] = c[..., -1] / 2  # split the Nyquist mode between +-N/2
    return torch.fft.irfft(c, n=n, dim=-1) * (n / m)


def solve_burgers(
    u0: torch.Tensor,
    grid: Grid,
    times,
    nu: float,
    *,
    refine: int = 2,
    cfl: float = 0.5,
    max_dt: float = 1e-3,
) -> torch.Tensor:
    """Solve ``u_t + u u_x = nu u_xx`` on a periodic grid with ETDRK4.

    Args:
        u0: (B, N) initial conditions on the periodic ``grid``.
        times: (T,) increasing output times >= 0.
        nu: viscosity > 0.
        refine: solve on ``refine * N`` points (the initial condition interpolated
            spectrally), return every ``refine``-th point.
        cfl: time step ``dt <= cfl / (max|u0| k_max)`` (``max |u|`` never grows), and
            ``dt <= max_dt``; steps are adjusted to land on every output time.

    Returns:
        (B, T, N) float64 solution.
    """
    if not grid.periodic:
        raise ValueError("grid: expected a periodic grid for the Burgers solver, got a segment")
    grid.check(u0, "u0", ndim=2)
    times = _check_times(times)
    if not nu > 0:
        raise ValueError(f"nu: expected a positive viscosity, got {nu}")
    if not isinstance(refine, int) or refine < 1:
        raise ValueError(f"refine: expected a positive int, got {refine!r}")

    n = grid.n * refine
    u = _resample_periodic(u0.to(torch.float64), n)
    k = 2 * math.pi * torch.fft.rfftfreq(n, d=grid.length / n, dtype=torch.float64)
    dealias = (torch.arange(k.numel()) < (n // 3)).to(torch.float64)
    g = -0.5j * k * dealias

    def nonlinear(v):
        return g * torch.fft.rfft(torch.fft.irfft(v, n=n, dim=-1) ** 2, dim=-1)

    umax = float(u.abs().max()) + 1e-12
    dt_max = min(max_dt, cfl / (umax * float(k[dealias > 0].max())))
    v = torch.fft.rfft(u, dim=-1)
    out = []
    t_now = 0.0
    coefficients = {}
    for t_next in times.tolist():
        span = t_next - t_now
        steps = math.ceil(span / dt_max - 1e-9) if span > 0 else 0
        if steps:
            dt = span / steps
            key = round(dt, 15)
            if key not in coefficients:
                coefficients[key] = _etdrk4_coefficients(-nu * k**2, dt)
            e, e2, q, f1, f2, f3 = coefficients[key]
            for _ in range(steps):
                nv = nonlinear(v)
                a = e2 * v + q * nv
                na = nonlinear(a)
                b = e2 * v + q * na
                nb = nonlinear(b)
                c = e2 * a + q * (2 * nb - nv)
                nc = nonlinear(c)
                v = e * v + nv * f1 + 2 * (na + nb) * f2 + nc * f3
        t_now = t_next
        out.append(torch.fft.irfft(v, n=n, dim=-1)[..., ::refine])
    solution = torch.stack(out, dim=1)
    if not torch.isfinite(solution).all():
        raise ValueError("solve_burgers: the integration blew up; lower cfl or max_dt")
    return solution


def burgers_cole_hopf(u0: torch.Tensor, grid: Grid, times, nu: float, *, refine: int = 8):
    """Exact periodic Burgers solution by the Cole-Hopf transform ``u = -2 nu phi_x / phi``,
    ``phi`` solving the heat equation from ``phi0 = exp(-int u0 / (2 nu))``.

    Needs zero-mean ``u0`` (so the primitive is periodic) and moderate ``max|u0| / nu`` (phi
    spans ``exp(range of the primitive / (2 nu))``). Shapes as :func:`solve_burgers`.
    """
    grid.check(u0, "u0", ndim=2)
    times = _check_times(times)
    u0 = u0.to(torch.float64)
    if (u0.mean(-1).abs() > 1e-10 * u0.abs().amax(-1).clamp_min(1.0)).any():
        raise ValueError("u0: the Cole-Hopf reference needs zero-mean initial conditions")
    n = grid.n * refine
    u = _resample_periodic(u0, n)
    k = 2 * math.pi * torch.fft.rfftfreq(n, d=grid.length / n, dtype=torch.float64)
    c = torch.fft.rfft(u, dim=-1)
    inv = torch.zeros_like(k, dtype=torch.complex128)
    inv[1:] = 1 / (1j * k[1:])
    primitive = torch.fft.irfft(c * inv, n=n, dim=-1)
    phi0 = torch.exp(-(primitive - primitive.mean(-1, keepdim=True)) / (2 * nu))
    p = torch.fft.rfft(phi0, dim=-1)
    decay = torch.exp(-nu * k**2 * times[:, None])  # (T, K)
    phi_t = p[:, None, :] * decay[None]
    phi = torch.fft.irfft(phi_t, n=n, dim=-1)
    phi_x = torch.fft.irfft(1j * k * phi_t, n=n, dim=-1)
    return (-2 * nu * phi_x / phi)[..., ::refine]
