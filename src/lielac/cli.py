"""The ``lielac`` command: run the benchmarks end to end.

    lielac mnist --group affine [--quick]
    lielac pde --equation heat [--quick]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from lielac.cache import CACHE_ENV_VAR, cache_dir

logger = logging.getLogger("lielac.cli")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="small, few-minute version (short training, few test inputs)")
    parser.add_argument("--out", type=Path, default=Path("results"),
                        help="folder for the results JSON and figures (default: ./results)")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="cache for data and trained models "
                             "(default: $LIELAC_CACHE_DIR or ~/.cache/lielac)")
    parser.add_argument("--seed", type=int, default=0, help="seed of data and training")
    parser.add_argument("--threads", type=_positive_int, default=None,
                        help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lielac",
        description="Lie algebra canonicalization benchmarks: make trained models invariant "
                    "or equivariant under Lie groups.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    mnist = sub.add_parser("mnist", help="MNIST classifier made invariant (affine/homography)")
    _common(mnist)
    mnist.add_argument("--group", choices=["affine", "homography"], default="affine")
    mnist.add_argument("--data-dir", type=Path, default=None,
                       help="folder with the four MNIST IDX files (default: "
                            "$LIELAC_MNIST_DIR, else fetched into the cache)")
    mnist.add_argument("--n-test", type=_positive_int, default=None,
                       help="test digits per test set")
    mnist.add_argument("--pose-steps", type=int, default=None,
                       help="Gauss-Newton pose corrections before the descent (default 1)")
    mnist.add_argument("--scheme", choices=["retraction", "algebra", "coordinate"], default=None,
                       help="descent scheme of the --steps after the pose corrections")
    mnist.add_argument("--steps", type=int, default=None,
                       help="descent iterations on the energy (default 0)")
    mnist.add_argument("--lr", type=float, default=None, help="descent step size")
    mnist.add_argument("--restarts", type=int, default=None, help="extra starting points")
    mnist.add_argument("--prior-weight", type=float, default=None,
                       help="weight of the quadratic prior on the non-translation moves")

    pde = sub.add_parser("pde", help="neural PDE solver made equivariant (heat/Burgers)")
    _common(pde)
    pde.add_argument("--equation", choices=["heat", "burgers"], default="heat")
    return parser


def _run_mnist(args, cache: Path) -> str:
    from lielac.experiments.mnist import (
        MnistConfig,
        format_table,
        quick_config,
        run_mnist,
        with_overrides,
    )

    base = quick_config(args.group) if args.quick else MnistConfig(group=args.group)
    cfg = with_overrides(
        base, n_test=args.n_test, pose_steps=args.pose_steps, scheme=args.scheme,
        steps=args.steps, lr=args.lr,
        restarts=args.restarts, prior_weight=args.prior_weight, seed=args.seed,
    )
    results = run_mnist(cfg, args.out, cache=cache, data_root=args.data_dir,
                        progress=not args.no_progress)
    return format_table(results)


def _run_pde(args, cache: Path) -> str:
    from lielac.experiments.pde import format_table, run_pde

    results = run_pde(args.equation, quick=args.quick, out_dir=args.out, cache_dir=cache / "pde",
                      seed=args.seed, progress=not args.no_progress)
    return format_table(results)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    if args.cache_dir is not None:
        # one cache for everything the job reads or writes: fetched data and trained models
        os.environ[CACHE_ENV_VAR] = str(args.cache_dir.expanduser())
    cache = cache_dir()
    runner = {"mnist": _run_mnist, "pde": _run_pde}[args.command]
    try:
        os.makedirs(cache, exist_ok=True)
        table = runner(args, cache)
    except (ValueError, TypeError, RuntimeError, OSError) as exc:
        logger.error("%s", exc)
        return 1
    sys.stdout.write(table + "\n")
    sys.stdout.write(f"results written to {args.out}/\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
