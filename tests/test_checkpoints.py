import pytest
import torch
from torch import nn

from lielac.checkpoints import CheckpointError, load_checkpoint, save_checkpoint


def test_round_trip(tmp_path):
    model = nn.Linear(3, 2)
    path = save_checkpoint(tmp_path / "m.pt", model.state_dict(), {"model": "linear", "n": 3})
    state = load_checkpoint(path, {"model": "linear", "n": 3})
    torch.testing.assert_close(state["weight"], model.weight.detach())


def test_mismatched_meta(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", nn.Linear(3, 2).state_dict(), {"n": 3})
    with pytest.raises(CheckpointError, match="other settings"):
        load_checkpoint(path, {"n": 4})


def test_corrupt_file(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", nn.Linear(3, 2).state_dict(), {"n": 3})
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum"):
        load_checkpoint(path, {"n": 3})
    (tmp_path / "m.pt.sha256").unlink()
    with pytest.raises(CheckpointError, match="no checksum"):
        load_checkpoint(path, {"n": 3})


def test_missing_and_foreign_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "absent.pt", {})
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, path)
    save_sidecar = __import__("hashlib").sha256(path.read_bytes()).hexdigest()
    (tmp_path / "other.pt.sha256").write_text(save_sidecar)
    with pytest.raises(CheckpointError, match="not a lielac checkpoint"):
        load_checkpoint(path, {})


def test_path_depends_on_settings_only():
    from lielac.checkpoints import checkpoint_path

    a = checkpoint_path("/cache", "model", {"n": 3, "seed": 0})
    assert a == checkpoint_path("/cache", "model", {"seed": 0, "n": 3})
    assert a != checkpoint_path("/cache", "model", {"n": 4, "seed": 0})
    assert a.name.startswith("model-") and a.suffix == ".pt"


def test_state_that_does_not_fit_the_model(tmp_path):
    from lielac.checkpoints import load_model

    path = save_checkpoint(tmp_path / "m.pt", nn.Linear(3, 2).state_dict(), {"n": 3})
    with pytest.raises(CheckpointError, match="m.pt does not fit Linear"):
        load_model(nn.Linear(4, 2), path, {"n": 3})
    model = load_model(nn.Linear(3, 2), path, {"n": 3})
    assert model.weight.shape == (2, 3)
