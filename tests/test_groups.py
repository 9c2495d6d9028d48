import math

import pytest
import torch

from lielac import groups
from lielac.groups import MatrixLieGroup

PRESETS = {
    "affine": (groups.affine, 6),
    "homography": (groups.homography, 8),
    "euclidean": (groups.euclidean, 3),
    "similarity": (groups.similarity, 4),
    "translation": (groups.translation, 2),
    "rotation": (groups.rotation, 1),
    "scaling": (groups.scaling, 1),
}


@pytest.mark.parametrize("name", PRESETS)
def test_preset_dim_and_exp_matches_matrix_exp(name):
    make, dim = PRESETS[name]
    group = make()
    assert group.dim == dim and group.generators.shape == (dim, 3, 3)
    a = torch.randn(5, dim, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    expected = torch.linalg.matrix_exp(
        torch.einsum("bk,kij->bij", a, group.generators.double())
    )
    torch.testing.assert_close(group.exp(a), expected)


def test_rotation_closed_form():
    theta = torch.tensor([[0.3], [-1.2], [math.pi]], dtype=torch.float64)
    g = groups.rotation().exp(theta)
    c, s = torch.cos(theta[:, 0]), torch.sin(theta[:, 0])
    expected = torch.zeros(3, 3, 3, dtype=torch.float64)
    expected[:, 0, 0], expected[:, 0, 1] = c, -s
    expected[:, 1, 0], expected[:, 1, 1] = s, c
    expected[:, 2, 2] = 1
    torch.testing.assert_close(g, expected)


def test_translation_and_scaling_closed_form():
    g = groups.translation().exp(torch.tensor([[0.25, -0.5]]))
    torch.testing.assert_close(g[0], torch.tensor([[1, 0, 0.25], [0, 1, -0.5], [0, 0, 1.]]))
    s = groups.scaling().exp(torch.tensor([[math.log(2.0)]]))
    torch.testing.assert_close(s[0], torch.diag(torch.tensor([2.0, 2.0, 1.0])))
    # the traceless homography scale acts projectively as scaling by e^s
    h = groups.homography()
    a = torch.zeros(1, 8, dtype=torch.float64)
    a[0, 3] = math.log(2.0)
    m = h.exp(a)[0]
    expected = torch.diag(torch.tensor([2.0, 2.0, 1.0], dtype=torch.float64))
    torch.testing.assert_close(m / m[2, 2], expected)


def test_homography_is_special_linear():
    h = groups.homography()
    g = h.random(10, 0.5, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(torch.linalg.det(g), torch.ones(10), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", ["affine", "homography"])
def test_log_inverts_exp(name):
    group = PRESETS[name][0]()
    a = 0.4 * torch.randn(8, group.dim, generator=torch.Generator().manual_seed(1))
    a = a.double()
    torch.testing.assert_close(group.log(group.exp(a)), a, atol=1e-8, rtol=1e-6)


def test_inverse_and_composition():
    group = groups.affine()
    gen = torch.Generator().manual_seed(2)
    g, h = group.random(4, 0.5, generator=gen), group.random(4, 0.5, generator=gen)
    eye = torch.eye(3).expand(4, 3, 3)
    torch.testing.assert_close(group.compose(g, group.inverse(g)), eye, atol=1e-5, rtol=0)
    # one-parameter flows compose additively
    s = torch.tensor([0.3, -0.2, 0.1, 0.5])
    torch.testing.assert_close(
        group.compose(group.flow(2, s), group.flow(2, s)), group.flow(2, 2 * s)
    )
    assert group.compose(g, h).shape == (4, 3, 3)


def test_random_is_seeded():
    group = groups.homography()
    a = group.random(3, 0.2, generator=torch.Generator().manual_seed(7))
    b = group.random(3, 0.2, generator=torch.Generator().manual_seed(7))
    torch.testing.assert_close(a, b)


def test_bad_generators():
    with pytest.raises(ValueError, match=r"\(k, n, n\)"):
        MatrixLieGroup(torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match="linearly independent"):
        MatrixLieGroup(torch.stack([torch.eye(3), 2 * torch.eye(3)]))
    with pytest.raises(TypeError):
        MatrixLieGroup([[1.0]])
    with pytest.raises(ValueError, match="finite"):
        MatrixLieGroup(torch.full((1, 2, 2), float("nan")))
    with pytest.raises(ValueError, match="names"):
        MatrixLieGroup(torch.eye(2)[None], names=("a", "b"))


def test_bad_coordinates():
    group = groups.affine()
    with pytest.raises(ValueError, match=r"\(B, 6\)"):
        group.exp(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="finite"):
        group.exp(torch.tensor([[float("nan")] * 6]))
    with pytest.raises(ValueError, match="generator index"):
        group.flow(6, torch.zeros(1))
    with pytest.raises(ValueError, match="distribution"):
        group.random(2, 0.1, distribution="cauchy")


def test_generators_must_close_under_the_bracket():
    e12 = torch.zeros(2, 2)
    e12[0, 1] = 1
    with pytest.raises(ValueError, match="closed under the bracket"):
        MatrixLieGroup(torch.stack([e12, e12.T]))
    # adding their bracket completes sl(2)
    MatrixLieGroup(torch.stack([e12, e12.T, torch.diag(torch.tensor([1.0, -1.0]))]))


def test_singular_and_mismatched_elements():
    group = groups.affine()
    with pytest.raises(ValueError, match="invertible"):
        group.inverse(torch.zeros(2, 3, 3))
    with pytest.raises(ValueError, match="invertible"):
        group.log(torch.zeros(1, 3, 3))
    with pytest.raises(ValueError, match="batch size 2"):
        group.compose(group.identity(2), group.identity(3))
    with pytest.raises(ValueError, match="non-negative"):
        group.random(2, -1.0)
