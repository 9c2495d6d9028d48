"""The action of planar projective maps on images, and the image coordinate convention.

This module is the one place that fixes how a (3, 3) matrix moves an image. Every warp in
lielac goes through :class:`ImageWarp` or :func:`normalized_grid`.

Convention
----------
* A point of the image plane is ``(x, y, 1)`` in normalised coordinates: the canvas spans
  ``[-1, 1]`` in both axes, ``x`` grows to the right (along columns) and ``y`` grows downward
  (along rows).
* Pixel ``(row i, column j)`` of an ``H x W`` image sits at its centre,
  ``x = (2 j + 1) / W - 1`` and ``y = (2 i + 1) / H - 1`` (``align_corners=False`` in PyTorch).
* A matrix ``g`` moves the content of an image forward by ``g``:
  ``(g . I)(p) = I(g^{-1} p)`` with the projective division by the third coordinate. Hence
  warping by ``g`` and then by ``h`` equals warping once by ``h @ g``.
* Outside the canvas an image is zero.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from lielac._checks import check_finite, check_images, check_invertible, check_matrices

__all__ = [
    "ImageWarp",
    "center_of_mass",
    "centering_translation",
    "normalized_grid",
    "normalized_to_pixel",
    "pixel_to_normalized",
]

_MODES = ("bilinear", "bicubic", "nearest")


def normalized_grid(
    height: int, width: int, *, dtype: torch.dtype = torch.float32, device=None
) -> torch.Tensor:
    """Homogeneous normalised coordinates of the pixel centres.

    Returns:
        Tensor of shape (H, W, 3) holding ``(x, y, 1)`` for every pixel.
    """
    xs = (2 * torch.arange(width, dtype=dtype, device=device) + 1) / width - 1
    ys = (2 * torch.arange(height, dtype=dtype, device=device) + 1) / height - 1
    y, x = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([x, y, torch.ones_like(x)], dim=-1)


def pixel_to_normalized(
    col: torch.Tensor, row: torch.Tensor, height: int, width: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Map (fractional) pixel indices to normalised ``(x, y)``; index ``j`` is pixel centre j."""
    return (2 * col + 1) / width - 1, (2 * row + 1) / height - 1


def normalized_to_pixel(
    x: torch.Tensor, y: torch.Tensor, height: int, width: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverse of :func:`pixel_to_normalized`: returns ``(col, row)``."""
    return ((x + 1) * width - 1) / 2, ((y + 1) * height - 1) / 2


class ImageWarp:
    """Differentiable action of (B, 3, 3) matrices on (B, C, H, W) images.

    ``ImageWarp()(g, images)`` returns ``g . images`` under the module's convention: the
    content moves forward by ``g``. Sampling uses :func:`torch.nn.functional.grid_sample`.

    Args:
        mode: interpolation kernel, one of ``"bilinear"``, ``"bicubic"``, ``"nearest"``.
        out_size: optional ``(H_out, W_out)`` of the result; the output canvas also spans
            ``[-1, 1]``, so a smaller size is a resampling of the same window.

    Example:
        >>> import torch
        >>> warp = ImageWarp()
        >>> img = torch.rand(2, 1, 8, 8)
        >>> torch.allclose(warp(torch.eye(3).expand(2, 3, 3), img), img, atol=1e-6)
        True
    """

    def __init__(self, mode: str = "bilinear", out_size: tuple[int, int] | None = None):
        if mode not in _MODES:
            raise ValueError(f"unknown interpolation mode {mode!r}; expected one of {_MODES}")
        if out_size is not None and (
            len(out_size) != 2 or not all(isinstance(v, int) and v > 0 for v in out_size)
        ):
            raise ValueError(f"out_size: expected two positive ints (H, W), got {out_size!r}")
        self.mode = mode
        self.out_size = out_size
        self._grid_cache: dict = {}

    def _grid(self, height: int, width: int, dtype, device) -> torch.Tensor:
        key = (height, width, dtype, str(device))
        if key not in self._grid_cache:
            self._grid_cache[key] = normalized_grid(height, width, dtype=dtype, device=device)
        return self._grid_cache[key]

    def __call__(self, g: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
        check_images(images, "images")
        check_matrices(g, 3, "g", batch=images.shape[0])
        check_finite(g, "g")
        check_invertible(g, "g")
        batch = images.shape[0]
        height, width = self.out_size or images.shape[-2:]
        dtype = torch.promote_types(images.dtype, g.dtype)

        grid = self._grid(height, width, dtype, images.device).reshape(1, -1, 3)
        g_inv = torch.linalg.inv(g.to(dtype).expand(batch, 3, 3))
        source = grid @ g_inv.transpose(1, 2)  # (B, H*W, 3): g^{-1} p for every pixel p
        w = source[..., 2:]
        # A point sent to (or behind) the line at infinity has no preimage on the canvas.
        w = torch.where(w.abs() < 1e-8, torch.full_like(w, 1e-8), w)
        source = (source[..., :2] / w).reshape(batch, height, width, 2)
        return F.grid_sample(
            images.to(dtype), source, mode=self.mode, padding_mode="zeros", align_corners=False
        )

    def __repr__(self) -> str:
        return f"ImageWarp(mode={self.mode!r}, out_size={self.out_size})"


def _centre_and_mass(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 2) centres of mass (origin where there is no mass) and the (B,) has-mass mask."""
    check_images(images, "images")
    grid = normalized_grid(images.shape[-2], images.shape[-1], dtype=images.dtype,
                           device=images.device)
    mass = images.clamp_min(0).sum(dim=1)  # (B, H, W)
    total = mass.sum(dim=(1, 2))
    safe = total.clamp_min(1e-12)
    centre = torch.stack([(mass * grid[..., 0]).sum(dim=(1, 2)) / safe,
                          (mass * grid[..., 1]).sum(dim=(1, 2)) / safe], dim=1)
    has_mass = total > 0
    return torch.where(has_mass[:, None], centre, torch.zeros_like(centre)), has_mass


def center_of_mass(images: torch.Tensor) -> torch.Tensor:
    """(B, 2) centre of mass ``(x, y)`` of each image in normalised coordinates.

    Mass is the clamped-positive intensity summed over channels; an image without mass has
    its centre at the origin.
    """
    return _centre_and_mass(images)[0]


def centering_translation(
    images: torch.Tensor, target: tuple[float, float] | torch.Tensor = (0.0, 0.0)
) -> torch.Tensor:
    """(B, 3, 3) translations that move each image's centre of mass to ``target``.

    Args:
        images: (B, C, H, W) images.
        target: ``(x, y)`` in normalised coordinates; the canvas centre by default. Use the
            mean centre of mass of a model's training images to put inputs where that model
            expects them. Images without mass get the identity.
    """
    centre, has_mass = _centre_and_mass(images)
    target = torch.as_tensor(target, dtype=images.dtype, device=images.device)
    if target.shape != (2,):
        raise ValueError(f"target: expected (x, y), got shape {tuple(target.shape)}")
    shift = torch.where(has_mass[:, None], target - centre, torch.zeros_like(centre))
    g = torch.eye(3, dtype=images.dtype, device=images.device).repeat(images.shape[0], 1, 1)
    g[:, :2, 2] = shift
    return g
