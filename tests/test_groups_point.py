import math

import pytest
import torch

from lielac.groups.point import (
    FlowTimePrior,
    FlowWord,
    PointSymmetryGroup,
    burgers_ivp_subgroup,
    burgers_symmetries,
    heat_ivp_subgroup,
    heat_symmetries,
)

NU_HEAT, NU_BURGERS = 0.3, 0.1
PRESETS = {
    "heat": lambda: heat_symmetries(NU_HEAT),
    "burgers": lambda: burgers_symmetries(NU_BURGERS),
}


def _points(n=50, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(1, n, generator=gen, dtype=torch.float64) * 2 - 1
    t = torch.rand(1, n, generator=gen, dtype=torch.float64) * 0.3 + 0.1
    u = torch.rand(1, n, generator=gen, dtype=torch.float64) + 0.5
    return x, t, u


@pytest.mark.parametrize("preset", PRESETS)
def test_flow_is_the_flow_of_the_vector_field(preset):
    group = PRESETS[preset]()
    x, t, u = _points()
    h = 1e-5
    for i, gen in enumerate(group.generators):
        for s0 in (0.0, 0.2, -0.15):
            s = torch.tensor([[s0]], dtype=torch.float64)
            plus = gen.flow(s + h, x, t, u)
            minus = gen.flow(s - h, x, t, u)
            here = gen.flow(s, x, t, u)
            field = gen.field(*here)
            for d, (p, m) in enumerate(zip(plus, minus)):
                derivative = (p - m) / (2 * h)
                torch.testing.assert_close(
                    derivative, torch.broadcast_to(field[d], derivative.shape),
                    rtol=1e-6, atol=1e-7, msg=f"{gen.name} component {d} at s={s0}",
                )


@pytest.mark.parametrize("preset", PRESETS)
def test_flows_form_one_parameter_groups(preset):
    group = PRESETS[preset]()
    x, t, u = _points()
    a, b = torch.tensor([0.13], dtype=torch.float64), torch.tensor([-0.31], dtype=torch.float64)
    for i in range(group.dim):
        two = group.compose(group.flow(i, a), group.flow(i, b))
        assert len(two) == 1  # neighbouring flows of one generator merge
        one = group.flow(i, a + b)
        for p, q in zip(group.transform_points(two, x, t, u), group.transform_points(one, x, t, u)):
            torch.testing.assert_close(p, q)
        zero = group.transform_points(group.flow(i, torch.zeros(1, dtype=torch.float64)), x, t, u)
        for p, q in zip(zero, torch.broadcast_tensors(x, t, u)):
            torch.testing.assert_close(p, q)


def _heat_solution(x, t, nu=NU_HEAT):
    out = torch.zeros_like(x)
    for a, c, t0 in ((1.0, 0.2, 0.4), (-0.6, -0.5, 0.3), (0.8, 0.9, 0.6)):
        tt = t + t0
        out = out + a / torch.sqrt(4 * math.pi * nu * tt) * torch.exp(-(x - c) ** 2 / (4 * nu * tt))
    return out


def _burgers_solution(x, t, nu=NU_BURGERS):
    """Cole-Hopf: u = -2 nu phi_x / phi with phi = 1 + sum of heat kernels."""
    phi = torch.ones_like(x)
    phi_x = torch.zeros_like(x)
    for a, c, t0 in ((0.8, 0.1, 0.3), (0.5, -0.4, 0.2)):
        tt = t + t0
        g = a / torch.sqrt(4 * math.pi * nu * tt) * torch.exp(-(x - c) ** 2 / (4 * nu * tt))
        phi = phi + g
        phi_x = phi_x - g * (x - c) / (2 * nu * tt)
    return -2 * nu * phi_x / phi


def _residual(fn, pde, x, t, h=2e-4):
    u = fn(x, t)
    u_t = (fn(x, t + h) - fn(x, t - h)) / (2 * h)
    u_x = (fn(x + h, t) - fn(x - h, t)) / (2 * h)
    u_xx = (fn(x + h, t) - 2 * u + fn(x - h, t)) / h**2
    if pde == "heat":
        terms = (u_t, NU_HEAT * u_xx)
        return (u_t - NU_HEAT * u_xx).abs().max() / max(float(t.abs().max()) for t in terms)
    terms = (u_t, u * u_x, NU_BURGERS * u_xx)
    res = u_t + u * u_x - NU_BURGERS * u_xx
    return res.abs().max() / max(float(t.abs().max()) for t in terms)


@pytest.mark.parametrize("preset", PRESETS)
def test_every_generator_maps_solutions_to_solutions(preset):
    group = PRESETS[preset]()
    fn = _heat_solution if preset == "heat" else _burgers_solution
    x = torch.linspace(-1, 1, 41, dtype=torch.float64)[None]
    t = torch.full_like(x, 0.3)
    assert _residual(fn, preset, x, t) < 1e-5
    for i, name in enumerate(group.names):
        g = group.flow(i, torch.tensor([0.2], dtype=torch.float64))
        moved = group.transform_function(g, fn)
        assert _residual(moved, preset, x, t) < 1e-5, name
    # a word of several flows too
    g = group.exp(torch.full((1, group.dim), 0.1, dtype=torch.float64))
    assert _residual(group.transform_function(g, fn), preset, x, t) < 1e-5
    # and the check has teeth: a map that is not a symmetry fails it
    other = heat_symmetries(NU_HEAT) if preset == "burgers" else burgers_symmetries(NU_BURGERS)
    wrong = other.flow(other.names.index("boost"), torch.tensor([0.5], dtype=torch.float64))
    assert _residual(other.transform_function(wrong, fn), preset, x, t) > 1e-2


def test_compose_inverse_and_exp_order():
    group = heat_symmetries(NU_HEAT)
    gen = torch.Generator().manual_seed(1)
    a = 0.2 * torch.randn(3, group.dim, generator=gen, dtype=torch.float64)
    g = group.exp(a)
    assert isinstance(g, FlowWord) and g.indices == tuple(range(group.dim))
    x, t, u = (p.expand(3, -1) for p in _points())
    back = group.transform_points(group.compose(group.inverse(g), g), x, t, u)
    for p, q in zip(back, (x, t, u)):
        torch.testing.assert_close(p, q)
    # exp applies generator 0 first: exp(a) = flow(k-1) ... flow(0)
    h = group.flow(0, a[:, 0])
    for i in range(1, group.dim):
        h = group.compose(group.flow(i, a[:, i]), h)
    for p, q in zip(group.transform_points(h, x, t, u), group.transform_points(g, x, t, u)):
        torch.testing.assert_close(p, q)


def test_where_select_and_cat_keep_the_right_entries():
    group = burgers_ivp_subgroup()
    g = group.flow(0, torch.tensor([0.1, 0.2, 0.3]))
    h = group.flow(1, torch.tensor([1.0, 2.0, 3.0]))
    mixed = group.where(torch.tensor([True, False, True]), g, h)
    torch.testing.assert_close(
        group.flow_times(mixed), torch.tensor([[0.1, 0.0], [0.0, 2.0], [0.3, 0.0]])
    )
    both = group.cat([g, group.select(h, torch.tensor([2]))])
    assert group.batch_size(both) == 4
    torch.testing.assert_close(group.flow_times(both)[3], torch.tensor([0.0, 3.0]))


def test_ivp_subgroups_fix_time_and_close_under_brackets():
    heat = heat_ivp_subgroup(NU_HEAT)
    assert heat.names == ("translate_x", "scale_u", "boost")
    assert burgers_ivp_subgroup().names == ("translate_x", "boost")
    g = heat.exp(torch.tensor([[0.5, 0.3, -0.4]], dtype=torch.float64))
    assert not heat.moves_time(g)
    # [translate_x, boost] = -scale_u: boost(e) translate(a) = scale(-e a) translate(a) boost(e)
    x, t, u = _points()
    a, e = torch.tensor([0.5], dtype=torch.float64), torch.tensor([0.3], dtype=torch.float64)
    lhs = heat.compose(heat.flow(2, e), heat.flow(0, a))
    rhs = heat.compose(heat.flow(1, -e * a), heat.compose(heat.flow(0, a), heat.flow(2, e)))
    for p, q in zip(heat.transform_points(lhs, x, t, u), heat.transform_points(rhs, x, t, u)):
        torch.testing.assert_close(p, q)


def test_gradients_reach_flows_at_time_zero():
    # retraction descent differentiates exp(a) g at a = 0: the zero flows must stay in the word
    group = heat_ivp_subgroup(NU_HEAT)
    x, t, u = _points(8)
    start = group.exp(torch.tensor([[0.3, 0.2, 0.1]], dtype=torch.float64))
    a = torch.zeros(1, 3, dtype=torch.float64, requires_grad=True)
    moved = group.transform_points(group.compose(group.exp(a), start), x, t, u)
    (grad,) = torch.autograd.grad(moved[0].sum() + moved[2].sum(), a)
    assert bool((grad != 0).all())
    assert len(group.compose(group.exp(a.detach()), start)) == 3  # unused flows dropped


def test_prior_penalises_flow_time():
    group = heat_ivp_subgroup(NU_HEAT)
    prior = FlowTimePrior(group, [1.0, 2.0, 0.0])
    g = group.exp(torch.tensor([[1.0, 1.0, 5.0], [0.0, 0.0, 0.0]]))
    torch.testing.assert_close(prior(g), torch.tensor([3.0, 0.0]))
    with pytest.raises(ValueError, match="weights"):
        FlowTimePrior(group, [1.0, -1.0, 0.0])


def test_bad_input_raises():
    group = heat_symmetries(NU_HEAT)
    with pytest.raises(ValueError, match="unknown generators"):
        group.subgroup(("translate_x", "rotate"))
    with pytest.raises(ValueError, match="index"):
        group.flow(7, torch.zeros(1))
    with pytest.raises(ValueError, match="pole"):
        g = group.flow(group.names.index("projective"), torch.tensor([10.0], dtype=torch.float64))
        group.transform_points(g, *_points())
    with pytest.raises(ValueError, match="positive"):
        heat_symmetries(-1.0)
    with pytest.raises(ValueError, match="batch"):
        group.compose(group.identity(2), group.identity(3))
    with pytest.raises(ValueError):
        PointSymmetryGroup([])
