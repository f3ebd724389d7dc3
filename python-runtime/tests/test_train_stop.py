"""Stopping the trainer as the app does — STOP file, SIGTERM — and killing it mid-save (subprocesses)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from helpers.trainer_fixtures import (
    PYTHON_RUNTIME,
    base_args,
    read_events,
    subprocess_env,
    tiny_model_dir,
    write_data,
)

from tunedesk.checkpoint import TEST_HOOK_SAVE_SLEEP, complete_checkpoints
from tunedesk.events import validate_event

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    root = tmp_path_factory.mktemp("stop")
    return {"llama": tiny_model_dir(str(root / "llama")), "data": write_data(str(root / "data.jsonl"))}


def start(assets, out, *extra, env=None):
    argv = base_args(
        assets["llama"], assets["data"], out, "--train_type", "lora", "--max_steps", "100000", *extra
    )
    return subprocess.Popen(
        [sys.executable, "-m", "tunedesk", "train", *argv],
        cwd=PYTHON_RUNTIME,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **subprocess_env(), **(env or {})},
    )


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def has_metrics(out, count=2):
    try:
        return sum(1 for e in read_events(out) if e["type"] == "metrics") >= count
    except (FileNotFoundError, json.JSONDecodeError):
        return False


def assert_cancelled_with_checkpoint(process, out, requested_at):
    code = process.wait(timeout=30)
    assert time.monotonic() - requested_at < 30
    assert code == 0
    events = read_events(out)
    for event in events:
        validate_event(event)
    finished = events[-1]
    assert finished["type"] == "run_finished" and finished["status"] == "cancelled"
    (checkpoint,) = complete_checkpoints(out)
    manifest = json.load(open(os.path.join(checkpoint, "manifest.json")))
    assert manifest["step"] == finished["step"] >= 2
    for name in manifest["files"]:
        assert os.path.getsize(os.path.join(checkpoint, name)) == manifest["files"][name]
    assert events[-2] == {**events[-2], "type": "log"} and events[-3]["type"] == "checkpoint_saved"
    return finished


def test_stop_file_cancels_with_a_complete_checkpoint(assets, tmp_path):
    out = str(tmp_path / "run")
    process = start(assets, out)
    try:
        wait_for(lambda: has_metrics(out), 120, "training to start")
        open(os.path.join(out, "STOP"), "w").close()
        finished = assert_cancelled_with_checkpoint(process, out, time.monotonic())
        assert "STOP file" in finished["reason"]
    finally:
        process.kill()


def test_sigterm_cancels_with_a_complete_checkpoint(assets, tmp_path):
    out = str(tmp_path / "run")
    process = start(assets, out)
    try:
        wait_for(lambda: has_metrics(out), 120, "training to start")
        process.send_signal(signal.SIGTERM)
        finished = assert_cancelled_with_checkpoint(process, out, time.monotonic())
        assert "SIGTERM" in finished["reason"]
    finally:
        process.kill()


def test_kill_during_a_save_never_leaves_a_manifest(assets, tmp_path):
    out = str(tmp_path / "run")
    # The test hook holds the save after the weights are written, before manifest.json.
    process = start(assets, out, "--save_model_step", "2", env={TEST_HOOK_SAVE_SLEEP: "60"})
    folder = os.path.join(out, "checkpoints")

    def temporary():
        names = os.listdir(folder) if os.path.isdir(folder) else []
        return [os.path.join(folder, n) for n in names if n.startswith(".tmp-step-000002-")]

    try:
        wait_for(
            lambda: any(os.path.isfile(os.path.join(t, "run_config.json")) for t in temporary()),
            120,
            "the first save",
        )
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        process.kill()
    (target,) = temporary()
    assert os.path.isfile(os.path.join(target, "optimizer.pt"))  # the save really was under way
    assert not os.path.exists(os.path.join(target, "manifest.json"))
    assert complete_checkpoints(out) == []
    assert not os.path.exists(os.path.join(folder, "step-000002"))  # only a complete checkpoint gets its name
    assert read_events(out)[-1]["type"] != "run_finished"  # the app reports this run as crashed
