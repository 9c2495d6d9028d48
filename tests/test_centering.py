import pytest
import torch

from lielac.actions import ImageWarp, center_of_mass, centering_translation


def test_centering_moves_mass_to_centre():
    image = torch.zeros(2, 1, 20, 20)
    image[0, 0, 2:5, 3:6] = 1.0
    image[1, 0, 14:18, 12:15] = 0.5
    g = centering_translation(image)
    assert g.shape == (2, 3, 3)
    centred = ImageWarp()(g, image)
    again = centering_translation(centred)
    torch.testing.assert_close(again[:, :2, 2], torch.zeros(2, 2), atol=1e-5, rtol=0)
    torch.testing.assert_close(centred.sum(dim=(1, 2, 3)), image.sum(dim=(1, 2, 3)))


def test_empty_image_gets_identity():
    g = centering_translation(torch.zeros(1, 1, 8, 8))
    torch.testing.assert_close(g[0], torch.eye(3))
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        centering_translation(torch.zeros(8, 8))


def test_centering_to_a_target():
    image = torch.zeros(1, 1, 20, 20)
    image[0, 0, 2:5, 3:6] = 1.0
    target = torch.tensor([0.05, -0.1])
    moved = ImageWarp()(centering_translation(image, target), image)
    torch.testing.assert_close(center_of_mass(moved)[0], target, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match=r"\(x, y\)"):
        centering_translation(image, (0.0, 0.0, 1.0))
