"""Tests of the seeded perturbed test sets (synthetic digits; no MNIST needed)."""

from __future__ import annotations

import logging
import math

import pytest
import torch
import torch.nn.functional as F

from lielac.actions import ImageWarp
from lielac.data.perturb import (
    affnist_matrices,
    center_on_canvas,
    homnist_matrices,
    make_test_set,
    perturb,
)


def fake_digits(n: int, seed: int = 0) -> torch.Tensor:
    """(n, 28, 28) uint8 'digits': a few thick strokes inside the central 20 x 20 box, the way
    MNIST digits sit in their 28 x 28 frame; some span the whole box."""
    gen = torch.Generator().manual_seed(seed)
    digits = torch.zeros(n, 28, 28, dtype=torch.uint8)
    for k in range(n):
        for _ in range(3):
            r0, c0 = torch.randint(4, 22, (2,), generator=gen).tolist()
            r1 = min(24, r0 + int(torch.randint(2, 20, (1,), generator=gen)))
            c1 = min(24, c0 + int(torch.randint(2, 6, (1,), generator=gen)))
            digits[k, r0:r1, c0:c1] = int(torch.randint(80, 256, (1,), generator=gen))
        if k % 4 == 0:
            digits[k, 4, 4:24] = 255  # a full-width bar and a full-height bar
            digits[k, 4:24, 4] = 255
            digits[k, 23, 4:24] = 255
    return digits


def linear_part(g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Split ``g = T @ [[L, 0], [p, 1]]`` into (L, t, p)."""
    t, p = g[:, :2, 2], g[:, 2, :2]
    return g[:, :2, :2] - t[:, :, None] * p[:, None, :], t, p


def affine_parameters(lin: torch.Tensor):
    """Recover (theta, shear, sx, sy) from ``L = R(theta) @ H(s) @ diag(sx, sy)`` by QR."""
    q, r = torch.linalg.qr(lin)
    sign = torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))  # make diag(R) positive
    q, r = q * sign[:, None, :], r * sign[:, :, None]
    theta = torch.atan2(q[:, 1, 0], q[:, 0, 0])
    return theta, r[:, 0, 1] / r[:, 1, 1], r[:, 0, 0], r[:, 1, 1]


# --- canvas --------------------------------------------------------------------------------

def test_center_on_canvas():
    digits = fake_digits(3)
    out = center_on_canvas(digits)
    assert out.shape == (3, 1, 40, 40) and out.dtype == torch.float32
    torch.testing.assert_close(out[:, 0, 6:34, 6:34], digits.float() / 255)
    assert out.sum() == pytest.approx(digits.float().sum().item() / 255, rel=1e-6)
    assert float(out.max()) <= 1.0


def test_center_on_canvas_bad_input():
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        center_on_canvas(torch.zeros(2, 1, 28, 28, dtype=torch.uint8))
    with pytest.raises(ValueError, match="canvas"):
        center_on_canvas(torch.zeros(2, 28, 28, dtype=torch.uint8), canvas=20)
    with pytest.raises(TypeError, match="uint8 or floating"):
        center_on_canvas(torch.zeros(2, 28, 28, dtype=torch.int32))


# --- random maps ---------------------------------------------------------------------------

def test_affnist_parameter_ranges():
    g = affnist_matrices(4000, torch.Generator().manual_seed(1), dtype=torch.float64)
    assert g.shape == (4000, 3, 3)
    torch.testing.assert_close(g[:, 2], torch.tensor([0.0, 0.0, 1.0]).expand(4000, 3).double())
    torch.testing.assert_close(g[:, :2, 2], torch.zeros(4000, 2, dtype=torch.float64))

    theta, shear, sx, sy = affine_parameters(g[:, :2, :2])
    for value, low, high in [(torch.rad2deg(theta), -20, 20), (shear, -0.2, 0.2),
                             (sx, 0.8, 1.2), (sy, 0.8, 1.2)]:
        assert low - 1e-9 <= float(value.min()) < low + 0.05 * (high - low)
        assert high - 0.05 * (high - low) < float(value.max()) <= high + 1e-9
    det = torch.linalg.det(g)
    assert 0.64 - 1e-9 <= float(det.min()) and float(det.max()) <= 1.44 + 1e-9


def test_homnist_bottom_row_and_affine_part():
    g = homnist_matrices(4000, torch.Generator().manual_seed(2), dtype=torch.float64)
    p = g[:, 2, :2]
    assert float(p.abs().max()) <= 0.15 and float(p.abs().max()) > 0.14
    assert float(p[:, 0].std()) > 0.07  # uniform on +-0.15: std 0.087
    theta, shear, sx, sy = affine_parameters(g[:, :2, :2])
    assert float(theta.abs().max()) <= math.radians(20) + 1e-9
    assert float(shear.abs().max()) <= 0.2 + 1e-9
    assert 0.8 - 1e-9 <= float(torch.minimum(sx, sy).min())
    assert float(torch.maximum(sx, sy).max()) <= 1.2 + 1e-9


def test_generator_required():
    with pytest.raises(TypeError, match="Generator"):
        affnist_matrices(3, 0)


# --- perturb -------------------------------------------------------------------------------

def unclipped_mass(images: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Ink mass of ``g . images`` sampled on a 3x larger canvas whose central 40 x 40 pixel
    centres coincide with those of the 40 x 40 canvas (so nothing is clipped)."""
    big = F.pad(images, (40, 40, 40, 40))
    s = torch.diag(torch.tensor([1 / 3, 1 / 3, 1.0], dtype=g.dtype))
    return ImageWarp()(s @ g @ torch.linalg.inv(s), big).sum((1, 2, 3))


def ink_reach(images: torch.Tensor, g: torch.Tensor, size: int = 160) -> torch.Tensor:
    """Largest ``max(|x|, |y|)`` over points where the interpolant of ``g . images`` is
    non-zero, sampled every 0.31 pixels over the window [-1.25, 1.25]^2 (canvas: [-1, 1]^2)."""
    zoom = torch.diag(torch.tensor([1 / 1.25, 1 / 1.25, 1.0], dtype=g.dtype))
    fine = ImageWarp(out_size=(size, size))(zoom @ g, images)[:, 0]
    axis = 1.25 * ((2 * torch.arange(size, dtype=g.dtype) + 1) / size - 1)
    reach = torch.maximum(axis.abs()[:, None], axis.abs()[None, :])  # (size, size)
    return torch.where(fine > 0, reach, torch.zeros_like(reach)).amax((1, 2))


@pytest.mark.parametrize("sample", [affnist_matrices, homnist_matrices])
def test_perturb_keeps_all_ink_on_canvas(sample):
    canvas = center_on_canvas(fake_digits(64)).double()
    gen = torch.Generator().manual_seed(3)
    out, g = perturb(canvas, sample(64, gen, dtype=torch.float64), gen)

    # One resampling of the centred digit by the returned matrix.
    torch.testing.assert_close(out, ImageWarp()(g, canvas))
    # The warped interpolant vanishes outside the canvas square ...
    reach = ink_reach(canvas, g)
    assert float(reach.max()) <= 1.0
    # ... while the translations use the room there is (0.05 is one pixel).
    assert float(reach.max()) > 0.97
    # Nothing lost at the edges: the same warp on an unbounded canvas has the same mass.
    torch.testing.assert_close(out.sum((1, 2, 3)), unclipped_mass(canvas, g),
                               rtol=1e-9, atol=1e-9)


def test_perturb_affine_mass_scales_with_det():
    canvas = center_on_canvas(fake_digits(64))
    gen = torch.Generator().manual_seed(4)
    out, g = perturb(canvas, affnist_matrices(64, gen), gen)
    ratio = out.sum((1, 2, 3)) / canvas.sum((1, 2, 3)) / torch.linalg.det(g)
    assert float((ratio - 1).abs().max()) < 0.03


def test_perturb_does_not_depend_on_chunks():
    canvas = center_on_canvas(fake_digits(10))
    maps = affnist_matrices(10, torch.Generator().manual_seed(5))
    a = perturb(canvas, maps, torch.Generator().manual_seed(6), chunk_size=3)
    b = perturb(canvas, maps, torch.Generator().manual_seed(6), chunk_size=100)
    torch.testing.assert_close(a, b)


def test_perturb_too_large_is_centred_with_warning(caplog):
    block = torch.zeros(2, 1, 40, 40)
    block[:, :, 2:38, 2:38] = 1.0
    grow = torch.diag(torch.tensor([1.3, 1.3, 1.0])).expand(2, 3, 3)
    with caplog.at_level(logging.WARNING, logger="lielac.data.perturb"):
        _, g = perturb(block, grow, torch.Generator().manual_seed(0))
    assert "2 of 2" in caplog.text
    torch.testing.assert_close(g, grow)  # centred: the hull is symmetric, so no shift


def test_perturb_bad_arguments():
    canvas = center_on_canvas(fake_digits(2))
    gen = torch.Generator()
    with pytest.raises(ValueError, match=r"batch size 2"):
        perturb(canvas, torch.eye(3).repeat(3, 1, 1), gen)
    with pytest.raises(TypeError, match="Generator"):
        perturb(canvas, torch.eye(3).repeat(2, 1, 1), None)
    with pytest.raises(ValueError, match="finite"):
        perturb(canvas, torch.full((2, 3, 3), math.nan), gen)


# --- test sets -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["affnist", "homnist"])
def test_make_test_set_seeded(name):
    digits = fake_digits(12)
    a, b = make_test_set(name, digits, seed=7), make_test_set(name, digits, seed=7)
    c = make_test_set(name, digits, seed=8)
    assert a.images.shape == (12, 1, 40, 40) and a.images.dtype == torch.float32
    assert a.matrices.shape == (12, 3, 3) and len(a) == 12
    assert torch.equal(a.images, b.images) and torch.equal(a.matrices, b.matrices)
    assert not torch.allclose(a.matrices, c.matrices)
    assert float(a.images.min()) >= 0 and float(a.images.max()) <= 1 + 1e-6


def test_make_test_set_mnist_is_identity():
    digits = fake_digits(4)
    test = make_test_set("mnist", digits, seed=3)
    torch.testing.assert_close(test.matrices, torch.eye(3).expand(4, 3, 3))
    torch.testing.assert_close(test.images, center_on_canvas(digits))


def test_make_test_set_unknown_name():
    with pytest.raises(ValueError, match=r"'mnist', 'affnist', 'homnist'.*'svhn'"):
        make_test_set("svhn", fake_digits(2))
