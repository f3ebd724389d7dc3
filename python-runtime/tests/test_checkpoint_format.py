"""Checkpoint format v1 helpers: completeness, pruning, RNG state, manifests (no training)."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

from tunedesk.checkpoint import (
    capture_rng,
    checkpoint_name,
    complete_checkpoints,
    prune_checkpoints,
    read_manifest,
    restore_rng,
    write_json_atomic,
)
from tunedesk.errors import ConfigError


def make(run_dir, step, complete=True):
    folder = run_dir / "checkpoints" / checkpoint_name(step)
    folder.mkdir(parents=True)
    (folder / "optimizer.pt").write_bytes(b"x")
    if complete:
        write_json_atomic(
            str(folder / "manifest.json"), {"format": "tunedesk-checkpoint", "version": 1, "step": step}
        )
    return folder


def test_names_are_zero_padded():
    assert checkpoint_name(7) == "step-000007" and checkpoint_name(123456) == "step-123456"


def test_only_checkpoints_with_a_manifest_count(tmp_path):
    make(tmp_path, 10)
    make(tmp_path, 20, complete=False)
    (tmp_path / "checkpoints" / ".tmp-step-000030-123").mkdir()
    make(tmp_path, 5)
    assert [p.rsplit("/", 1)[-1] for p in complete_checkpoints(str(tmp_path))] == [
        "step-000005",
        "step-000010",
    ]
    assert complete_checkpoints(str(tmp_path / "missing")) == []


def test_pruning_keeps_the_newest_and_the_protected(tmp_path):
    for step in (1, 2, 3, 4):
        make(tmp_path, step)
    protected = str(tmp_path / "checkpoints" / "step-000001")
    removed = prune_checkpoints(str(tmp_path), keep=2, protect=protected)
    assert [p.rsplit("/", 1)[-1] for p in removed] == ["step-000002"]
    assert [p.rsplit("/", 1)[-1] for p in complete_checkpoints(str(tmp_path))] == [
        "step-000001",
        "step-000003",
        "step-000004",
    ]


def test_read_manifest_refuses_incomplete_and_foreign_folders(tmp_path):
    with pytest.raises(ConfigError, match="incomplete checkpoint"):
        read_manifest(str(make(tmp_path, 1, complete=False)))
    foreign = make(tmp_path, 2, complete=False)
    (foreign / "manifest.json").write_text(json.dumps({"format": "other", "version": 9}))
    with pytest.raises(ConfigError, match="not a TuneDesk checkpoint"):
        read_manifest(str(foreign))
    assert read_manifest(str(make(tmp_path, 3)))["step"] == 3


def test_rng_state_round_trips_through_a_weights_only_load(tmp_path):
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    path = tmp_path / "rng_state.pt"
    torch.save(capture_rng(), path)
    expected = (random.random(), float(np.random.rand()), float(torch.rand(1)))
    random.seed(99)
    np.random.seed(99)
    torch.manual_seed(99)
    restore_rng(torch.load(path, weights_only=True))
    assert (random.random(), float(np.random.rand()), float(torch.rand(1))) == expected


def test_atomic_json_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "state.json"
    write_json_atomic(str(target), {"a": 1})
    write_json_atomic(str(target), {"a": 2})
    assert json.loads(target.read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
