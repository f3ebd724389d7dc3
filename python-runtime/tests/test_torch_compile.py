"""--torch_compile: the real trainer with its decoder layers compiled by TorchInductor.

Each run is a subprocess (dynamo's caches and settings are per process) with its own inductor
cache folder, so nothing compiled by an earlier test or run is reused.
"""

from __future__ import annotations

import glob
import os

import pytest
from helpers.trainer_fixtures import (
    base_args,
    metric_losses,
    read_events,
    run_train,
    subprocess_env,
    tiny_model_dir,
    write_data,
)
from safetensors import safe_open

from tunedesk.compile_layers import compile_decoder_layers


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    root = tmp_path_factory.mktemp("compile")
    return {"model": tiny_model_dir(str(root / "model")), "data": write_data(str(root / "data.jsonl"))}


def train(assets, out, cache, *extra, env=None):
    args = base_args(assets["model"], assets["data"], str(out), "--train_type", "all", "--max_steps", "3", *extra)
    done = run_train(args, env={**subprocess_env(), "TORCHINDUCTOR_CACHE_DIR": str(cache), **(env or {})}, timeout=600)
    return done, read_events(str(out))


def saved_keys(run_dir) -> set[str]:
    files = glob.glob(os.path.join(str(run_dir), "checkpoints", "**", "*.safetensors"), recursive=True)
    assert files, f"no safetensors under {run_dir}/checkpoints"
    keys: set[str] = set()
    for path in files:
        with safe_open(path, "pt") as handle:
            keys |= {f"{os.path.basename(path)}:{key}" for key in handle.keys()}
    return keys


def test_compiled_layers_train_as_the_eager_ones(assets, tmp_path):
    eager, eager_events = train(assets, tmp_path / "eager", tmp_path / "cache-eager")
    compiled, compiled_events = train(assets, tmp_path / "compiled", tmp_path / "cache", "--torch_compile")
    assert eager.returncode == 0, eager.stderr[-2000:]
    assert compiled.returncode == 0, compiled.stderr[-2000:]
    log = (tmp_path / "compiled" / "train.log").read_text(encoding="utf-8")
    assert "torch_compile: 2 decoder layers compiled with TorchInductor" in log
    assert "torch_compile" not in (tmp_path / "eager" / "train.log").read_text(encoding="utf-8")
    # Inductor really ran: it wrote its generated code into this run's cache folder.
    assert glob.glob(str(tmp_path / "cache" / "**" / "*.py"), recursive=True)
    expected, losses = metric_losses(eager_events), metric_losses(compiled_events)
    assert len(losses) == len(expected) == 3
    for ours, reference in zip(losses, expected):
        assert ours == pytest.approx(reference, rel=1e-3)  # fused kernels round differently, no more
    # Compiled in place: the checkpoint holds the eager model's names (no _orig_mod. prefix).
    assert saved_keys(tmp_path / "compiled") == saved_keys(tmp_path / "eager")


def test_a_missing_compiler_ends_the_run_explained(assets, tmp_path):
    done, events = train(
        assets, tmp_path / "run", tmp_path / "cache", "--torch_compile", env={"CXX": "/nonexistent/c++"}
    )
    finished = events[-1]
    assert done.returncode == 1 and finished["type"] == "run_finished" and finished["status"] == "failed"
    error = finished["error"]
    assert error["kind"] == "runtime"
    assert error["message"].startswith("torch.compile failed") and "/nonexistent/c++" in error["message"]
    assert "without --torch_compile" in error["hint"]


def test_left_off_where_there_are_no_plain_decoder_layers():
    count, line = compile_decoder_layers(None, "torch")
    assert count == 0 and "only the plain families" in line
    count, line = compile_decoder_layers(object(), "deepspeed")
    assert count == 0 and "deepspeed engine" in line
