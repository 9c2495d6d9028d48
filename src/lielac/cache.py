"""The one folder where lielac keeps fetched data and trained models.

The folder is ``$LIELAC_CACHE_DIR`` when that variable is set, else ``~/.cache/lielac``.
Nothing here creates it; writers create the sub-folder they need.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV_VAR", "cache_dir"]

CACHE_ENV_VAR = "LIELAC_CACHE_DIR"


def cache_dir(*parts: str) -> Path:
    """The cache folder, joined with ``parts`` (e.g. ``cache_dir("mnist")``); not created.

    Example:
        >>> cache_dir("mnist").name
        'mnist'
    """
    root = os.environ.get(CACHE_ENV_VAR)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "lielac"
    return base.joinpath(*parts)
