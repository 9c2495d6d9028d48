"""Seeded perturbed MNIST test sets on a 40 x 40 canvas: plain, affNIST-style and homographic.

Every map is a (3, 3) matrix in the normalised coordinates of :mod:`lielac.actions.images`:
the canvas spans ``[-1, 1]`` in both axes, ``x`` grows to the right, ``y`` grows downward, the
origin is the canvas centre, and a matrix moves image content forward. All random maps are
therefore about the canvas centre; on the square canvas one normalised unit is 20 pixels along
either axis, so rotations and shears in these coordinates are the same in pixels.

The affNIST protocol (Tieleman's affNIST description) draws, independently per digit,

* a rotation angle ``theta`` uniform in ``[-20, 20]`` degrees,
* a shear ``s`` uniform in ``[-0.2, 0.2]``,
* horizontal and vertical scale factors ``sx``, ``sy`` each uniform in ``[0.8, 1.2]``,

and lielac composes them as ``L = R(theta) @ H(s) @ diag(sx, sy)`` (scale first, then shear,
then rotation), with ``R(theta) = [[cos, -sin], [sin, cos]]`` (positive angles turn +x towards
+y, i.e. clockwise on screen since y points down) and ``H(s) = [[1, s], [0, 1]]``
(``x -> x + s y``). The homographic set applies a perspective map first,
``P = [[1, 0, 0], [0, 1, 0], [p1, p2, 1]]`` with ``p1``, ``p2`` uniform in ``[-0.15, 0.15]``,
then ``L``; so the matrix ``[[L, 0], [p, 1]]`` carries ``p`` unchanged in its bottom row.

:func:`perturb` then draws a translation that keeps all ink on the canvas and composes it on
the left, so each perturbed digit is one bilinear resampling of the centred original by the
returned matrix ``T @ g``. "All ink on the canvas" is meant exactly: the bilinear interpolant
of the warped digit vanishes outside the canvas square, so nothing is clipped.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from lielac._checks import check_finite, check_images, check_matrices, check_tensor
from lielac.actions.images import ImageWarp, normalized_to_pixel, pixel_to_normalized

__all__ = [
    "PerturbedSet",
    "TEST_SETS",
    "affnist_matrices",
    "center_on_canvas",
    "homnist_matrices",
    "make_test_set",
    "perturb",
]

logger = logging.getLogger(__name__)

CANVAS = 40
MAX_ROTATION_DEG = 20.0
MAX_SHEAR = 0.2
SCALE_RANGE = (0.8, 1.2)
MAX_PERSPECTIVE = 0.15
TEST_SETS = ("mnist", "affnist", "homnist")

_CHUNK = 1000
_EPS_PX = 1e-3  # safety margin (pixels) against round-off in the float32 warp


def center_on_canvas(images: torch.Tensor, canvas: int = CANVAS) -> torch.Tensor:
    """Paste (N, H, W) digits in the middle of a ``canvas x canvas`` zero canvas.

    Args:
        images: (N, H, W) tensor, ``uint8`` in 0..255 (scaled by 1/255) or floating in [0, 1];
            28 x 28 MNIST digits get a 6-pixel border on the 40 x 40 canvas.
        canvas: side of the square output canvas, at least ``max(H, W)``.

    Returns:
        (N, 1, canvas, canvas) float32 tensor in [0, 1].
    """
    check_tensor(images, "images")
    if images.ndim != 3:
        raise ValueError(f"images: expected a (N, H, W) tensor, got {tuple(images.shape)}")
    height, width = images.shape[-2:]
    if canvas < max(height, width):
        raise ValueError(
            f"canvas: expected at least the digit size {max(height, width)}, got {canvas}"
        )
    if images.dtype == torch.uint8:
        digits = images.to(torch.float32) / 255.0
    elif images.is_floating_point():
        digits = images.to(torch.float32)
    else:
        raise TypeError(f"images: expected uint8 or floating point, got {images.dtype}")

    top, left = (canvas - height) // 2, (canvas - width) // 2
    out = digits.new_zeros(images.shape[0], 1, canvas, canvas)
    out[:, 0, top:top + height, left:left + width] = digits
    return out


def _check_generator(generator) -> None:
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator: expected a torch.Generator, got {type(generator).__name__}")


def _uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator, dtype=torch.float64)


def affnist_matrices(
    n: int, generator: torch.Generator, *, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Random affNIST-protocol linear maps about the canvas centre (no translation).

    ``L = R(theta) @ H(s) @ diag(sx, sy)`` with theta in +-20 degrees, shear s in +-0.2 and
    sx, sy in [0.8, 1.2], all uniform (see the module docstring for the conventions).

    Returns:
        (n, 3, 3) tensor ``[[L, 0], [0, 0, 1]]``.
    """
    _check_generator(generator)
    if n < 0:
        raise ValueError(f"n: expected a non-negative count, got {n}")
    theta = _uniform(n, -MAX_ROTATION_DEG, MAX_ROTATION_DEG, generator) * (math.pi / 180)
    shear = _uniform(n, -MAX_SHEAR, MAX_SHEAR, generator)
    sx = _uniform(n, *SCALE_RANGE, generator)
    sy = _uniform(n, *SCALE_RANGE, generator)

    cos, sin = torch.cos(theta), torch.sin(theta)
    rotation = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)
    upper = torch.zeros(n, 2, 2, dtype=torch.float64)  # H(s) @ diag(sx, sy)
    upper[:, 0, 0], upper[:, 0, 1], upper[:, 1, 1] = sx, shear * sy, sy

    g = torch.eye(3, dtype=torch.float64).repeat(n, 1, 1)
    g[:, :2, :2] = rotation @ upper
    return g.to(dtype)


def homnist_matrices(
    n: int, generator: torch.Generator, *, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Random homographies: a perspective map, then an affNIST-protocol linear map.

    ``g = [[L, 0], [0, 0, 1]] @ [[1, 0, 0], [0, 1, 0], [p1, p2, 1]] = [[L, 0], [p1, p2, 1]]``
    with ``L`` as in :func:`affnist_matrices` and p1, p2 uniform in +-0.15 (normalised units).

    Returns:
        (n, 3, 3) tensor.
    """
    g = affnist_matrices(n, generator, dtype=torch.float64)
    g[:, 2, 0] = _uniform(n, -MAX_PERSPECTIVE, MAX_PERSPECTIVE, generator)
    g[:, 2, 1] = _uniform(n, -MAX_PERSPECTIVE, MAX_PERSPECTIVE, generator)
    return g.to(dtype)


def _ink_extent(images: torch.Tensor, g: torch.Tensor, threshold: float) -> torch.Tensor:
    """Pixel-coordinate box ``(col_min, col_max, row_min, row_max)`` (B, 4) of warped ink.

    Bilinear sampling spreads a pixel's value over the open square of half-width one pixel
    around its centre, so the warped ink lies inside the image by ``g`` of the convex hull of
    those squares' corners: the pixel centres of the ink mask dilated by one pixel (a projective
    map with positive third coordinate on the ink keeps segments segments, so the hull maps to
    the hull of the mapped points). The hull only needs the first and last corner of each row.
    Images with no ink give ``(inf, -inf, inf, -inf)``; ink sent across the line at infinity
    gives ``nan``.
    """
    batch, _, height, width = images.shape
    ink = (images > threshold).any(dim=1, keepdim=True).to(torch.float32)
    corners = F.max_pool2d(F.pad(ink, (1, 1, 1, 1)), 3, stride=1, padding=1)[:, 0] > 0

    # First and last corner of every row: (B, H + 2, 2) pixel indices in -1 .. W.
    index = torch.arange(width + 2)
    first = torch.where(corners, index, width + 2).amin(-1)
    last = torch.where(corners, index, -1).amax(-1)
    col = torch.stack([first, last], -1).to(torch.float64).reshape(batch, -1) - 1
    row = torch.arange(-1, height + 1, dtype=torch.float64).repeat_interleave(2)
    valid = corners.any(-1).repeat_interleave(2, dim=1)  # (B, 2 (H + 2))

    x, y = pixel_to_normalized(col, row.expand_as(col), height, width)
    image = torch.stack([x, y, torch.ones_like(x)], -1) @ g.to(torch.float64).transpose(1, 2)
    w = image[..., 2]
    behind = ((w <= 1e-6) & valid).any(dim=1)
    u, v = normalized_to_pixel(image[..., 0] / w, image[..., 1] / w, height, width)

    inf = torch.tensor(math.inf, dtype=torch.float64)
    extent = torch.stack([
        torch.where(valid, u, inf).amin(1), torch.where(valid, u, -inf).amax(1),
        torch.where(valid, v, inf).amin(1), torch.where(valid, v, -inf).amax(1),
    ], -1)
    extent[behind] = math.nan
    return extent


def perturb(
    images: torch.Tensor,
    linear_maps: torch.Tensor,
    generator: torch.Generator,
    *,
    threshold: float = 0.0,
    chunk_size: int = _CHUNK,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Warp each image by its map, then by a random translation that keeps all ink on canvas.

    For each image the extent of the warped ink is computed exactly from the ink pixels (the
    support of the bilinear interpolant, mapped by the matrix), and a translation is drawn
    uniformly, independently in x and y and in pixels, from the range that keeps that extent
    inside the canvas square (``[-1, 1]`` in normalised coordinates): no ink leaves the
    canvas, and the ink mass is what the map alone would give. A digit that does not fit along
    an axis is centred along that axis instead (and counted in a logged warning); it loses some
    ink.

    Args:
        images: (N, C, H, W) float images; ink is where any channel exceeds ``threshold``.
        linear_maps: (N, 3, 3) maps about the canvas centre (translation parts are kept and
            the random translation is added on top).
        generator: source of the translations; drawn for all N at once, so results do not
            depend on ``chunk_size``.
        threshold: pixel values above it count as ink.
        chunk_size: digits warped at a time (bounds memory).

    Returns:
        ``(perturbed, matrices)``: (N, C, H, W) images, each one bilinear resampling
        ``ImageWarp()(matrices, images)``, and the (N, 3, 3) maps ``T @ linear_maps`` used, in
        the dtype of ``linear_maps``.
    """
    check_images(images, "images")
    check_matrices(linear_maps, 3, "linear_maps", batch=images.shape[0])
    check_finite(linear_maps, "linear_maps")
    _check_generator(generator)
    if chunk_size < 1:
        raise ValueError(f"chunk_size: expected a positive integer, got {chunk_size}")
    batch, _, height, width = images.shape
    maps = linear_maps.expand(batch, 3, 3)
    draws = torch.rand(batch, 2, generator=generator, dtype=torch.float64)

    warp = ImageWarp("bilinear")
    out_images, out_maps = [], []
    unfit = 0
    for start in range(0, batch, chunk_size):
        chunk = slice(start, start + chunk_size)
        g = maps[chunk].to(torch.float64)
        extent = _ink_extent(images[chunk], g, threshold)

        # Allowed shifts in pixels, keeping the extent in the canvas [-0.5, size - 0.5].
        low = torch.stack([-0.5 - extent[:, 0], -0.5 - extent[:, 2]], -1) + _EPS_PX
        high = torch.stack([width - 0.5 - extent[:, 1], height - 0.5 - extent[:, 3]], -1)
        high = high - _EPS_PX
        # No shift for a blank image (infinite range) or ink sent to infinity (nan).
        undefined = ~(torch.isfinite(low) & torch.isfinite(high))
        low, high = torch.where(undefined, 0.0, low), torch.where(undefined, 0.0, high)
        fits = low <= high
        unfit += int(((~fits) | torch.isnan(extent[:, :1])).any(-1).sum())
        shift = torch.where(fits, low + draws[chunk] * (high - low), (low + high) / 2)

        translation = torch.eye(3, dtype=torch.float64).repeat(len(g), 1, 1)
        translation[:, 0, 2] = 2 * shift[:, 0] / width  # pixels -> normalised units
        translation[:, 1, 2] = 2 * shift[:, 1] / height
        full = (translation @ g).to(linear_maps.dtype)
        out_maps.append(full)
        out_images.append(warp(full, images[chunk]).to(images.dtype))

    if unfit:
        logger.warning(
            "%d of %d warped digits do not fit on the %dx%d canvas; they were centred and "
            "lose some ink", unfit, batch, height, width,
        )
    return torch.cat(out_images), torch.cat(out_maps)


@dataclass
class PerturbedSet:
    """A perturbed test set.

    Attributes:
        name: ``"mnist"``, ``"affnist"`` or ``"homnist"``.
        images: (N, 1, 40, 40) float32 in [0, 1]: ``ImageWarp()(matrices, centred digits)``.
        matrices: (N, 3, 3) float32 maps applied to the centred digits (identity for mnist).
        seed: the seed that reproduces it.
    """

    name: str
    images: torch.Tensor
    matrices: torch.Tensor
    seed: int

    def __len__(self) -> int:
        return self.images.shape[0]


def make_test_set(
    name: str, images: torch.Tensor, seed: int = 0, *, chunk_size: int = _CHUNK
) -> PerturbedSet:
    """Build a seeded test set from (N, 28, 28) uint8 digits on the 40 x 40 canvas.

    ``"mnist"``: the centred digits, identity matrices. ``"affnist"``: maps from
    :func:`affnist_matrices`, ``"homnist"``: from :func:`homnist_matrices`; both then
    :func:`perturb` (random translation keeping the ink on the canvas). The same ``seed`` and
    digits give the identical set.

    Example:
        >>> digits = torch.zeros(2, 28, 28, dtype=torch.uint8)
        >>> digits[:, 10:18, 12:16] = 255
        >>> test = make_test_set("affnist", digits, seed=0)
        >>> test.images.shape, test.matrices.shape
        (torch.Size([2, 1, 40, 40]), torch.Size([2, 3, 3]))
    """
    if name not in TEST_SETS:
        raise ValueError(f"name: expected one of {TEST_SETS}, got {name!r}")
    canvas = center_on_canvas(images, CANVAS)
    n = canvas.shape[0]
    if n == 0:
        raise ValueError(f"images: expected a non-empty batch, got shape {tuple(images.shape)}")
    if name == "mnist":
        identity = torch.eye(3).repeat(n, 1, 1)
        return PerturbedSet(name, canvas, identity, seed)

    generator = torch.Generator().manual_seed(seed)
    sample = affnist_matrices if name == "affnist" else homnist_matrices
    maps = sample(n, generator)  # float32: the returned matrices are exactly those applied
    perturbed, full = perturb(canvas, maps, generator, chunk_size=chunk_size)
    return PerturbedSet(name, perturbed, full, seed)
