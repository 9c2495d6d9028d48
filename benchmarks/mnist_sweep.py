"""Sweep descent settings of the MNIST benchmark on cached models (run by hand, not in CI).

    python benchmarks/mnist_sweep.py --group affine --n-test 1000 --base energy_width=24 \
        --variant steps=15,lr=0.08 --variant scheme=algebra

Trains the models first if the cache lacks them (same cache as `lielac mnist`). Prints, per
variant, LieLAC[CNN] accuracy and canonicalization throughput on both test sets.
"""

from __future__ import annotations

import argparse
import ast
import re
from dataclasses import replace

import torch

from lielac.cache import cache_dir
from lielac.data.perturb import make_test_set
from lielac.experiments.mnist import (
    GROUPS,
    MnistConfig,
    build_canonicalizer,
    canonicalize_all,
    prepare,
)
from lielac.models.digits import predict


def parse_variant(text: str) -> dict:
    items = re.split(r",(?![^()]*\))", text)  # commas outside parentheses
    pairs = (item.split("=", 1) for item in items if item)
    return {key: ast.literal_eval(value) if value[:1].isdigit() or value[:1] in "-.(" else value
            for key, value in pairs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", default="affine", choices=sorted(GROUPS))
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--base", default="",
                        help="overrides of the trained models' settings, e.g. energy_width=24")
    parser.add_argument("--variant", action="append", default=[],
                        help="comma-separated MnistConfig overrides, e.g. steps=15,lr=0.08")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    base = replace(MnistConfig(group=args.group, n_test=args.n_test), **parse_variant(args.base))
    ready = prepare(base, cache=cache_dir())
    sets = {name: make_test_set(name, ready.test_digits, seed=base.seed)
            for name in ("mnist", GROUPS[args.group][2])}
    for name, test in sets.items():
        acc = (predict(ready.cnn, test.images) == ready.test_labels).float().mean()
        print(f"CNN on {name}: {acc:.4f}")
    for text in args.variant or [""]:
        cfg = replace(base, **parse_variant(text))
        canonicalizer = build_canonicalizer(cfg, ready.energy, ready.init)
        cells = []
        for name, test in sets.items():
            canonical, rate = canonicalize_all(canonicalizer, test.images, cfg.batch_size)
            acc = (predict(ready.cnn, canonical) == ready.test_labels).float().mean()
            cells.append(f"{name} {acc:.4f} ({rate:.0f} img/s)")
        print(f"{text or 'default':40s} " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
