"""Argument checks shared by the library: each raises a typed error naming expected vs got."""

from __future__ import annotations

import torch


def check_tensor(value, name: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(value).__name__}")
    return value


def check_nonempty(value: torch.Tensor, name: str) -> None:
    if value.shape[0] == 0:
        raise ValueError(f"{name}: expected a non-empty batch, got shape {tuple(value.shape)}")


def check_finite(value: torch.Tensor, name: str) -> None:
    if not torch.isfinite(value).all():
        bad = int((~torch.isfinite(value)).sum())
        raise ValueError(f"{name}: expected finite values, got {bad} NaN or infinite entries")


def check_images(images, name: str = "images") -> None:
    """Images must be a finite, non-empty (B, C, H, W) floating tensor."""
    check_tensor(images, name)
    if images.ndim != 4:
        raise ValueError(
            f"{name}: expected a (B, C, H, W) tensor, got {images.ndim}-D shape "
            f"{tuple(images.shape)}"
        )
    if not images.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor, got {images.dtype}")
    check_nonempty(images, name)
    check_finite(images, name)


def check_matrices(g, n: int, name: str = "g", batch: int | None = None) -> None:
    """g must be a (B, n, n) (or broadcastable (1, n, n)) tensor."""
    check_tensor(g, name)
    if g.ndim != 3 or g.shape[-2:] != (n, n):
        raise ValueError(f"{name}: expected a (B, {n}, {n}) tensor, got {tuple(g.shape)}")
    if batch is not None and g.shape[0] not in (1, batch):
        raise ValueError(
            f"{name}: expected batch size {batch} (or 1) to match the data, got {g.shape[0]}"
        )


def check_batch(value, name: str) -> None:
    """A batch of data: a non-empty tensor with finite values and a leading batch axis."""
    check_tensor(value, name)
    if value.ndim < 1:
        raise ValueError(f"{name}: expected a batch with a leading batch axis, got a scalar")
    check_nonempty(value, name)
    if value.is_floating_point():
        check_finite(value, name)


def check_invertible(g: torch.Tensor, name: str = "g") -> None:
    """g must be a batch of invertible matrices (no zero determinant)."""
    det = torch.linalg.det(g.detach().double())
    if not (det.abs() > 1e-12).all():
        bad = int((det.abs() <= 1e-12).sum())
        raise ValueError(f"{name}: expected invertible matrices, got {bad} singular ones")
