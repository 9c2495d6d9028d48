"""Base models that lielac makes invariant: the digit classifier of the MNIST benchmarks."""

from lielac.models.digits import DigitCNN, predict, train_classifier

__all__ = ["DigitCNN", "predict", "train_classifier"]
