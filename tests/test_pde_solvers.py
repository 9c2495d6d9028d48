import math

import pytest
import torch

from lielac.groups.point import burgers_ivp_subgroup, heat_ivp_subgroup
from lielac.pde import (
    FieldAction,
    Grid,
    HermiteGRF,
    PeriodicGRF,
    burgers_cole_hopf,
    solve_burgers,
    solve_heat,
)

HEAT_GRID = Grid(-12.0, 12.0, 128, periodic=False)
BURGERS_GRID = Grid(0.0, 1.0, 64, periodic=True)
TIMES = torch.linspace(0.05, 1.0, 20, dtype=torch.float64)
BURGERS_TIMES = torch.tensor([0.1, 0.25, 0.5], dtype=torch.float64)  # short: keeps tests fast
SMALL_GRF = PeriodicGRF(amplitude=0.3, max_mode=8)
NU_HEAT, NU_BURGERS = 0.1, 0.01


def _rel(a, b):
    return float((a - b).norm() / b.norm())


def test_heat_matches_the_gaussian_closed_form():
    x = HEAT_GRID.points()
    u0 = torch.exp(-((x - 0.5) ** 2) / 2)[None]
    s = 1 + 2 * NU_HEAT * TIMES[:, None]
    exact = torch.exp(-((x - 0.5) ** 2) / (2 * s)) / torch.sqrt(s)
    assert _rel(solve_heat(u0, HEAT_GRID, TIMES, NU_HEAT)[0], exact) < 1e-12


def test_burgers_matches_cole_hopf():
    u0 = PeriodicGRF(amplitude=0.15, max_mode=8).sample(2, BURGERS_GRID, seed=0)
    u = solve_burgers(u0, BURGERS_GRID, BURGERS_TIMES, NU_BURGERS)
    exact = burgers_cole_hopf(u0, BURGERS_GRID, BURGERS_TIMES, NU_BURGERS, refine=16)
    assert _rel(u, exact) < 1e-8


@pytest.mark.parametrize("name,s", [("translate_x", 2.3), ("scale_u", 0.7), ("boost", -0.8),
                                    ("boost", 0.6)])
def test_moved_heat_solution_solves_the_moved_initial_condition(name, s):
    group = heat_ivp_subgroup(NU_HEAT)
    u0 = HermiteGRF().sample(4, HEAT_GRID, seed=1)
    g = group.flow(group.names.index(name), torch.full((4,), s, dtype=torch.float64))
    moved_solution = FieldAction(group, HEAT_GRID, TIMES)(g, solve_heat(u0, HEAT_GRID, TIMES,
                                                                        NU_HEAT))
    moved_ic = FieldAction(group, HEAT_GRID, strict=True)(g, u0)
    assert _rel(moved_solution, solve_heat(moved_ic, HEAT_GRID, TIMES, NU_HEAT)) < 1e-3


@pytest.mark.parametrize("name,s", [("translate_x", 0.37), ("boost", 1.2), ("boost", -0.7)])
def test_moved_burgers_solution_solves_the_moved_initial_condition(name, s):
    group = burgers_ivp_subgroup(NU_BURGERS)
    u0 = SMALL_GRF.sample(2, BURGERS_GRID, seed=2)
    g = group.flow(group.names.index(name), torch.full((2,), s, dtype=torch.float64))
    solution = solve_burgers(u0, BURGERS_GRID, BURGERS_TIMES, NU_BURGERS)
    moved_solution = FieldAction(group, BURGERS_GRID, BURGERS_TIMES)(g, solution)
    moved_ic = FieldAction(group, BURGERS_GRID)(g, u0)
    expected = solve_burgers(moved_ic, BURGERS_GRID, BURGERS_TIMES, NU_BURGERS)
    assert _rel(moved_solution, expected) < 1e-3


def test_solvers_reject_bad_input():
    u0 = HermiteGRF().sample(2, HEAT_GRID)
    with pytest.raises(ValueError, match="grid of 128 points"):
        solve_heat(u0[:, :64], HEAT_GRID, TIMES, NU_HEAT)
    bad = u0.clone()
    bad[0, 3] = math.nan
    with pytest.raises(ValueError, match="finite"):
        solve_heat(bad, HEAT_GRID, TIMES, NU_HEAT)
    with pytest.raises(ValueError, match="leave the domain"):
        solve_heat(u0 + 1.0, HEAT_GRID, TIMES, NU_HEAT)
    with pytest.raises(ValueError, match="periodic"):
        solve_burgers(u0, HEAT_GRID, TIMES, NU_BURGERS)
    with pytest.raises(ValueError, match="increasing"):
        solve_heat(u0, HEAT_GRID, [0.5, 0.1], NU_HEAT)
    with pytest.raises(ValueError, match="2-D"):
        solve_heat(u0[0], HEAT_GRID, TIMES, NU_HEAT)
