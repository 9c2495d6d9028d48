#!/usr/bin/env bash
# Create .venv and install lielac with its test dependencies. PyTorch is pinned first, to the
# release whose CPU build this project's machines keep on disk (pip finds it there), so that
# no multi-GB CUDA build is pulled in. Elsewhere set PIP_EXTRA_INDEX_URL to PyTorch's CPU
# wheel index before running this script to get the CPU build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[test]"
