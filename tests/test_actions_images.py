import pytest
import torch

from lielac import groups
from lielac.actions import ImageWarp, normalized_grid, normalized_to_pixel, pixel_to_normalized


def test_grid_is_pixel_centres():
    grid = normalized_grid(4, 2)
    assert grid.shape == (4, 2, 3)
    torch.testing.assert_close(grid[0, 0], torch.tensor([-0.5, -0.75, 1.0]))
    torch.testing.assert_close(grid[3, 1], torch.tensor([0.5, 0.75, 1.0]))
    x, y = pixel_to_normalized(torch.tensor(3.0), torch.tensor(1.0), 8, 5)
    col, row = normalized_to_pixel(x, y, 8, 5)
    assert float(col) == pytest.approx(3.0) and float(row) == pytest.approx(1.0)


def test_identity_warp(smooth_image):
    images = smooth_image[None].repeat(3, 1, 1, 1)
    for mode in ("bilinear", "bicubic", "nearest"):
        out = ImageWarp(mode)(torch.eye(3).expand(3, 3, 3), images)
        assert (out - images).abs().max() < 1e-6


def test_translation_moves_content_forward():
    image = torch.zeros(1, 1, 8, 8)
    image[..., 2, 3] = 1.0
    one_pixel_right = torch.tensor([[[1, 0, 2 / 8], [0, 1, 0], [0, 0, 1.0]]])
    out = ImageWarp()(one_pixel_right, image)
    assert out[0, 0, 2, 4] == pytest.approx(1.0) and out.sum() == pytest.approx(1.0)
    one_pixel_down = torch.tensor([[[1, 0, 0], [0, 1, 2 / 8], [0, 0, 1.0]]])
    assert ImageWarp()(one_pixel_down, image)[0, 0, 3, 3] == pytest.approx(1.0)


def test_warp_composition(smooth_image):
    group = groups.homography()
    gen = torch.Generator().manual_seed(0)
    g, h = group.random(4, 0.1, generator=gen), group.random(4, 0.1, generator=gen)
    images = smooth_image[None].repeat(4, 1, 1, 1)
    warp = ImageWarp()
    twice = warp(h, warp(g, images))
    once = warp(h @ g, images)
    assert (twice - once).abs().max() < 0.03  # two bilinear resamplings vs one
    assert (twice - once).abs().mean() < 2e-3


def test_projective_scale_invariance(smooth_image):
    g = groups.homography().random(2, 0.2, generator=torch.Generator().manual_seed(1))
    images = smooth_image[None].repeat(2, 1, 1, 1)
    torch.testing.assert_close(ImageWarp()(g, images), ImageWarp()(3.0 * g, images))


def test_out_size_and_dtype(smooth_image):
    out = ImageWarp(out_size=(16, 20))(torch.eye(3)[None], smooth_image[None].double())
    assert out.shape == (1, 1, 16, 20) and out.dtype == torch.float64


def test_gradcheck():
    gen = torch.Generator().manual_seed(0)
    image = torch.rand(2, 1, 6, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    g = groups.affine().random(2, 0.1, generator=gen, dtype=torch.float64)
    g = g.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda m, x: ImageWarp()(m, x), (g, image))


def test_bad_inputs():
    warp = ImageWarp()
    eye = torch.eye(3)[None]
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        warp(eye, torch.zeros(1, 8, 8))
    with pytest.raises(ValueError, match="non-empty"):
        warp(eye, torch.zeros(0, 1, 8, 8))
    with pytest.raises(ValueError, match="finite"):
        warp(eye, torch.full((1, 1, 4, 4), float("nan")))
    with pytest.raises(ValueError, match=r"\(B, 3, 3\)"):
        warp(torch.eye(2)[None], torch.zeros(1, 1, 4, 4))
    with pytest.raises(ValueError, match="batch size"):
        warp(eye.repeat(3, 1, 1), torch.zeros(2, 1, 4, 4))
    with pytest.raises(TypeError, match="floating"):
        warp(eye, torch.zeros(1, 1, 4, 4, dtype=torch.uint8))
    with pytest.raises(ValueError, match="mode"):
        ImageWarp("lanczos")
    with pytest.raises(ValueError, match="out_size"):
        ImageWarp(out_size=(0, 5))
    with pytest.raises(ValueError, match="invertible"):
        warp(torch.zeros(1, 3, 3), torch.zeros(1, 1, 4, 4))
