"""Run the PDE benchmark for both equations and print their tables (run by hand, not in CI).

    python benchmarks/pde_benchmark.py [--quick] [--out runs/pde] [--threads 1]

Uses the same cache as ``lielac pde`` (data and trained operators are reused). Prints, per
equation, the error table, which of the benchmark's targets hold, and the time per stage.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from lielac.cache import cache_dir
from lielac.experiments.pde import EQUATIONS, format_table, run_pde


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="less data and training")
    parser.add_argument("--out", type=Path, default=Path("runs/pde"))
    parser.add_argument("--cache", type=Path, default=None, help="default: lielac's cache")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--equation", choices=EQUATIONS, action="append",
                        help="run only these (repeatable; default: all)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    cache = args.cache if args.cache is not None else cache_dir("pde")
    for equation in args.equation or EQUATIONS:
        start = time.perf_counter()
        results = run_pde(equation, args.quick, args.out / equation, cache, args.seed)
        total = time.perf_counter() - start
        print(format_table(results))
        failed = [name for name, ok in results["targets"].items() if not ok]
        print("targets:", "all met" if not failed else "not met: " + ", ".join(failed))
        stages = ", ".join(f"{k} {v:.0f}" for k, v in results["timings"].items())
        print(f"time (s): {stages}, total {total:.0f}\n")


if __name__ == "__main__":
    main()
