"""Safe writing: no half-written export after a kill, no overwrite without --force, disk_full
before writing, incomplete checkpoints refused."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.export_helpers import make_base_model, make_lora_checkpoint

from tunedesk.export import cli
from tunedesk.export.safe_write import SLEEP_HOOK_ENV, STAGING_PREFIX

PYTHON_RUNTIME = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("safety")
    return make_lora_checkpoint(root / "run-1", make_base_model(root / "base", "llama"))


def events_of(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def start_export(checkpoint: Path, out: Path, sleep: float) -> subprocess.Popen:
    env = {**os.environ, SLEEP_HOOK_ENV: str(sleep)}
    return subprocess.Popen(
        [sys.executable, "-m", "tunedesk", "export", "--checkpoint", str(checkpoint), "--out", str(out)],
        cwd=PYTHON_RUNTIME,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def wait_for_staged_weights(parent: Path, proc: subprocess.Popen, timeout: float = 120) -> Path:
    """Block until the export is mid-write: weights in staging, process sleeping in the hook."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for staging in parent.glob(f"{STAGING_PREFIX}*"):
            if list(staging.glob("*.safetensors")):
                return staging
        assert proc.poll() is None, "export ended before writing"
        time.sleep(0.2)
    raise AssertionError("the export never reached the write stage")


def test_kill_during_write_leaves_nothing_at_the_target(checkpoint, tmp_path, capsys):
    out = tmp_path / "killed"
    proc = start_export(checkpoint, out, sleep=60)
    try:
        staging = wait_for_staged_weights(tmp_path, proc)
        proc.kill()  # SIGKILL: no handler runs, the worst case
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not out.exists()
    assert staging.exists()  # a killed process cannot clean up; the next export sweeps it
    assert cli.main(["--checkpoint", str(checkpoint), "--out", str(tmp_path / "next")]) == 0
    capsys.readouterr()
    assert not staging.exists()
    assert not out.exists()


def test_sigterm_during_write_cancels_and_cleans_up(checkpoint, tmp_path):
    out = tmp_path / "terminated"
    proc = start_export(checkpoint, out, sleep=60)
    try:
        staging = wait_for_staged_weights(tmp_path, proc)
        proc.send_signal(signal.SIGTERM)
        stdout, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    finished = events_of(stdout)[-1]
    assert finished["type"] == "export_finished" and finished["error"]["kind"] == "interrupted"
    assert not out.exists() and not staging.exists()


def test_non_empty_target_is_refused_without_force(checkpoint, tmp_path, capsys):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    assert cli.main(["--checkpoint", str(checkpoint), "--out", str(out)]) == 1
    finished = events_of(capsys.readouterr().out)[-1]
    assert finished["error"]["kind"] == "config" and "--force" in finished["error"]["hint"]
    assert (out / "precious.txt").read_text() == "keep me"
    assert cli.main(["--checkpoint", str(checkpoint), "--out", str(out), "--force"]) == 0
    capsys.readouterr()
    assert not (out / "precious.txt").exists() and (out / "export.json").is_file()


def test_incomplete_checkpoint_is_refused(checkpoint, tmp_path, capsys):
    incomplete = tmp_path / "run-2" / "checkpoints" / "step-000004"
    shutil.copytree(checkpoint, incomplete)
    (incomplete / "manifest.json").unlink()
    assert cli.main(["--checkpoint", str(incomplete), "--out", str(tmp_path / "x")]) == 1
    error = events_of(capsys.readouterr().out)[-1]["error"]
    assert error["kind"] == "config" and "manifest.json is missing" in error["message"]


def test_full_disk_is_reported_before_writing(checkpoint, tmp_path, capsys):
    small = tmp_path / "small-fs"
    small.mkdir()
    # The tiny model needs ~450 KB in fp32; a 128 KB filesystem cannot hold it.
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", str(small)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    try:
        out = small / "export"
        assert cli.main(["--checkpoint", str(checkpoint), "--out", str(out)]) == 1
        finished = events_of(capsys.readouterr().out)[-1]
        assert finished["error"]["kind"] == "disk_full"
        assert "free" in finished["error"]["message"]
        assert list(small.iterdir()) == []  # checked before the first byte was written
    finally:
        subprocess.run(["umount", str(small)], check=False)


def test_too_little_memory_is_refused_before_loading(checkpoint, tmp_path, capsys, monkeypatch):
    from collections import namedtuple

    import psutil
    from transformers import AutoModelForCausalLM

    from tunedesk.export.source import count_parameters, open_checkpoint

    base = open_checkpoint(checkpoint).base_model
    assert count_parameters(base) == AutoModelForCausalLM.from_pretrained(base).num_parameters()
    memory = namedtuple("memory", "total available")
    monkeypatch.setattr(psutil, "virtual_memory", lambda: memory(100_000, 50_000))
    assert cli.main(["--checkpoint", str(checkpoint), "--out", str(tmp_path / "x")]) == 1
    events = events_of(capsys.readouterr().out)
    assert [e["type"] for e in events] == ["export_finished"]  # refused before any work
    assert events[0]["error"]["kind"] == "oom" and "GiB of RAM" in events[0]["error"]["message"]
