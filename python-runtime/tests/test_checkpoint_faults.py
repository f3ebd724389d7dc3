"""Kill the trainer at every file operation of a checkpoint save: the newest complete checkpoint
always survives, and a resume from it works.

The save under test replaces a complete checkpoint of the same step (what STOP right after a
periodic save does) and prunes an older one (save_total_limit 1), so every rename and delete of
checkpoint_publish is in the path. Each try is a forked child running the real trainer; the
test hook SIGKILLs it right before its N-th file operation (no clean-up, no finally).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys

import pytest
import torch
from helpers.trainer_fixtures import base_args, read_events, tiny_model_dir, write_data

from tunedesk import checkpoint_publish
from tunedesk.checkpoint import checkpoint_name
from tunedesk.checkpoint_publish import (
    TEST_HOOK_FILE_OP_LOG,
    TEST_HOOK_KILL_AT_FILE_OP,
    complete_checkpoints,
    manifest_problem,
    recover_interrupted_saves,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "fork"), reason="fork + SIGKILL")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A run with complete checkpoints at steps 2 and 4 (the state every try starts from)."""
    root = tmp_path_factory.mktemp("faults")
    assets = {
        "llama": tiny_model_dir(str(root / "llama")),
        "data": write_data(str(root / "data.jsonl"), repeat=2),
    }
    run = str(root / "template")
    assert in_child(lambda: train(assets, run, "--save_model_step", "2")) == ("exit", 0)
    assert [os.path.basename(p) for p in complete_checkpoints(run)] == ["step-000002", "step-000004"]
    return assets, run


def train(assets, out, *extra):
    from tunedesk import train as train_module

    argv = base_args(assets["llama"], assets["data"], out, "--train_type", "lora", "--max_steps", "4", *extra)
    return train_module.main(argv)


def in_child(work, env=None, exchange=True):
    """Run work() in a forked child; ('exit', code) or ('signal', number)."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 70
        try:
            torch.set_num_threads(1)
            os.environ.update(env or {})
            checkpoint_publish._EXCHANGE_ENABLED = exchange
            checkpoint_publish._file_ops_done = 0
            code = int(work() or 0)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return ("signal", os.WTERMSIG(status))
    return ("exit", os.WEXITSTATUS(status))


def step_of(path):
    return json.load(open(os.path.join(path, "manifest.json")))["step"]


@pytest.mark.parametrize("exchange", [True, False], ids=["atomic-swap", "move-aside"])
def test_a_kill_at_any_file_operation_keeps_the_newest_complete_checkpoint(template, tmp_path, exchange):
    assets, source = template
    ops_log = str(tmp_path / "ops.log")
    outcomes, windows = {}, []
    for n in range(1, 60):
        run = str(tmp_path / f"kill-{n}")
        shutil.copytree(source, run)
        resume_from = os.path.join(run, "checkpoints", checkpoint_name(2))
        env = {TEST_HOOK_KILL_AT_FILE_OP: str(n), TEST_HOOK_FILE_OP_LOG: ops_log}
        # Resume at step 2 and train to 4: saves step 4 again over the complete one, then prunes step 2.
        result = in_child(
            lambda run=run, resume_from=resume_from: train(
                assets, run, "--resume_from", resume_from, "--save_total_limit", "1"
            ),
            env,
            exchange,
        )
        if result == ("exit", 0):
            break
        assert result == ("signal", signal.SIGKILL), f"file operation {n}: {result}"
        names = [os.path.basename(p) for p in complete_checkpoints(run)]
        if "step-000004" not in names:
            # Only the portable path has a window (between its two renames): the old one waits
            # aside, complete, and the run's next save (or recovery) puts it back.
            assert not exchange, (
                f"file operation {n}: step 4 vanished: {os.listdir(os.path.join(run, 'checkpoints'))}"
            )
            windows.append(n)
            assert recover_interrupted_saves(os.path.join(run, "checkpoints"))
            names = [os.path.basename(p) for p in complete_checkpoints(run)]
        assert names[-1] == "step-000004", f"file operation {n}: {names}"
        newest = complete_checkpoints(run)[-1]
        assert manifest_problem(newest)[1] is None and step_of(newest) == 4
        outcomes[n] = tuple(names)
    else:
        raise AssertionError("the save never finished")
    operations = [line.split(" ", 1)[1] for line in open(ops_log).read().splitlines()]
    assert n - 1 >= 10, operations  # every operation of the save was a kill point
    assert not exchange or not windows
    assert exchange or windows  # the portable path really was interrupted between its renames
    # Resume from the newest complete checkpoint of each distinct outcome: it trains on.
    for n in sorted({outcome: n for n, outcome in outcomes.items()}.values()):
        run = str(tmp_path / f"kill-{n}")
        newest = complete_checkpoints(run)[-1]
        out = str(tmp_path / f"resumed-{n}")
        result = in_child(
            lambda out=out, newest=newest: train(assets, out, "--resume_from", newest, "--max_steps", "5")
        )
        assert result == ("exit", 0), f"resume after a kill at file operation {n}"
        finished = read_events(out)[-1]
        assert (
            finished["type"] == "run_finished" and finished["status"] == "completed" and finished["step"] == 5
        )


def test_a_manifest_whose_files_are_missing_or_cut_is_not_complete(template, tmp_path):
    source = template[1]
    run = str(tmp_path / "run")
    shutil.copytree(source, run)
    second, fourth = complete_checkpoints(run)
    shutil.rmtree(os.path.join(fourth, "adapter"))  # what a half-done delete used to leave
    with open(os.path.join(second, "optimizer.pt"), "r+b") as handle:
        handle.truncate(10)
    assert complete_checkpoints(run) == []
    assert "adapter/" in manifest_problem(fourth)[1] and "missing" in manifest_problem(fourth)[1]
    assert "optimizer.pt has 10 bytes" in manifest_problem(second)[1]
    # Resume refuses it before loading anything, naming what is missing.
    from tunedesk import train as train_module

    assets, _ = template
    out = str(tmp_path / "resumed")
    assert train_module.main(base_args(assets["llama"], assets["data"], out, "--resume_from", fourth)) == 1
    error = read_events(out)[-1]["error"]
    assert error["kind"] == "config" and "is not a complete checkpoint (adapter/" in error["message"]
