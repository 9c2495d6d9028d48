"""A plain convolutional digit classifier for (B, 1, 40, 40) images, and its training.

Trained on clean, centred digits only (no augmentation): the model LieLAC wraps.
"""

from __future__ import annotations

import torch
from torch import nn

from lielac._checks import check_images
from lielac.training import fit

__all__ = ["DigitCNN", "train_classifier", "predict"]


class DigitCNN(nn.Module):
    """Three conv/pool blocks and a linear head; (B, 1, 40, 40) images in [0, 1] -> (B, 10)
    logits. Small on purpose: it trains in a few minutes on two CPU cores."""

    def __init__(self, width: int = 16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2 * width, 4 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(4 * width * 25, 128), nn.ReLU(),
            nn.Linear(128, 10),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


def train_classifier(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    epochs: int = 3,
    batch_size: int = 128,
    lr: float = 2e-3,
    seed: int = 0,
    progress: bool = False,
) -> nn.Module:
    """Train ``model`` with Adam and a one-cycle schedule on (N, 1, H, W) images, (N,) labels;
    returns it in eval mode."""
    check_images(images, "images")
    if labels.shape != (images.shape[0],):
        raise ValueError(
            f"labels: expected shape ({images.shape[0]},), got {tuple(labels.shape)}"
        )

    def batch_loss(index: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return nn.functional.cross_entropy(model(images[index]), labels[index])

    return fit(model, images.shape[0], batch_loss, epochs=epochs, batch_size=batch_size, lr=lr,
               seed=seed, desc="train classifier", progress=progress)


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """(N,) predicted classes for (N, 1, H, W) images, in eval mode."""
    model.eval()
    return torch.cat(
        [model(images[i:i + batch_size]).argmax(1) for i in range(0, images.shape[0], batch_size)]
    )
