import pytest
import torch
from torch import nn

from lielac import Canonicalizer, Equivariant, Invariant, groups, testing
from lielac.actions import ImageWarp
from lielac.energies import TemplateEnergy
from lielac.priors import CoordinatePenalty

SCHEMES = {"retraction": (0.03, 120), "algebra": (0.03, 120), "coordinate": (0.1, 25)}
ORBIT_SCALE = torch.tensor([0.15, 0.15, 0.3, 0.15, 0.15, 0.15])


def _template(size=32):
    ys, xs = torch.meshgrid(
        torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij"
    )
    blob = torch.exp(-((xs - 0.1) ** 2 / 0.08 + (ys + 0.05) ** 2 / 0.03))
    return (blob + 0.6 * torch.exp(-((xs + 0.25) ** 2 + (ys - 0.2) ** 2) / 0.03))[None]


def _orbit(template, n, seed=1):
    g = groups.affine().random(n, ORBIT_SCALE, generator=torch.Generator().manual_seed(seed))
    return g, ImageWarp()(g, template[None].expand(n, *template.shape))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_orbit_points_reach_one_canonical_form(scheme):
    template = _template()
    g, orbit = _orbit(template, 12)
    lr, steps = SCHEMES[scheme]
    canon = Canonicalizer(
        groups.affine(), ImageWarp(), TemplateEnergy(template), scheme=scheme, lr=lr,
        steps=steps, restarts=2, restart_scale=0.1,
    )
    result = canon(orbit)
    assert result.x.shape == orbit.shape and result.g.shape == (12, 3, 3)
    assert result.energy.shape == (12,) and result.restart_energies.shape == (12, 3)
    # every orbit point is sent back to (nearly) the template, so g* g is the identity
    residual = (result.g @ g - torch.eye(3)).abs().amax(dim=(1, 2))
    assert residual.max() < 0.06
    spread = (result.x - result.x.mean(0, keepdim=True)).abs().amax(dim=(1, 2, 3))
    assert spread.max() < 0.1
    # the recorded canonical inputs are the action of the recorded elements
    torch.testing.assert_close(result.x, ImageWarp()(result.g, orbit))


def test_deterministic_under_seed():
    template = _template()
    _, orbit = _orbit(template, 4)
    make = lambda seed: Canonicalizer(  # noqa: E731
        groups.affine(), ImageWarp(), TemplateEnergy(template), steps=10, restarts=3,
        seed=seed,
    )
    torch.testing.assert_close(make(0)(orbit).g, make(0)(orbit).g)
    assert not torch.equal(make(0).restart_coordinates(), make(1).restart_coordinates())


def test_chunking_matches_single_batch():
    template = _template()
    _, orbit = _orbit(template, 6)
    kwargs = dict(steps=15, restarts=1, lr=0.05)
    whole = Canonicalizer(groups.affine(), ImageWarp(), TemplateEnergy(template), **kwargs)
    parts = Canonicalizer(
        groups.affine(), ImageWarp(), TemplateEnergy(template), chunk_size=4, **kwargs
    )
    torch.testing.assert_close(whole(orbit).g, parts(orbit).g, atol=1e-5, rtol=1e-5)


def test_prior_keeps_non_compact_direction_bounded():
    # Shrinking a positive image lowers this energy without bound; the prior stops it.
    template = _template()
    energy = lambda y: y.flatten(1).sum(1)  # noqa: E731
    prior = CoordinatePenalty(groups.scaling(), 10.0)
    free = Canonicalizer(groups.scaling(), ImageWarp(), energy, steps=60, lr=0.1)
    held = Canonicalizer(groups.scaling(), ImageWarp(), energy, steps=60, lr=0.1, prior=prior)
    a_free = groups.scaling().log(free(template[None]).g)
    a_held = groups.scaling().log(held(template[None]).g)
    assert a_free[0, 0] < -1.0 and -1.0 < a_held[0, 0] < 0.0


def test_invariant_wrapper_gives_same_prediction_on_orbit():
    template = _template()
    _, orbit = _orbit(template, 8)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(32 * 32, 10))
    canon = Canonicalizer(
        groups.affine(), ImageWarp(), TemplateEnergy(template), scheme="algebra",
        lr=0.03, steps=120, restarts=2, restart_scale=0.1,
    )
    invariant = Invariant(model, canon)
    with torch.no_grad():
        out = invariant(orbit)
        direct = model(orbit)
    assert (out.argmax(1) == out[0].argmax()).all()
    assert (out - out[0]).abs().max() < 0.05 * out.abs().max()
    assert (direct - direct[0]).abs().max() > (out - out[0]).abs().max()
    # gradients flow to the input through the final warp
    x = orbit[:2].clone().requires_grad_(True)
    invariant(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_equivariant_wrapper_and_testing_tools():
    template = _template()
    _, orbit = _orbit(template, 6)
    canon = Canonicalizer(
        groups.translation(), ImageWarp(), TemplateEnergy(template), scheme="algebra",
        lr=0.02, steps=80,
    )
    # the identity model is equivariant after wrapping: g*^{-1} . (g* . x) = x
    wrapped = Equivariant(nn.Identity(), canon, ImageWarp())
    x = ImageWarp()(groups.translation().random(6, 0.1, generator=torch.Generator()), orbit)
    errors = testing.assert_equivariant(
        wrapped, groups.translation(), ImageWarp(), ImageWarp(), x, rtol=0.1, scale=0.1
    )
    assert errors.shape == (6,)
    with pytest.raises(AssertionError, match="invariance error above"):
        testing.assert_invariant(nn.Identity(), groups.translation(), ImageWarp(), x,
                                 rtol=1e-3, scale=0.2)
    assert testing.prediction_agreement(
        nn.Flatten(), groups.translation(), ImageWarp(), x, scale=0.0
    ) == 1.0


def test_bad_arguments():
    template = _template()
    energy = TemplateEnergy(template)
    group, warp = groups.affine(), ImageWarp()
    with pytest.raises(ValueError, match="unknown descent scheme 'newton'"):
        Canonicalizer(group, warp, energy, scheme="newton")
    with pytest.raises(TypeError, match="LieGroup"):
        Canonicalizer("affine", warp, energy)
    with pytest.raises(TypeError, match="energy"):
        Canonicalizer(group, warp, 3.0)
    with pytest.raises(ValueError, match="steps"):
        Canonicalizer(group, warp, energy, steps=-1)
    with pytest.raises(ValueError, match=r"\(6,\)"):
        Canonicalizer(group, warp, energy, restart_scale=torch.ones(5))
    canon = Canonicalizer(group, warp, energy, steps=2)
    with pytest.raises(ValueError, match="non-empty"):
        canon(torch.zeros(0, 1, 32, 32))
    with pytest.raises(ValueError, match="finite"):
        canon(torch.full((2, 1, 32, 32), float("nan")))
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        canon(torch.zeros(2, 32, 32))
    with pytest.raises(ValueError, match="energy: expected a \\(2,\\) tensor"):
        Canonicalizer(group, warp, lambda y: y.sum(), steps=1)(torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match="no start reached a finite objective"):
        nan_energy = lambda y: torch.full((y.shape[0],), float("nan"))  # noqa: E731
        Canonicalizer(group, warp, nan_energy, steps=1)(torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match="shape"):
        energy(torch.zeros(1, 1, 8, 8))
    with pytest.raises(ValueError, match="lr"):
        Canonicalizer(group, warp, energy, lr=None)
    with pytest.raises(ValueError, match=r"prior: expected a \(2,\) tensor"):
        bad_prior = lambda g: torch.zeros(1)  # noqa: E731
        Canonicalizer(group, warp, energy, steps=1, prior=bad_prior)(torch.zeros(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"init: expected \(2, 3, 3\)"):
        bad_init = lambda x: torch.eye(2).repeat(2, 1, 1)  # noqa: E731
        Canonicalizer(group, warp, energy, steps=1, init=bad_init)(torch.zeros(2, 1, 32, 32))


def test_flat_energy_is_reported(caplog):
    constant = lambda y: y.flatten(1).sum(1) * 0  # noqa: E731
    canon = Canonicalizer(groups.affine(), ImageWarp(), constant, steps=3)
    with caplog.at_level("WARNING", logger="lielac.descent"):
        canon(torch.rand(2, 1, 8, 8))
    assert "exactly zero at every step" in caplog.text
