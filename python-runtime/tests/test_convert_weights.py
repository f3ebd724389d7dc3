"""convert-weights: pickle (.bin) shards -> a safetensors copy, tensors only, all or nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tunedesk import convert_weights as cw
from tunedesk.errors import ConfigError
from tunedesk.model_loading import check_model_dir

RUNTIME = Path(__file__).resolve().parents[1]


def _pickled_copy(demo_model_dir: str, dest: Path, shards: int) -> dict[str, torch.Tensor]:
    """The demo model with its weights as pytorch_model*.bin (and an index when sharded), like older
    checkpoints such as ChatGLM-6B ship them. Returns the original tensors."""
    dest.mkdir()
    for name in os.listdir(demo_model_dir):
        if not name.endswith(".safetensors") and not name.endswith(".index.json"):
            shutil.copy(os.path.join(demo_model_dir, name), dest / name)
    tensors = {}
    for name in sorted(os.listdir(demo_model_dir)):
        if name.endswith(".safetensors"):
            tensors.update(load_file(os.path.join(demo_model_dir, name)))
    names = sorted(tensors)
    if shards == 1:
        torch.save(tensors, dest / "pytorch_model.bin")
        return tensors
    weight_map = {}
    for number in range(shards):
        part = names[number::shards]
        file = f"pytorch_model-{number + 1:05d}-of-{shards:05d}.bin"
        torch.save({n: tensors[n] for n in part}, dest / file)
        weight_map.update({n: file for n in part})
    (dest / "pytorch_model.bin.index.json").write_text(
        json.dumps({"weight_map": weight_map}), encoding="utf-8"
    )
    return tensors


def _listing(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


def test_sharded_bin_becomes_safetensors_with_identical_tensors_and_the_bin_files_untouched(
    demo_model_dir, tmp_path
):
    model_dir = tmp_path / "old-model"
    original = _pickled_copy(demo_model_dir, model_dir, shards=2)
    with pytest.raises(ConfigError) as refused:
        check_model_dir(str(model_dir))  # the trainer refuses pickles and names the command
    assert f"python -m tunedesk convert-weights {model_dir}" in refused.value.hint
    before = {name: stamp for name, stamp in _listing(model_dir).items() if name.endswith(".bin")}

    summary = cw.convert_weights(model_dir)

    assert summary.converted and summary.tensors == len(original)
    assert summary.shards == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    index = json.loads((model_dir / cw.INDEX).read_text())
    converted = {}
    for shard in summary.shards:
        converted.update(load_file(str(model_dir / shard)))
    assert set(index["weight_map"]) == set(original) == set(converted)
    for name, tensor in original.items():
        assert torch.equal(converted[name], tensor), name
    assert {n: s for n, s in _listing(model_dir).items() if n.endswith(".bin")} == before
    assert not list(model_dir.glob(".tmp-*"))
    check_model_dir(str(model_dir))  # now accepted

    from transformers import AutoModelForCausalLM

    ids = torch.tensor([[3, 5, 7, 9]])
    reference = AutoModelForCausalLM.from_pretrained(demo_model_dir).eval()
    loaded = AutoModelForCausalLM.from_pretrained(str(model_dir), use_safetensors=True).eval()
    with torch.no_grad():
        assert torch.allclose(reference(ids).logits, loaded(ids).logits)

    again = cw.convert_weights(model_dir)
    assert not again.converted and "nothing to do" in again.note


def test_tied_tensors_saved_twice_in_one_pickle_are_written(demo_model_dir, tmp_path):
    model_dir = tmp_path / "tied"
    tensors = _pickled_copy(demo_model_dir, model_dir, shards=1)
    name = sorted(tensors)[0]
    shared = dict(tensors)
    shared["lm_head.extra_alias"] = shared[name]  # one storage under two names, as tied weights pickle
    torch.save(shared, model_dir / "pytorch_model.bin")

    cw.convert_weights(model_dir)

    out = load_file(str(model_dir / "model.safetensors"))
    assert torch.equal(out["lm_head.extra_alias"], tensors[name])


class _RunsCode:
    """A pickle payload that would create a file if unpickled without restrictions."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_a_pickle_that_would_run_code_is_refused_and_nothing_runs_or_is_written(demo_model_dir, tmp_path):
    model_dir = tmp_path / "evil"
    _pickled_copy(demo_model_dir, model_dir, shards=1)
    marker = tmp_path / "code-ran"
    torch.save({"weight": torch.zeros(2), "payload": _RunsCode(str(marker))}, model_dir / "pytorch_model.bin")
    before = _listing(model_dir)

    with pytest.raises(ConfigError, match="not a plain tensor file") as refused:
        cw.convert_weights(model_dir)
    # What the unpickler refused, and never torch's advice to load again with weights_only=False.
    assert "it asks for" in refused.value.message
    assert "weights_only" not in refused.value.message + refused.value.hint

    assert not marker.exists()
    assert _listing(model_dir) == before


def test_an_interrupted_conversion_leaves_the_folder_as_it_was_and_the_next_one_completes(
    demo_model_dir, tmp_path, monkeypatch
):
    model_dir = tmp_path / "interrupted"
    _pickled_copy(demo_model_dir, model_dir, shards=2)
    before = _listing(model_dir)
    import safetensors.torch as st

    real_save = st.save_file
    calls = {"n": 0}

    def save_then_fail(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # Ctrl+C while writing the second shard
        return real_save(*args, **kwargs)

    monkeypatch.setattr(st, "save_file", save_then_fail)
    with pytest.raises(KeyboardInterrupt):
        cw.convert_weights(model_dir)
    assert _listing(model_dir) == before

    monkeypatch.setattr(st, "save_file", real_save)
    assert cw.convert_weights(model_dir).converted
    assert cw.already_converted(model_dir)


def test_an_index_without_all_its_shards_is_redone(demo_model_dir, tmp_path):
    model_dir = tmp_path / "half"
    _pickled_copy(demo_model_dir, model_dir, shards=2)
    cw.convert_weights(model_dir)
    (model_dir / "model-00002-of-00002.safetensors").unlink()  # e.g. a copy that stopped half-way
    assert not cw.already_converted(model_dir)
    assert cw.convert_weights(model_dir).converted
    assert cw.already_converted(model_dir)


def test_a_file_that_is_not_a_pickle_at_all_is_refused_plainly(demo_model_dir, tmp_path):
    model_dir = tmp_path / "garbage"
    _pickled_copy(demo_model_dir, model_dir, shards=1)
    (model_dir / "pytorch_model.bin").write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match="not a plain tensor file") as refused:
        cw.convert_weights(model_dir)
    assert "weights_only" not in refused.value.message


def test_cli_json_and_errors(demo_model_dir, tmp_path):
    model_dir = tmp_path / "cli"
    _pickled_copy(demo_model_dir, model_dir, shards=1)
    env = {**os.environ, "PYTHONPATH": str(RUNTIME)}
    command = [sys.executable, "-m", "tunedesk", "convert-weights"]
    done = subprocess.run(
        command + [str(model_dir), "--json"], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["converted"] is True
    missing = subprocess.run(
        command + [str(tmp_path / "nope")], capture_output=True, text=True, env=env, check=False
    )
    assert missing.returncode == 1
    assert "has no config.json" in missing.stderr and "Traceback" not in missing.stderr
