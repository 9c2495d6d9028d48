"""The MNIST benchmark: a CNN trained on clean digits, made invariant by canonicalization.

Pipeline: load MNIST (fetched and checksummed by :mod:`lielac.data.mnist`), centre the digits
on a 40 x 40 canvas, train (or load from the cache) the plain CNN and the pose energy, build
the seeded test sets ("MNIST" and "affNIST-protocol" or "homNIST-protocol"), evaluate the CNN
and LieLAC[CNN] on both, and write a table, a JSON file and a figure.

The canonicalizer searches on a blurred copy of each digit warped to 20 x 20 (the energy's
resolution), starts from the translation that centres the ink, and produces the canonical
digit by one bicubic resampling of the original at 40 x 40.
"""

from __future__ import annotations

import json
import logging
import math
import platform
import time
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Callable

import torch

from lielac import groups
from lielac.actions import ImageWarp, center_of_mass, centering_translation
from lielac.canonicalizer import Canonicalizer
from lielac.checkpoints import checkpoint_path, load_model, save_checkpoint
from lielac.data.mnist import load_mnist
from lielac.data.perturb import center_on_canvas, make_test_set
from lielac.energies.pose import PoseCorrection, PoseEnergy, train_pose_energy
from lielac.models.digits import DigitCNN, predict, train_classifier
from lielac.priors import CoordinatePenalty

__all__ = [
    "GROUPS",
    "MnistConfig",
    "Prepared",
    "build_canonicalizer",
    "canonicalize_all",
    "format_table",
    "prepare",
    "quick_config",
    "run_mnist",
]

logger = logging.getLogger(__name__)

# name -> (group factory, half-widths of the energy's training box per generator,
#          name of the perturbed test set)
# The boxes cover the test perturbations with a margin (e.g. rotation 0.45 rad > 20 deg plus
# the rotation part of a 0.2 shear); a wider box makes the pose estimate less precise.
GROUPS = {
    "affine": (groups.affine, (0.1, 0.1, 0.45, 0.25, 0.25, 0.2), "affnist"),
    "homography": (
        groups.homography, (0.1, 0.1, 0.45, 0.25, 0.25, 0.2, 0.25, 0.25), "homnist"
    ),
}
TEST_SET_LABELS = {"mnist": "MNIST", "affnist": "affNIST-protocol", "homnist": "homNIST-protocol"}


@dataclass(frozen=True)
class MnistConfig:
    """Settings of one MNIST run; the defaults are the full benchmark.

    ``n_train``/``n_test`` of ``None`` use every digit of the split.
    """

    group: str = "affine"
    n_train: int | None = None
    n_test: int | None = None
    classifier_epochs: int = 4
    classifier_width: int = 24
    energy_epochs: int = 10
    energy_size: int = 20
    energy_width: int = 24
    energy_ranges: tuple[float, ...] | None = None
    pose_steps: int = 1
    blur_sigma: float = 1.0
    scheme: str = "retraction"
    steps: int = 0
    lr: float = 0.03
    restarts: int = 0
    restart_scale: float = 0.1
    prior_weight: float = 0.1
    batch_size: int = 500
    seed: int = 0

    def __post_init__(self):
        if self.group not in GROUPS:
            raise ValueError(f"unknown group {self.group!r}; expected one of {sorted(GROUPS)}")
        for name in ("n_train", "n_test"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name}: expected a positive count or None, got {value}")
        for name in ("steps", "restarts", "pose_steps"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: expected a non-negative int, got {getattr(self, name)}")
        for name in ("lr", "blur_sigma"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name}: expected a positive finite number, got {value}")
        if not math.isfinite(self.prior_weight) or self.prior_weight < 0:
            raise ValueError(
                f"prior_weight: expected a non-negative finite number, got {self.prior_weight}"
            )


def quick_config(group: str = "affine") -> MnistConfig:
    """A few-minute version for demos and tests: small training and 300 test digits."""
    return MnistConfig(
        group=group, n_train=6000, n_test=300, classifier_epochs=2, energy_epochs=3
    )


def _blur(sigma: float):
    import kornia

    size = 2 * int(round(2 * sigma)) + 1

    def view(images: torch.Tensor) -> torch.Tensor:
        return kornia.filters.gaussian_blur2d(images, (size, size), (sigma, sigma))

    return view


def energy_ranges(cfg: MnistConfig) -> torch.Tensor:
    """(k,) half-widths of the pose energy's training box for this configuration."""
    ranges = cfg.energy_ranges or GROUPS[cfg.group][1]
    if len(ranges) != len(GROUPS[cfg.group][1]):
        raise ValueError(f"energy_ranges: expected {len(GROUPS[cfg.group][1])} values, got "
                         f"{len(ranges)}")
    return torch.tensor(ranges, dtype=torch.float32)


def build_canonicalizer(cfg: MnistConfig, energy: PoseEnergy, init) -> Canonicalizer:
    """The canonicalizer of the benchmark for a trained energy and centring map ``init``.

    The start of the descent is ``cfg.pose_steps`` pose corrections from the centred input.
    """
    group = GROUPS[cfg.group][0]()
    ranges = energy_ranges(cfg)
    action = ImageWarp(out_size=(cfg.energy_size, cfg.energy_size))
    view = _blur(cfg.blur_sigma)
    weights = cfg.prior_weight / ranges**2
    weights[:2] = 0.0  # translations are bounded by the canvas; only shape moves are priced
    start = PoseCorrection(energy, group, action, ranges, init=init, view=view,
                           steps=cfg.pose_steps)
    return Canonicalizer(
        group,
        action,
        energy,
        scheme=cfg.scheme,
        steps=cfg.steps,
        lr=cfg.lr,
        restarts=cfg.restarts,
        restart_scale=cfg.restart_scale * ranges,
        prior=CoordinatePenalty(group, weights) if cfg.prior_weight > 0 else None,
        init=start,
        final_action=ImageWarp("bicubic"),
        view=view,
        seed=cfg.seed,
        chunk_size=cfg.batch_size,
    )


def _train_or_load(folder: Path, name: str, meta: dict, model: torch.nn.Module, train):
    """Load ``model`` from the cache entry for ``meta``, or train and store it there."""
    path = checkpoint_path(folder, name, meta)
    try:
        load_model(model, path, meta)
        logger.info("loaded %s", path)
    except FileNotFoundError:
        train(model)
        save_checkpoint(path, model.state_dict(), meta)
    model.eval()
    return model


def _fraction(correct: torch.Tensor) -> float:
    """Exact fraction of true entries (counted in integers, so no float32 noise)."""
    return round(int(correct.sum()) / correct.numel(), 6)


def _subset(n: int | None, total: int) -> int:
    return total if n is None else min(n, total)


@dataclass
class Prepared:
    """Trained models and test digits of one configuration (see :func:`prepare`)."""

    cnn: DigitCNN
    energy: PoseEnergy
    init: Callable
    test_digits: torch.Tensor
    test_labels: torch.Tensor
    n_train: int
    timings: dict


def prepare(
    cfg: MnistConfig, *, cache: Path, data_root: str | Path | None = None,
    progress: bool = False,
) -> Prepared:
    """Load MNIST, then train or load from ``cache`` the CNN and the pose energy."""
    torch.manual_seed(cfg.seed)
    train_digits, train_labels = load_mnist("train", data_root)
    test_digits, test_labels = load_mnist("test", data_root)
    n_train = _subset(cfg.n_train, train_digits.shape[0])
    n_test = _subset(cfg.n_test, test_digits.shape[0])
    train_images = center_on_canvas(train_digits[:n_train])
    train_labels = train_labels[:n_train]

    timings = {}
    t0 = time.perf_counter()
    cnn_meta = {"model": "DigitCNN", "width": cfg.classifier_width, "n_train": n_train,
                "epochs": cfg.classifier_epochs, "seed": cfg.seed}
    cnn = _train_or_load(
        cache / "models", "digit_cnn", cnn_meta, DigitCNN(cfg.classifier_width),
        lambda m: train_classifier(m, train_images, train_labels,
                                   epochs=cfg.classifier_epochs, seed=cfg.seed,
                                   progress=progress),
    )
    timings["classifier_s"] = time.perf_counter() - t0

    group = GROUPS[cfg.group][0]()
    ranges = energy_ranges(cfg)
    t0 = time.perf_counter()
    # Inputs are centred where the training digits' ink sits, not at the canvas centre: the
    # CNN has seen digits only there and is sensitive to a shift of even one pixel.
    target = center_of_mass(train_images).mean(dim=0)
    init = partial(centering_translation, target=target)
    energy_meta = {"model": "PoseEnergy", "group": cfg.group, "width": cfg.energy_width,
                   "ranges": [round(float(r), 6) for r in ranges],
                   "size": cfg.energy_size, "blur": cfg.blur_sigma, "n_train": n_train,
                   "epochs": cfg.energy_epochs, "seed": cfg.seed,
                   "target": [round(float(t), 6) for t in target]}
    energy = _train_or_load(
        cache / "models", f"pose_energy_{cfg.group}", energy_meta,
        PoseEnergy(group.dim, width=cfg.energy_width),
        lambda m: train_pose_energy(
            m, train_images, group, ImageWarp(out_size=(cfg.energy_size,) * 2),
            ranges, init=init, view=_blur(cfg.blur_sigma),
            epochs=cfg.energy_epochs, seed=cfg.seed, progress=progress,
        ),
    )
    for p in energy.parameters():
        p.requires_grad_(False)
    timings["energy_s"] = time.perf_counter() - t0
    return Prepared(cnn, energy, init, test_digits[:n_test], test_labels[:n_test], n_train,
                    timings)


def canonicalize_all(
    canonicalizer: Canonicalizer, images: torch.Tensor, batch_size: int, *,
    desc: str = "canonicalize", progress: bool = False,
) -> tuple[torch.Tensor, float]:
    """Canonical forms of (N, 1, H, W) images in batches; returns them and images per second."""
    from tqdm.auto import tqdm

    canonical = []
    t0 = time.perf_counter()
    with tqdm(total=images.shape[0], desc=desc, disable=not progress, unit="img") as bar:
        for start in range(0, images.shape[0], batch_size):
            batch = images[start:start + batch_size]
            canonical.append(canonicalizer(batch).x)
            bar.update(batch.shape[0])
    seconds = time.perf_counter() - t0
    return torch.cat(canonical), images.shape[0] / seconds


def run_mnist(
    cfg: MnistConfig,
    out_dir: str | Path,
    *,
    cache: Path,
    data_root: str | Path | None = None,
    progress: bool = False,
) -> dict:
    """Run the benchmark; writes ``results_mnist_<group>.json`` and a figure into ``out_dir``.

    Returns:
        The results dict (also written as JSON): accuracies per model and test set,
        canonicalization throughput, timings and the configuration.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    ready = prepare(cfg, cache=cache, data_root=data_root, progress=progress)
    canonicalizer = build_canonicalizer(cfg, ready.energy, ready.init)
    perturbed_name = GROUPS[cfg.group][2]
    labels = ready.test_labels
    n_test = labels.shape[0]

    accuracy: dict[str, dict[str, float]] = {"CNN": {}, "LieLAC[CNN]": {}}
    throughput = {}
    examples = {}
    for name in ("mnist", perturbed_name):
        test = make_test_set(name, ready.test_digits, seed=cfg.seed)
        accuracy["CNN"][name] = _fraction(predict(ready.cnn, test.images) == labels)
        canonical, throughput[name] = canonicalize_all(
            canonicalizer, test.images, cfg.batch_size,
            desc=f"canonicalize {TEST_SET_LABELS[name]}", progress=progress,
        )
        accuracy["LieLAC[CNN]"][name] = _fraction(predict(ready.cnn, canonical) == labels)
        examples[name] = (test.images[:8], canonical[:8])
        logger.info("%s: CNN %.4f, LieLAC[CNN] %.4f, %.0f img/s", name,
                    accuracy["CNN"][name], accuracy["LieLAC[CNN]"][name], throughput[name])

    timings = dict(ready.timings, total_s=time.perf_counter() - started)
    results = {
        "benchmark": "mnist",
        "group": cfg.group,
        "test_sets": {"mnist": TEST_SET_LABELS["mnist"],
                      perturbed_name: TEST_SET_LABELS[perturbed_name]},
        "n_test": n_test,
        "n_train": ready.n_train,
        "accuracy": accuracy,
        "canonicalization_images_per_s": throughput,
        "timings_s": timings,
        "config": asdict(cfg),
        "torch_threads": torch.get_num_threads(),
        "machine": platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
    }
    stem = f"mnist_{cfg.group}"
    (out_dir / f"results_{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    save_figure(examples[perturbed_name], out_dir / f"{stem}_canonical.png",
                title=f"{TEST_SET_LABELS[perturbed_name]}: perturbed (top), canonical (bottom)")
    return results


def save_figure(pair: tuple[torch.Tensor, torch.Tensor], path: Path, title: str) -> Path:
    """Save perturbed digits (top row) above their canonical forms (bottom row) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    perturbed, canonical = pair
    n = perturbed.shape[0]
    fig, axes = plt.subplots(2, n, figsize=(1.3 * n, 3.0))
    for i in range(n):
        for row, images in enumerate((perturbed, canonical)):
            ax = axes[row, i]
            ax.imshow(images[i, 0].clamp(0, 1).numpy(), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel("perturbed")
    axes[1, 0].set_ylabel("canonical")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def format_table(results: dict) -> str:
    """The results in the paper's layout: one row per model, one column per test set."""
    names = list(results["test_sets"])
    headers = ["model"] + [results["test_sets"][n] for n in names]
    rows = [[model] + [f"{acc[n]:.4f}" for n in names]
            for model, acc in results["accuracy"].items()]
    rows.append(["canonicalization img/s"]
                + [f"{results['canonicalization_images_per_s'][n]:.0f}" for n in names])
    widths = [max(len(r[i]) for r in rows + [headers]) for i in range(len(headers))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths))  # noqa: E731
    body = [line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows]
    footer = (f"{results['n_test']} test digits, group {results['group']}, "
              f"total {results['timings_s']['total_s']:.0f} s")
    return "\n".join(body + [footer])


def with_overrides(cfg: MnistConfig, **overrides) -> MnistConfig:
    """``cfg`` with the given non-None fields replaced."""
    return replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
