import torch
import pytest


@pytest.fixture
def smooth_image():
    """A smooth, asymmetric (1, 64, 64) image that vanishes near the border."""
    size = 64
    ys, xs = torch.meshgrid(
        torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij"
    )
    blob = torch.exp(-((xs - 0.1) ** 2 / 0.08 + (ys + 0.05) ** 2 / 0.03))
    blob = blob + 0.6 * torch.exp(-((xs + 0.25) ** 2 + (ys - 0.2) ** 2) / 0.02)
    return blob[None]
