"""The run directory a train command leaves behind: events, checkpoints, failures (real trainer, CPU)."""

from __future__ import annotations

import json
import os
import shlex

import pytest
import torch
from helpers.trainer_fixtures import (
    SEED_COMMAND,
    base_args,
    metric_losses,
    read_events,
    tiny_model_dir,
    write_data,
)

from tunedesk import train as train_module
from tunedesk.checkpoint import complete_checkpoints
from tunedesk.events import validate_event


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    root = tmp_path_factory.mktemp("rundir")
    return {
        "llama": tiny_model_dir(str(root / "llama")),
        "glm": tiny_model_dir(str(root / "glm"), family="glm"),
        "data": write_data(str(root / "data.jsonl")),
    }


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_seed_command_line_runs_scaled_down(assets, tmp_path):
    """The original README's ChatGLM3 LoRA command, on the tiny GLM model with fewer tokens."""
    out = tmp_path / "output-glm3"
    argv = shlex.split(SEED_COMMAND.format(data=assets["data"], model=assets["glm"], out=out))
    argv[argv.index("--max_len") + 1] = "96"
    argv[argv.index("--max_src_len") + 1] = "64"
    argv[argv.index("--show_loss_step") + 1] = "2"
    assert train_module.main(argv) == 0
    events = read_events(str(out))
    for event in events:
        validate_event(event)
    started, finished = events[0], events[-1]
    assert started["type"] == "run_started" and finished == {
        **finished,
        "type": "run_finished",
        "status": "completed",
    }
    assert started["engine"] == "torch" and "deepspeed" in started["engine_reason"]
    # 32 samples, batch 1, accumulation 4 → 8 steps per epoch, 2 epochs.
    assert started["total_steps"] == 16 and finished["step"] == 16
    assert started["method_detail"]["target_modules"] == [
        "q_proj",
        "k_proj",
        "v_proj",
        "gate_up_proj",
        "down_proj",
        "o_proj",
    ]
    metrics = [e for e in events if e["type"] == "metrics"]
    assert [m["step"] for m in metrics] == list(range(2, 17, 2))
    for key in ("loss", "lr", "grad_norm", "tokens_per_s", "samples_per_s", "mem_gb", "mem_peak_gb"):
        assert isinstance(metrics[-1]["values"][key], float), key
    assert metrics[-1]["values"]["mem_peak_gb"] >= metrics[-1]["values"]["mem_gb"] > 0
    assert any(
        e["type"] == "log" and "ds_file ds_zero2_no_offload.json is not used" in e["message"] for e in events
    )
    assert json.loads((out / "run.json").read_text())["mode"] == "glm3"
    assert "step 16/16" in (out / "train.log").read_text()
    (checkpoint,) = complete_checkpoints(str(out))
    manifest = json.loads(open(os.path.join(checkpoint, "manifest.json")).read())
    assert manifest["format"] == "tunedesk-checkpoint" and manifest["version"] == 1
    assert manifest["step"] == 16 and manifest["weights"] == "adapter" and manifest["method"] == "lora"
    assert manifest["base_model"] == os.path.abspath(assets["glm"]) and manifest["ptuning_version"] is None
    for name in (
        "adapter/adapter_config.json",
        "adapter/adapter_model.safetensors",
        "optimizer.pt",
        "scheduler.pt",
        "trainer_state.json",
        "rng_state.pt",
        "run_config.json",
        "tokenizer/tokenizer.json",
    ):
        assert manifest["files"][name] == os.path.getsize(os.path.join(checkpoint, name)) > 0, name
    from peft import PeftConfig

    assert PeftConfig.from_pretrained(os.path.join(checkpoint, "adapter")).r == 16


def test_periodic_checkpoints_are_pruned_to_the_limit(assets, tmp_path):
    out = tmp_path / "run"
    assert (
        train_module.main(
            base_args(
                assets["llama"],
                assets["data"],
                str(out),
                "--train_type",
                "freeze",
                "--trainable_layers",
                "1",
                "--max_steps",
                "7",
                "--save_model_step",
                "2",
                "--save_total_limit",
                "2",
            )
        )
        == 0
    )
    names = [os.path.basename(p) for p in complete_checkpoints(str(out))]
    assert names == ["step-000006", "step-000007"]
    assert not [n for n in os.listdir(out / "checkpoints") if n.startswith(".tmp")]
    saved = [e["step"] for e in read_events(str(out)) if e["type"] == "checkpoint_saved"]
    assert saved == [2, 4, 6, 7]
    from safetensors.torch import load_file

    tensors = load_file(str(out / "checkpoints" / "step-000007" / "trainable.safetensors"))
    assert tensors and all(name.startswith("model.layers.1.") for name in tensors)


def test_eval_split_reports_eval_loss(assets, tmp_path):
    out = tmp_path / "run"
    assert (
        train_module.main(
            base_args(
                assets["llama"],
                assets["data"],
                str(out),
                "--train_type",
                "all",
                "--learning_rate",
                "5e-3",
                "--max_steps",
                "4",
                "--eval_split",
                "0.25",
                "--eval_steps",
                "2",
            )
        )
        == 0
    )
    events = read_events(str(out))
    evals = [e for e in events if e["type"] == "eval"]
    assert [e["step"] for e in evals] == [2, 4, 4]
    assert evals[0]["values"]["eval_loss"] > evals[1]["values"]["eval_loss"] > 0
    assert events[0]["train_samples"] == 24 and events[0]["eval_samples"] == 8


def corrupted_data(path):
    lines = [json.dumps({"instruction": f"q{i}", "input": "", "output": f"a{i}"}) for i in range(1, 61)]
    lines[56] = '{"instruction": "broken", "output": '  # line 57: bad JSON
    lines[9] = json.dumps({"instruction": "no output here"})  # line 10: missing field
    lines[19] = json.dumps({"instruction": "", "input": "", "output": "x"})  # line 20: no question
    data = "\n".join(lines).encode()
    marker = json.dumps({"instruction": "q30", "input": "", "output": "a30"}).encode()
    data = data.replace(
        marker, b'{"instruction": "\xff\xfe", "input": "", "output": "x"}'
    )  # line 30: bad UTF-8
    path.write_bytes(data + b"\n")
    return str(path)


def test_corrupted_data_fails_before_training_with_every_line(assets, tmp_path):
    out = tmp_path / "run"
    data = corrupted_data(tmp_path / "bad.jsonl")
    assert train_module.main(base_args(assets["llama"], data, str(out), "--max_steps", "2")) == 1
    events = read_events(str(out))
    assert [e["type"] for e in events] == ["run_started", "run_finished"]
    error = events[-1]["error"]
    assert error["kind"] == "data"
    for line in (10, 20, 30, 57):
        assert f"bad.jsonl:{line}:" in error["message"], line
    assert "--skip_bad_lines" in error["hint"]
    assert not (out / "checkpoints").exists()


def test_skip_bad_lines_trains_on_the_rest_and_lists_them(assets, tmp_path):
    out = tmp_path / "run"
    data = corrupted_data(tmp_path / "bad.jsonl")
    assert (
        train_module.main(base_args(assets["llama"], data, str(out), "--max_steps", "1", "--skip_bad_lines"))
        == 0
    )
    listed = (out / "bad_lines.txt").read_text().splitlines()
    assert len(listed) == 4 and listed[0].split(":")[-2] == "10"
    assert read_events(str(out))[0]["train_samples"] == 56


def test_non_finite_loss_stops_within_one_step(assets, tmp_path):
    out = tmp_path / "run"
    code = train_module.main(
        base_args(
            assets["llama"],
            assets["data"],
            str(out),
            "--train_type",
            "all",
            "--learning_rate",
            "1e6",
            "--max_grad_norm",
            "0",
            "--max_steps",
            "20",
        )
    )
    assert code == 1
    events = read_events(str(out))
    error = events[-1]["error"]
    assert error["kind"] == "nan" and "learning_rate" in error["hint"]
    bad_step = int(error["message"].split(" at step ")[1].split(" ")[0])
    losses = metric_losses(events)
    # Every step before the bad one was reported, with a finite loss; nothing after it ran.
    assert len(losses) == bad_step - 1 and all(loss == loss for loss in losses)
    assert bad_step <= 5


def write_model_config(path, config, weights=True):
    path.mkdir()
    (path / "config.json").write_text(json.dumps(config))
    if weights:
        (path / "model.safetensors").write_bytes(b"")
    return str(path)


@pytest.mark.parametrize(
    ("config", "expected_message", "expected_hint"),
    [
        (
            {"model_type": "chatglm", "kv_channels": 128, "multi_query_attention": True, "auto_map": {}},
            "ChatGLM2",
            "python -m tunedesk import-chatglm",
        ),
        ({"model_type": "chatglm", "position_encoding_2d": True, "auto_map": {}}, "ChatGLM-6B", "legacy-env"),
        (
            {"model_type": "llama", "auto_map": {"AutoModel": "x.Y"}},
            "its own Python code",
            "--trust_remote_code",
        ),
    ],
)
def test_models_we_cannot_load_safely_are_refused(assets, tmp_path, config, expected_message, expected_hint):
    model = write_model_config(tmp_path / "model", config)
    out = tmp_path / "run"
    assert train_module.main(base_args(model, assets["data"], str(out))) == 1
    error = read_events(str(out))[-1]["error"]
    assert (
        error["kind"] == "config" and expected_message in error["message"] and expected_hint in error["hint"]
    )


def test_pickle_weights_are_refused(assets, tmp_path):
    model = write_model_config(tmp_path / "model", {"model_type": "llama"}, weights=False)
    (tmp_path / "model" / "pytorch_model.bin").write_bytes(b"")
    from tunedesk.errors import ConfigError
    from tunedesk.model_loading import check_model_dir

    with pytest.raises(ConfigError, match="only pickle"):
        check_model_dir(model)


def test_invalid_configuration_still_ends_the_event_stream(tmp_path):
    out = tmp_path / "run"
    assert train_module.main(["--output_dir", str(out), "--train_type", "freeze", "--max_len", "0"]) == 1
    events = read_events(str(out))
    for event in events:
        validate_event(event)
    assert [e["type"] for e in events] == ["run_started", "run_finished"]
    assert events[0]["method"] == "freeze" and events[-1]["error"]["kind"] == "config"
    assert "max_len" in events[-1]["error"]["message"] and "train_path" in events[-1]["error"]["message"]
