import pytest
import torch

from lielac import Canonicalizer, Equivariant
from lielac.experiments.pde import format_table, make_config, run_pde
from lielac.groups.point import FlowTimePrior, burgers_ivp_subgroup, heat_ivp_subgroup
from lielac.pde import FieldAction, Grid, HermiteGRF, PeriodicGRF, solve_heat
from lielac.pde.energies import GaussianEnergy

HEAT_GRID = Grid(-12.0, 12.0, 128, periodic=False)
TIMES = torch.linspace(0.1, 1.0, 5, dtype=torch.float64)
NU = 0.1
SAMPLER = HermiteGRF(amplitude=0.5, mean0=2.0)


def _heat_canonicalizer(scheme="coordinate"):
    group = heat_ivp_subgroup(NU)
    energy = GaussianEnergy.from_sampler(SAMPLER, HEAT_GRID, haar_scaling=True)
    prior = FlowTimePrior(group, [1e-3, 0.0, 1.0])
    return Canonicalizer(group, FieldAction(group, HEAT_GRID, nan_outside=True), energy,
                         scheme=scheme, steps=5, lr=0.1, prior=prior)


def test_equivariant_wrapper_commutes_with_the_group_on_exact_solutions():
    group = heat_ivp_subgroup(NU)
    canon = _heat_canonicalizer()

    def solver(u0):
        return solve_heat(u0, HEAT_GRID, TIMES, NU)

    f = Equivariant(solver, canon, FieldAction(group, HEAT_GRID, TIMES))
    u0 = SAMPLER.sample(3, HEAT_GRID, seed=5)
    g = group.exp(torch.tensor([[1.0, 0.4, 0.3], [-1.5, -0.3, -0.2], [0.5, 0.0, 0.5]],
                               dtype=torch.float64))
    moved = FieldAction(group, HEAT_GRID, strict=True)(g, u0)
    lhs = f(moved)
    rhs = FieldAction(group, HEAT_GRID, TIMES)(g, f(u0))
    assert float((lhs - rhs).norm() / rhs.norm()) < 1e-3
    assert float((lhs - solver(moved)).norm() / lhs.norm()) < 1e-3


def test_retraction_descent_gives_heat_inputs_one_canonical_form():
    group = heat_ivp_subgroup(NU)
    sampler = HermiteGRF(amplitude=0.3, mean0=2.0)
    energy = GaussianEnergy.from_sampler(sampler, HEAT_GRID, residual_variance=3e-3,
                                         haar_scaling=True)
    canon = Canonicalizer(group, FieldAction(group, HEAT_GRID, nan_outside=True), energy,
                          scheme="retraction", steps=150, lr=0.05,
                          prior=FlowTimePrior(group, [1e-3, 0.0, 1e-3]))
    u0 = sampler.sample(3, HEAT_GRID, seed=2)
    g = group.exp(torch.tensor([[0.8, 0.3, 0.1], [-0.6, -0.2, -0.15], [0.4, 0.0, 0.2]],
                               dtype=torch.float64))
    a, b = canon(u0).x, canon(FieldAction(group, HEAT_GRID, strict=True)(g, u0)).x
    assert float((a - b).norm() / a.norm()) < 1e-2


def test_coordinate_descent_undoes_a_burgers_boost_using_flows_only():
    grid = Grid(0.0, 1.0, 64, periodic=True)
    sampler = PeriodicGRF(max_mode=8)
    group = burgers_ivp_subgroup()
    floor = float(sampler.eigenbasis(grid)[1].min())
    energy = GaussianEnergy.from_sampler(sampler, grid, mean_variance=floor)
    canon = Canonicalizer(group, FieldAction(group, grid), energy, scheme="coordinate",
                          steps=30, lr=0.2, prior=FlowTimePrior(group, 1e-3))
    u0 = sampler.sample(4, grid, seed=3)
    boost = group.flow(1, torch.tensor([0.7, -0.4, 1.1, 0.2], dtype=torch.float64))
    result = canon(FieldAction(group, grid)(boost, u0))
    torch.testing.assert_close(group.flow_times(result.g)[:, 1], -boost.times[:, 0],
                               atol=2e-2, rtol=0)


def test_gaussian_energies_score_samples_as_typical():
    sampler = HermiteGRF(amplitude=0.5, mean0=2.0)
    u0 = sampler.sample(400, HEAT_GRID, seed=0)
    closed = GaussianEnergy.from_sampler(sampler, HEAT_GRID)
    learned = GaussianEnergy.fit(u0, HEAT_GRID, 10)
    for energy in (closed, learned):
        q = energy.quadratic(u0)
        assert abs(float(q.mean()) - 10) < 1.5  # chi-squared with 10 degrees of freedom
    shifted = FieldAction(heat_ivp_subgroup(NU), HEAT_GRID)(
        heat_ivp_subgroup(NU).flow(0, torch.full((400,), 1.0, dtype=torch.float64)), u0)
    assert float(closed(shifted).min()) > float(closed(u0).max())
    # the direction part of the scale-separated energy ignores the size of u
    basis, variances = HermiteGRF().eigenbasis(HEAT_GRID)
    direction_only = GaussianEnergy(basis, variances, 1e-3, HEAT_GRID.dx, norm_prior=(0.0, 1e8))
    torch.testing.assert_close(direction_only(3 * u0[:4]), direction_only(u0[:4]))
    with pytest.raises(ValueError, match="n_components"):
        GaussianEnergy.fit(u0, HEAT_GRID, 500)


def test_haar_scaled_energy_is_lowest_near_the_typical_size():
    u0 = SAMPLER.sample(200, HEAT_GRID, seed=1)
    log_scales = torch.linspace(-1.0, 1.0, 81, dtype=torch.float64)
    plain = GaussianEnergy.from_sampler(SAMPLER, HEAT_GRID)
    haar = GaussianEnergy.from_sampler(SAMPLER, HEAT_GRID, haar_scaling=True)
    for energy, lo, hi in ((plain, -1.0, -0.2), (haar, -0.15, 0.15)):
        values = torch.stack([energy(torch.exp(s) * u0) for s in log_scales], dim=1)
        best = log_scales[values.argmin(dim=1)]
        assert lo < float(best.median()) < hi  # the plain Gaussian shrinks samples
    with pytest.raises(ValueError, match="haar_dim"):
        GaussianEnergy(haar.basis, haar.variances, 1e-3, HEAT_GRID.dx, haar_dim=-1.0)


def test_experiment_rejects_unknown_equation(tmp_path):
    with pytest.raises(ValueError, match="unknown equation 'wave'"):
        make_config("wave")
    with pytest.raises(ValueError, match="unknown equation"):
        run_pde("wave", True, tmp_path, tmp_path)


def test_format_table():
    results = {"equation": "heat", "n_test": 100, "methods": {
        "base": {"id": 0.01, "ood": 0.2, "avg": 0.105},
        "lielac[grf]": {"id": 0.011, "ood": 0.012, "avg": 0.0115}}}
    table = format_table(results)
    assert "base (FNO)" in table and "LieLAC[FNO] grf" in table and "0.2000" in table
