import pytest
import torch

from lielac.groups.point import burgers_ivp_subgroup, heat_ivp_subgroup, heat_symmetries
from lielac.pde import FieldAction, Grid, HermiteGRF
from lielac.pde.actions import support_window

GRID = Grid(-12.0, 12.0, 128, periodic=False)
NU = 0.1


def test_initial_condition_action_matches_the_closed_form():
    group = heat_ivp_subgroup(NU)
    x = GRID.points()
    u0 = torch.exp(-x**2 / 2)[None].expand(2, -1)
    a = torch.tensor([[1.5, 0.3, 0.0], [0.0, 0.0, 0.7]], dtype=torch.float64)
    moved = FieldAction(group, GRID)(group.exp(a), u0)
    expected = torch.exp(torch.tensor(0.3, dtype=torch.float64)) * torch.exp(-(x - 1.5)**2 / 2)
    torch.testing.assert_close(moved[0], expected)
    torch.testing.assert_close(moved[1], torch.exp(-0.7 * x) * torch.exp(-x**2 / 2))


def test_spectral_resampling_at_arbitrary_points():
    grid = Grid(0.0, 1.0, 32, periodic=True)
    x = grid.points()
    u = torch.sin(2 * torch.pi * 3 * x) + torch.cos(2 * torch.pi * 5 * x)
    q = torch.rand(1, 50, dtype=torch.float64)
    expected = torch.sin(2 * torch.pi * 3 * q) + torch.cos(2 * torch.pi * 5 * q)
    torch.testing.assert_close(grid.interpolate(u[None], q), expected)
    torch.testing.assert_close(grid.shift(u[None], torch.tensor([0.25])),
                               grid.interpolate(u[None], (x - 0.25)[None]))


def test_action_is_a_group_action():
    group = heat_ivp_subgroup(NU)
    action = FieldAction(group, GRID)
    u0 = HermiteGRF().sample(3, GRID, seed=4)
    gen = torch.Generator().manual_seed(0)
    g = group.exp(0.5 * torch.randn(3, 3, generator=gen, dtype=torch.float64))
    h = group.exp(0.5 * torch.randn(3, 3, generator=gen, dtype=torch.float64))
    torch.testing.assert_close(action(g, action(h, u0)), action(group.compose(g, h), u0),
                               atol=1e-9, rtol=1e-7)
    torch.testing.assert_close(action(group.inverse(g), action(g, u0)), u0, atol=1e-8,
                               rtol=1e-7)


def test_bad_input_raises():
    group = heat_ivp_subgroup(NU)
    u0 = HermiteGRF().sample(2, GRID)
    far = group.flow(0, torch.tensor([0.0, 9.0], dtype=torch.float64))
    with pytest.raises(ValueError, match=r"entries \[1\] outside the domain"):
        FieldAction(group, GRID, strict=True)(far, u0)
    full = heat_symmetries(NU)
    dilate = full.flow(full.names.index("dilation"), torch.full((2,), 0.1, dtype=torch.float64))
    with pytest.raises(ValueError, match="moves t"):
        FieldAction(full, GRID)(dilate, u0)
    with pytest.raises(ValueError, match="grid of 128"):
        FieldAction(group, GRID)(group.identity(2), u0[:, :100])
    with pytest.raises(ValueError, match="time slices"):
        FieldAction(group, GRID, torch.tensor([0.1, 0.2]))(group.identity(2), u0[:, None])
    with pytest.raises(ValueError, match="elements"):
        FieldAction(group, GRID)(group.identity(3), u0)
    with pytest.raises(TypeError, match="PointSymmetryGroup"):
        FieldAction(burgers_ivp_subgroup, GRID)


def test_floor_keeps_the_support_window_and_drops_isolated_spikes():
    grid = Grid(-12.0, 12.0, 128, periodic=False)
    x = grid.points()
    bump = (x**2 - 1) * torch.exp(-x * x / 2)  # sign changes inside the data
    noisy = bump + 1e-2 * (x - 9.0).abs().lt(0.1).to(x.dtype)  # a spike far out
    mask = support_window(noisy[None], 1e-3)[0]
    inside = bump.abs() > 1e-2
    assert bool((mask[inside] == 1).all())
    assert float(mask[x > 8].sum()) == 0
    group = heat_ivp_subgroup(0.1)
    boost = group.flow(2, torch.tensor([-0.5], dtype=torch.float64))
    clean = FieldAction(group, grid)(boost, bump[None])
    cut = FieldAction(group, grid, floor=1e-3)(boost, noisy[None])
    assert float((cut - clean).norm() / clean.norm()) < 1e-3
    with pytest.raises(ValueError, match="floor"):
        FieldAction(group, grid, floor=-1.0)
