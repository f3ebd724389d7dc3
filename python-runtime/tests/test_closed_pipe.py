"""Every `python -m tunedesk` command survives a closed console pipe: no BrokenPipeError trace,
its normal exit status; a training run whose console goes away trains on (subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers.trainer_fixtures import (
    PYTHON_RUNTIME,
    base_args,
    read_events,
    subprocess_env,
    tiny_model_dir,
    write_data,
)

from tunedesk.checkpoint import TEST_HOOK_SAVE_SLEEP

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")


def run_with_stdout_closed(args: list[str], timeout: int = 240) -> subprocess.CompletedProcess:
    """The reader is gone before the command writes a byte: every write to stdout fails with EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "tunedesk", *args],
            cwd=PYTHON_RUNTIME,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
            env={**os.environ, **subprocess_env()},
        )
    finally:
        os.close(write_end)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_data(str(tmp_path_factory.mktemp("pipe") / "data.jsonl"))


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["doctor"],
        ["doctor", "--json"],
        ["data-check", "--train_path", "{data}", "--json"],
        ["data-check", "--train_path", "{data}", "--model_name_or_path", "{model}"],
        ["predict", "--model", "{model}", "--prompt", "hello", "--greedy", "--max_new_tokens", "4"],
        ["demo-model", "--out", "{tmp}/demo", "--json"],
        ["train", "--help"],
        ["export", "--help"],
        ["convert-weights", "--help"],
        ["import-chatglm", "--help"],
        ["legacy-env", "--help"],
    ],
    ids=lambda args: " ".join(a for a in args if not a.startswith("{")),
)
def test_a_command_ends_quietly_when_its_reader_is_gone(args, data, demo_model_dir, tmp_path):
    argv = [a.format(data=data, model=demo_model_dir, tmp=tmp_path) for a in args]
    result = run_with_stdout_closed(argv)
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr


def test_a_training_run_trains_on_when_its_console_closes(tmp_path):
    model = tiny_model_dir(str(tmp_path / "llama"))
    out = str(tmp_path / "run")
    argv = base_args(model, write_data(str(tmp_path / "data.jsonl")), out, "--train_type", "lora")
    # Each save holds for a second (test hook), so the later step lines surely meet a closed pipe.
    process = subprocess.Popen(
        [sys.executable, "-m", "tunedesk", "train", *argv, "--max_steps", "6", "--save_model_step", "2"],
        cwd=PYTHON_RUNTIME,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **subprocess_env(), TEST_HOOK_SAVE_SLEEP: "1"},
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("step 1/6"):
                break
        process.stdout.close()  # the console goes away one step in
        assert process.wait(timeout=240) == 0
    finally:
        process.kill()
    events = read_events(out)
    assert (
        events[-1]["type"] == "run_finished"
        and events[-1]["status"] == "completed"
        and events[-1]["step"] == 6
    )
    assert [e["step"] for e in events if e["type"] == "checkpoint_saved"] == [2, 4, 6]
    log = open(os.path.join(out, "train.log"), encoding="utf-8").read()
    assert "step 6/6" in log  # train.log still gets what the console no longer shows
    assert "Traceback" not in log and "BrokenPipe" not in log
