"""Engine selection, the LR schedule, AdamW groups, DeepSpeed config generation and launcher commands."""

from __future__ import annotations

import json
import os
import shlex

import pytest
import torch

from tunedesk.config import TrainConfig
from tunedesk.engines import deepspeed_installed, select_engine
from tunedesk.engines.ds_config import (
    RESOURCES,
    build_ds_config,
    hostfile_text,
    launcher_command,
    load_ds_config,
    resolve_ds_file,
    zero_stage,
)
from tunedesk.engines.schedule import lr_factor, param_groups, warmup_steps_for
from tunedesk.engines.torch_engine import TorchEngine, autocast_dtype
from tunedesk.errors import ConfigError


def test_engine_selection_and_reason():
    assert select_engine("auto", cuda_available=True, has_deepspeed=True).name == "deepspeed"
    choice = select_engine("auto", cuda_available=False, has_deepspeed=True)
    assert choice.name == "torch" and "CUDA is not available" in choice.reason
    choice = select_engine("auto", cuda_available=True, has_deepspeed=False)
    assert choice.name == "torch" and "requirements-deepspeed.txt" in choice.reason
    assert select_engine("cpu", cuda_available=True, has_deepspeed=True).name == "torch"
    here = select_engine("auto")
    assert here.name == ("deepspeed" if deepspeed_installed() and torch.cuda.is_available() else "torch")


def test_warmup_then_linear_decay():
    total, warmup = 10, warmup_steps_for(10, 0.3)
    assert warmup == 3
    factors = [lr_factor(step, warmup, total) for step in range(total)]
    assert factors[:3] == [0.25, 0.5, 0.75]  # (step+1)/(warmup+1): the first step already learns
    assert factors[3] == 1.0
    assert all(a > b for a, b in zip(factors[3:], factors[4:]))  # strictly decaying
    assert factors[-1] == pytest.approx(1 / 7) and factors[-1] > 0
    assert [lr_factor(s, 0, 4) for s in range(4)] == [1.0, 0.75, 0.5, 0.25]


def test_no_weight_decay_on_biases_and_norms():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.LayerNorm(4))
    model[1].weight.requires_grad_(True)
    frozen = torch.nn.Linear(2, 2)
    frozen.weight.requires_grad_(False)
    named = list(model.named_parameters()) + [("frozen.weight", frozen.weight)]
    decay, plain = param_groups(named, 0.05)
    assert decay["weight_decay"] == 0.05 and [p.shape for p in decay["params"]] == [torch.Size([4, 4])]
    assert plain["weight_decay"] == 0.0 and len(plain["params"]) == 3  # linear bias, norm weight and bias


def test_weight_decay_is_honoured_by_the_torch_engine():
    engine = TorchEngine(TrainConfig(device="cpu", weight_decay=0.01, learning_rate=0.5, warmup_ratio=0.5))
    engine.prepare(torch.nn.Linear(3, 3), total_steps=4)
    assert [g["weight_decay"] for g in engine.optimizer.param_groups] == [0.01, 0.0]
    assert engine.lr == pytest.approx(0.5 * lr_factor(0, 2, 4))


def test_fp16_is_refused_on_the_cpu():
    with pytest.raises(ConfigError, match="fp16"):
        autocast_dtype(TrainConfig(fp16=True), torch.device("cpu"))
    assert autocast_dtype(TrainConfig(bf16=True), torch.device("cpu")) == torch.bfloat16


def test_bundled_configs_and_original_names_resolve():
    for name in ("zero2.json", "zero3.json", "zero3_offload.json"):
        assert os.path.isfile(os.path.join(RESOURCES, name))
    assert resolve_ds_file(None).endswith("zero2.json")
    assert resolve_ds_file("ds_zero2_no_offload.json").endswith("zero2.json")
    assert resolve_ds_file("./ds_zero3_no_offload.json").endswith(os.sep + "zero3.json")
    assert resolve_ds_file("ds_zero3_offload.json").endswith("zero3_offload.json")
    assert resolve_ds_file("zero3").endswith("zero3.json")
    with pytest.raises(ConfigError, match="not a bundled config"):
        resolve_ds_file("my_missing.json")


@pytest.mark.parametrize(
    ("name", "stage", "offload"), [("zero2", 2, False), ("zero3", 3, False), ("zero3_offload", 3, True)]
)
def test_generated_config_fills_every_auto(name, stage, offload):
    config = TrainConfig(
        per_device_train_batch_size=2,
        gradient_accumulation_steps=4,
        learning_rate=2e-4,
        weight_decay=0.01,
        max_grad_norm=0.5,
        bf16=True,
        ds_file=name,
    )
    ds = load_ds_config(config, world_size=3)
    assert "auto" not in json.dumps(ds)
    assert ds["train_batch_size"] == 2 * 4 * 3 and ds["train_micro_batch_size_per_gpu"] == 2
    assert ds["gradient_accumulation_steps"] == 4 and ds["gradient_clipping"] == 0.5
    assert ds["optimizer"]["params"] == {"lr": 2e-4, "betas": [0.9, 0.95], "eps": 1e-8, "weight_decay": 0.01}
    assert ds["bf16"]["enabled"] is True and ds["fp16"]["enabled"] is False
    assert zero_stage(ds) == stage and "scheduler" not in ds
    assert ("offload_optimizer" in ds["zero_optimization"]) is offload
    if stage == 3:
        assert ds["zero_optimization"]["stage3_gather_16bit_weights_on_model_save"] is True


def test_user_values_in_a_config_file_are_kept(tmp_path):
    base = {
        "zero_optimization": {"stage": 2},
        "optimizer": {"type": "AdamW", "params": {"lr": "auto", "betas": [0.8, 0.9]}},
        "scheduler": {"type": "WarmupDecayLR", "params": {}},
    }
    ds = build_ds_config(TrainConfig(learning_rate=1e-3, weight_decay=0.2), 1, base)
    assert ds["optimizer"]["params"]["betas"] == [0.8, 0.9] and ds["optimizer"]["params"]["lr"] == 1e-3
    assert ds["optimizer"]["params"]["weight_decay"] == 0.2  # the originals forced 0.1 here
    with pytest.raises(ConfigError, match="auto"):
        build_ds_config(TrainConfig(), 1, {"zero_optimization": {"stage": 2}, "amp": "auto"})


def test_launcher_command_single_node():
    command = launcher_command(
        ["--train_path", "d.json", "--train_type", "all"], gpus=[0, 1], master_port=29601
    )
    assert shlex.join(command) == (
        "deepspeed --include localhost:0,1 --master_port 29601 --no_local_rank "
        "--module tunedesk train --train_path d.json --train_type all"
    )


def test_launcher_command_multi_node(tmp_path):
    hostfile = tmp_path / "hostfile"
    hostfile.write_text(hostfile_text({"worker-0": 8, "worker-1": 8}))
    assert hostfile.read_text() == "worker-0 slots=8\nworker-1 slots=8\n"
    command = launcher_command(
        ["--train_type", "lora"], hostfile=str(hostfile), num_nodes=2, master_addr="10.0.0.1"
    )
    assert command[:8] == [
        "deepspeed",
        "--hostfile",
        str(hostfile),
        "--num_nodes",
        "2",
        "--master_addr",
        "10.0.0.1",
        "--master_port",
    ]
    assert command[-5:] == ["--module", "tunedesk", "train", "--train_type", "lora"]


@pytest.mark.skipif(
    not (deepspeed_installed() and torch.cuda.is_available()),
    reason="needs deepspeed installed and a CUDA GPU (not installable on this CI machine)",
)
def test_deepspeed_engine_initialises_zero2():  # pragma: no cover - runs on GPU machines only
    from tunedesk.engines.deepspeed_engine import DeepSpeedEngine

    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29555")
    os.environ.setdefault("RANK", "0")
    os.environ.setdefault("WORLD_SIZE", "1")
    os.environ.setdefault("LOCAL_RANK", "0")
    engine = DeepSpeedEngine(TrainConfig(ds_file="zero2", learning_rate=1e-2))
    model = engine.prepare(torch.nn.Linear(8, 8).cuda(), total_steps=2)
    loss = model(torch.ones(2, 8, device=engine.device)).sum()
    engine.backward(loss)
    engine.step()
    assert engine.lr > 0


def test_cpu_threads_leave_the_busy_cores_alone(monkeypatch):
    import os

    from tunedesk.engines.torch_engine import cpu_threads

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert cpu_threads(available=2, load=0.2) == 2  # idle: every core
    assert cpu_threads(available=2, load=1.0) == 1
    assert cpu_threads(available=2, load=14.0) == 1  # oversubscribed: one thread, never zero
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    assert cpu_threads(available=8, load=4.0) == 8  # never more than torch would use
    assert cpu_threads(available=16, load=10.0) == 6
