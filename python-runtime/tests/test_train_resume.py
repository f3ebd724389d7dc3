"""Resume: an interrupted run continued from its checkpoint equals the uninterrupted run."""

from __future__ import annotations

import json
import os

import pytest
import torch
from helpers.trainer_fixtures import base_args, read_events, tiny_model_dir, write_data

from tunedesk import train as train_module
from tunedesk.run_output import RunReporter


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    root = tmp_path_factory.mktemp("resume")
    return {"llama": tiny_model_dir(str(root / "llama")), "data": write_data(str(root / "data.jsonl"))}


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def args(assets, out, *extra):
    # 32 samples, micro-batch 4, accumulation 2 → 4 steps per epoch, 3 epochs = 12 steps. LoRA dropout
    # on, so the RNG state must be restored too; warm-up on, so the scheduler must be.
    return base_args(
        assets["llama"],
        assets["data"],
        out,
        "--train_type",
        "lora",
        "--per_device_train_batch_size",
        "4",
        "--gradient_accumulation_steps",
        "2",
        "--num_train_epochs",
        "3",
        "--learning_rate",
        "3e-2",
        "--lora_dropout",
        "0.1",
        "--warmup_ratio",
        "0.25",
        *extra,
    )


def curve(run_dir):
    return {
        e["step"]: (e["values"]["loss"], e["values"]["lr"])
        for e in read_events(run_dir)
        if e["type"] == "metrics"
    }


def assert_continues(full, resumed, first_step):
    assert sorted(resumed) == [s for s in sorted(full) if s >= first_step]
    for step, (loss, lr) in resumed.items():
        assert lr == pytest.approx(full[step][1], rel=1e-9), step
        assert loss == pytest.approx(full[step][0], abs=1e-5), step


@pytest.fixture(scope="module")
def uninterrupted(assets, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("full") / "run")
    torch.set_num_threads(1)
    assert train_module.main(args(assets, out, "--save_model_step", "5")) == 0
    return out


def test_resume_from_a_periodic_checkpoint_matches(assets, uninterrupted, tmp_path):
    checkpoint = os.path.join(uninterrupted, "checkpoints", "step-000005")  # mid-epoch 2
    state = json.load(open(os.path.join(checkpoint, "trainer_state.json")))
    assert state["data_position"] == {
        "epoch": 1,
        "step_groups_consumed": 1,
        "batches_consumed": 2,
        "batch_size": 4,
    }
    out = str(tmp_path / "resumed")
    assert train_module.main(args(assets, out, "--resume_from", checkpoint)) == 0
    events = read_events(out)
    assert events[0]["start_step"] == 5 and events[0]["resumed_from"] == checkpoint
    assert_continues(curve(uninterrupted), curve(out), 6)
    assert events[-1]["step"] == 12


def test_stop_then_resume_in_the_same_run_directory_matches(assets, uninterrupted, tmp_path, monkeypatch):
    """A STOP file (the app's stop button) after step 7, then --resume_from into the same directory."""
    out = str(tmp_path / "run")
    emit = RunReporter.emit

    def emit_and_press_stop(self, kind, **fields):
        emit(self, kind, **fields)
        if kind == "metrics" and fields["step"] == 7:
            open(os.path.join(out, "STOP"), "w").close()

    monkeypatch.setattr(RunReporter, "emit", emit_and_press_stop)
    assert train_module.main(args(assets, out)) == 0
    events = read_events(out)
    assert events[-1]["status"] == "cancelled" and events[-1]["step"] == 7
    assert "STOP file" in events[-1]["reason"]
    assert os.path.exists(os.path.join(out, "STOP"))  # left behind: the new session must not obey it
    monkeypatch.setattr(RunReporter, "emit", emit)
    assert (
        train_module.main(args(assets, out, "--resume_from", os.path.join(out, "checkpoints", "step-000007")))
        == 0
    )
    events = read_events(out)
    sessions = [i for i, e in enumerate(events) if e["type"] == "run_started"]
    assert len(sessions) == 2 and events[-1]["status"] == "completed"
    assert any(e["type"] == "log" and "STOP file left" in e["message"] for e in events[sessions[1] :])
    assert_continues(curve(uninterrupted), curve(out), 1)  # one continuous curve, steps 1..12


def test_resume_with_another_method_is_refused(assets, uninterrupted, tmp_path):
    out = str(tmp_path / "run")
    checkpoint = os.path.join(uninterrupted, "checkpoints", "step-000005")
    argv = args(assets, out, "--resume_from", checkpoint)
    argv[argv.index("--train_type") + 1] = "freeze"
    assert train_module.main([*argv, "--trainable_layers", "1"]) == 1
    error = read_events(out)[-1]["error"]
    assert error["kind"] == "config" and "--train_type lora" in error["hint"]


def test_full_training_resumes_from_its_own_weights(assets, tmp_path):
    full, first, second = (str(tmp_path / name) for name in ("full", "first", "second"))
    common = ("--train_type", "all", "--learning_rate", "3e-3", "--num_train_epochs", "1")
    assert train_module.main(args(assets, full, *common)) == 0
    assert train_module.main(args(assets, first, *common, "--save_model_step", "2")) == 0
    checkpoint = os.path.join(first, "checkpoints", "step-000002")
    assert os.path.isfile(os.path.join(checkpoint, "model", "model.safetensors"))
    assert train_module.main(args(assets, second, *common, "--resume_from", checkpoint)) == 0
    assert_continues(curve(full), curve(second), 3)
