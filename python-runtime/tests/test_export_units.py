"""Fast unit tests of the export's pure parts: the verdict, tolerances, staging and disk checks."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import namedtuple

import pytest
import torch

from tunedesk.errors import ConfigError, DiskFullError, VerificationError
from tunedesk.export import safe_write
from tunedesk.export.safe_write import (
    STAGING_PREFIX,
    StagedExport,
    check_free_space,
    check_target,
    sweep_stale_staging,
)
from tunedesk.export.verify import Samples, judge, max_abs_diff, raise_if_failed, tolerance_for

SAMPLES = Samples(ids=[[1, 2, 3]], texts=["q"], source="train_path")


def logits(value: float) -> list[torch.Tensor]:
    return [torch.full((3, 5), value)]


def test_a_faithful_export_passes():
    verdict = judge(logits(1.00001), logits(1.0), logits(0.0), SAMPLES, "fp32")
    assert verdict.passed and verdict.max_abs_diff_vs_base == pytest.approx(1.00001)


def test_an_export_equal_to_the_base_is_a_skipped_merge():
    verdict = judge(logits(0.0), logits(1.0), logits(0.0), SAMPLES, "fp32")
    assert not verdict.passed and "merge did not happen" in verdict.reason


def test_an_export_that_differs_from_both_is_out_of_tolerance():
    verdict = judge(logits(3.0), logits(1.0), logits(0.0), SAMPLES, "fp32")
    assert not verdict.passed and "exceeds the tolerance" in verdict.reason


def test_training_that_changed_nothing_fails_even_when_the_export_matches():
    verdict = judge(logits(0.5), logits(0.5), logits(0.5), SAMPLES, "fp32")
    assert not verdict.passed and "change nothing" in verdict.reason
    with pytest.raises(VerificationError) as caught:
        raise_if_failed(verdict)
    assert caught.value.record["passed"] is False  # the measurements travel with the error


def test_low_precision_export_nearer_the_base_than_the_trained_model_fails():
    # bf16 tolerance is loose, but an export that sits on the base model is still a missing merge.
    skipped = judge(logits(0.0), logits(0.05), logits(0.0), SAMPLES, "bf16")
    assert not skipped.passed and "closer to the base model" in skipped.reason
    faithful = judge(logits(0.049), logits(0.05), logits(0.0), SAMPLES, "bf16")
    assert faithful.passed  # a small training effect still passes when the export carries it


def test_tolerance_grows_with_lower_precision_and_logit_scale():
    small, large = logits(1.0), logits(100.0)
    assert tolerance_for("fp32", small) < tolerance_for("fp16", small) < tolerance_for("bf16", small)
    assert tolerance_for("fp16", large) > tolerance_for("fp16", small)


def test_logits_are_compared_on_trailing_positions():
    # P-Tuning v1 returns logits for its virtual tokens too: those leading rows are skipped.
    with_virtual = [torch.cat([torch.full((4, 5), 9.0), torch.zeros(3, 5)])]
    assert max_abs_diff(with_virtual, [torch.zeros(3, 5)]) == 0.0


def test_non_empty_target_and_checkpoints_are_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        check_target(tmp_path / "file", force=True)
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "a").write_text("x")
    with pytest.raises(ConfigError, match="not empty") as caught:
        check_target(taken, force=False)
    assert "--force" in caught.value.hint
    check_target(taken, force=True)
    (taken / "manifest.json").write_text("{}")
    with pytest.raises(ConfigError, match="is a checkpoint"):
        check_target(taken, force=True)
    check_target(tmp_path / "new", force=False)


def test_disk_full_is_raised_with_the_numbers(tmp_path, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(safe_write.shutil, "disk_usage", lambda _p: usage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(DiskFullError) as caught:
        check_free_space(tmp_path, 5 * 1024 * 1024)
    assert "5.3 MB" in caught.value.message and "1000 B is free" in caught.value.message
    monkeypatch.setattr(safe_write.shutil, "disk_usage", lambda _p: usage(10**12, 0, 10**12))
    check_free_space(tmp_path, 5 * 1024 * 1024)


def test_staging_is_removed_on_failure_and_replaces_the_target_on_commit(tmp_path):
    target = tmp_path / "out"
    with pytest.raises(RuntimeError), StagedExport(target, force=False) as staging:
        (staging / "w").write_text("half")
        raise RuntimeError("boom")
    assert not target.exists() and list(tmp_path.iterdir()) == []
    target.mkdir()
    (target / "old").write_text("old")
    staged = StagedExport(target, force=True)
    with staged as staging:
        (staging / "new").write_text("new")
        staged.commit()
    assert sorted(p.name for p in target.iterdir()) == ["new"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_only_staging_of_dead_processes_is_swept(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    stale = tmp_path / f"{STAGING_PREFIX}x-{int(dead.stdout)}"
    live = tmp_path / f"{STAGING_PREFIX}y-{os.getpid()}"
    other = tmp_path / "keep-me"
    for d in (stale, live, other):
        d.mkdir()
    sweep_stale_staging(tmp_path)
    assert not stale.exists() and live.exists() and other.exists()


def test_checkpoint_problems_are_explained_before_loading_anything(tmp_path):
    import json

    from tunedesk.export.source import open_checkpoint

    run = tmp_path / "run"
    (run / "checkpoints" / "step-000002").mkdir(parents=True)
    with pytest.raises(ConfigError, match="no complete checkpoint"):
        open_checkpoint(run)
    manifest = {
        "format": "tunedesk-checkpoint",
        "version": 1,
        "step": 4,
        "weights": "adapter",
        "base_model": "/gone",
    }
    newest = run / "checkpoints" / "step-000004"
    newest.mkdir()
    (newest / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(
        ConfigError, match="base model /gone recorded in the checkpoint is not there"
    ) as caught:
        open_checkpoint(run)  # a run directory means its newest complete checkpoint
    assert "base_model" in caught.value.hint
    (newest / "manifest.json").write_text(json.dumps({**manifest, "weights": "everything"}))
    with pytest.raises(ConfigError, match="weights must be one of"):
        open_checkpoint(newest)
