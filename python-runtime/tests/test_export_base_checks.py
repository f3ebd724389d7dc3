"""What an export says about its base model: pickle-only weights (run convert-weights; never torch's
weights_only=False advice), its own code (auto_map: the export carries none), damaged checkpoints."""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pytest
import torch
from helpers.export_helpers import make_base_model, make_lora_checkpoint
from safetensors.torch import load_file

from tunedesk.export import cli


@pytest.fixture
def checkpoint(tmp_path) -> tuple[Path, Path]:
    base = make_base_model(tmp_path / "base", "llama")
    return make_lora_checkpoint(tmp_path / "run-1", base), base


def finished(capsys) -> dict:
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert lines[-1]["type"] == "export_finished"
    return lines[-1]


def export(ckpt: Path, out: Path) -> int:
    return cli.main(["--checkpoint", str(ckpt), "--out", str(out)])


def test_a_pickle_only_base_is_refused_with_the_convert_weights_command(checkpoint, tmp_path, capsys):
    ckpt, base = checkpoint
    tensors = load_file(str(base / "model.safetensors"))
    # A real-world .bin often pickles more than tensors: torch's own error would advise weights_only=False.
    torch.save({**tensors, "training_args": {"note": object.__name__}}, base / "pytorch_model.bin")
    (base / "model.safetensors").unlink()
    assert export(ckpt, tmp_path / "out") == 1
    error = finished(capsys)["error"]
    assert error["kind"] == "config" and "only pickle weights (pytorch_model.bin)" in error["message"]
    assert f"python -m tunedesk convert-weights {base}" in error["hint"]
    assert "weights_only" not in json.dumps(error)
    assert not (tmp_path / "out").exists()


def test_a_base_with_its_own_code_exports_without_it_and_says_so(checkpoint, tmp_path, capsys):
    ckpt, base = checkpoint
    config = json.loads((base / "config.json").read_text())
    config["auto_map"] = {"AutoModelForCausalLM": "modeling_custom.CustomForCausalLM"}
    (base / "config.json").write_text(json.dumps(config))
    (base / "modeling_custom.py").write_text("raise SystemExit('custom code ran')\n")
    out = tmp_path / "out"
    assert export(ckpt, out) == 0
    output = capsys.readouterr().out
    said = [json.loads(line) for line in output.splitlines() if '"type":"log"' in line]
    assert any("This export carries no custom code" in e["message"] for e in said)
    assert "auto_map" not in json.loads((out / "config.json").read_text())
    assert not list(out.glob("*.py"))
    assert "no custom code" in json.loads((out / "export.json").read_text())["custom_code"]


def test_a_base_that_exists_only_as_its_own_code_is_refused_before_loading(checkpoint, tmp_path, capsys):
    ckpt, base = checkpoint
    config = json.loads((base / "config.json").read_text())
    config.update(
        model_type="custom_lm", auto_map={"AutoModelForCausalLM": "modeling_custom.CustomForCausalLM"}
    )
    (base / "config.json").write_text(json.dumps(config))
    assert export(ckpt, tmp_path / "out") == 1
    error = finished(capsys)["error"]
    assert (
        error["kind"] == "config"
        and "'custom_lm' exists only as the model's own Python code" in error["message"]
    )


def test_a_checkpoint_missing_a_listed_file_is_not_exported(checkpoint, tmp_path, capsys):
    ckpt, _ = checkpoint
    shutil.rmtree(ckpt / "adapter")  # what a half-done delete used to leave behind its manifest
    assert export(ckpt, tmp_path / "out") == 1
    error = finished(capsys)["error"]
    assert error["kind"] == "config" and "incomplete checkpoint (adapter/" in error["message"]


def test_a_failed_export_write_on_a_full_disk_is_disk_full(checkpoint, tmp_path, capsys, monkeypatch):
    from transformers import PreTrainedModel

    ckpt, _ = checkpoint

    def full_disk(*_args, **_kwargs):
        raise OSError(errno.EIO, "Input/output error")  # says nothing about space

    real_usage = shutil.disk_usage
    checked = []

    def usage(path):  # room before writing (the pre-check passes), none after the failed write
        checked.append(path)
        return real_usage(path)._replace(free=10**12 if len(checked) == 1 else 2048)

    monkeypatch.setattr(PreTrainedModel, "save_pretrained", full_disk)
    monkeypatch.setattr(shutil, "disk_usage", usage)
    out = tmp_path / "out"
    assert export(ckpt, out) == 1
    error = finished(capsys)["error"]
    assert error["kind"] == "disk_full", error
    assert (
        f"the export out in {tmp_path} needs about" in error["message"]
        and "2.0 KB is free" in error["message"]
    )
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-export-")]
