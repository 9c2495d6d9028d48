"""Safe saving and loading of trained models in the cache.

A checkpoint is a ``torch.save`` of ``{"state_dict": ..., "meta": {...}}`` next to a
``.sha256`` file holding its checksum. Loading uses ``torch.load(weights_only=True)``, checks
the checksum and that the stored ``meta`` equals the expected one (architecture and training
settings), and raises :class:`CheckpointError` naming the file otherwise.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

import torch

__all__ = [
    "CheckpointError",
    "checkpoint_path",
    "load_checkpoint",
    "load_model",
    "save_checkpoint",
]

logger = logging.getLogger(__name__)


class CheckpointError(RuntimeError):
    """A cached checkpoint is corrupt or was made with other settings."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_checkpoint(path: str | os.PathLike, state_dict: dict, meta: dict) -> Path:
    """Write ``state_dict`` and ``meta`` atomically to ``path`` with a checksum file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    torch.save({"state_dict": state_dict, "meta": meta}, tmp)
    os.replace(tmp, path)
    Path(str(path) + ".sha256").write_text(_sha256(path) + "\n")
    logger.info("saved checkpoint %s", path)
    return path


def load_checkpoint(path: str | os.PathLike, expected_meta: dict) -> dict:
    """Load the state dict at ``path``; raise :class:`CheckpointError` if it is corrupt, its
    checksum file is missing or wrong, or its ``meta`` differs from ``expected_meta``.

    Returns:
        The state dict. ``FileNotFoundError`` if ``path`` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    sidecar = Path(str(path) + ".sha256")
    hint = f"delete {path} (and {sidecar.name}) to retrain"
    if not sidecar.exists():
        raise CheckpointError(f"checkpoint {path} has no checksum file {sidecar.name}; {hint}")
    if sidecar.read_text().strip() != _sha256(path):
        raise CheckpointError(f"checkpoint {path} does not match its checksum; {hint}")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for unreadable files
        raise CheckpointError(f"checkpoint {path} cannot be read ({exc}); {hint}") from exc
    if not isinstance(blob, dict) or set(blob) != {"state_dict", "meta"}:
        raise CheckpointError(f"checkpoint {path} is not a lielac checkpoint; {hint}")
    if blob["meta"] != expected_meta:
        raise CheckpointError(
            f"checkpoint {path} was made with other settings: stored {blob['meta']}, "
            f"expected {expected_meta}; {hint}"
        )
    return blob["state_dict"]


def checkpoint_path(folder: str | os.PathLike, name: str, meta: dict) -> Path:
    """``folder/name-<hash of meta>.pt``: entries made with other settings never collide."""
    digest = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:12]
    return Path(folder) / f"{name}-{digest}.pt"


def load_model(model: torch.nn.Module, path: str | os.PathLike, expected_meta: dict):
    """Load the checkpoint at ``path`` into ``model`` (see :func:`load_checkpoint`); a state
    dict that does not fit the model is a :class:`CheckpointError` naming the file."""
    state = load_checkpoint(path, expected_meta)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(
            f"checkpoint {path} does not fit {type(model).__name__} ({exc}); delete it to "
            "retrain"
        ) from exc
    return model
