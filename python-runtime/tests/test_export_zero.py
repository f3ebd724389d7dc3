"""Full checkpoints saved by DeepSpeed ZeRO-2/3 (partitions per rank) are consolidated before export.

DeepSpeed is not installable here, so the rank files are written in DeepSpeed's layout by hand:
ZeRO-3 gives every rank one equal, padded slice of each parameter; ZeRO-2 splits the flat group.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from pathlib import Path

import pytest
import torch
from helpers.export_helpers import make_base_model, write_train_data
from transformers import AutoModelForCausalLM

from tunedesk.export import cli
from tunedesk.export.zero import find_zero_checkpoint, zero_state_dict

WORLD = 3  # odd, so that parameter sizes do not divide evenly and padding is exercised


def _shard_stage3(state: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    flats: list[list[torch.Tensor]] = [[] for _ in range(WORLD)]
    for tensor in state.values():
        flat = tensor.flatten()
        part = -(-flat.numel() // WORLD)
        padded = torch.cat([flat, torch.zeros(part * WORLD - flat.numel())])
        for rank in range(WORLD):
            flats[rank].append(padded[rank * part : (rank + 1) * part])
    return [torch.cat(f) for f in flats]


def _shard_stage2(state: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    flat = torch.cat([t.flatten() for t in state.values()])
    part = -(-flat.numel() // (2 * WORLD)) * 2  # DeepSpeed aligns the group, then splits it evenly
    flat = torch.cat([flat, torch.zeros(part * WORLD - flat.numel())])
    return [flat[r * part : (r + 1) * part].clone() for r in range(WORLD)]


def write_zero_checkpoint(run_dir: Path, base: Path, stage: int) -> tuple[Path, dict[str, torch.Tensor]]:
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    torch.manual_seed(7)
    state = OrderedDict(
        (k, (v + torch.randn_like(v) * 0.02).contiguous()) for k, v in model.state_dict().items()
    )
    ckpt = run_dir / "checkpoints" / "step-000002"
    zero_dir = ckpt / "deepspeed" / "global_step2"
    zero_dir.mkdir(parents=True)
    shapes = [OrderedDict((k, v.shape) for k, v in state.items())]
    torch.save(
        {"param_shapes": shapes, "buffers": {}, "shared_params": {}},
        zero_dir / "zero_pp_rank_0_mp_rank_00_model_states.pt",
    )
    partitions = _shard_stage3(state) if stage == 3 else _shard_stage2(state)
    key = "fp32_flat_groups" if stage == 3 else "single_partition_of_fp32_groups"
    for rank, flat in enumerate(partitions):
        optim = {"optimizer_state_dict": {"zero_stage": stage, "partition_count": WORLD, key: [flat]}}
        torch.save(optim, zero_dir / f"bf16_zero_pp_rank_{rank}_mp_rank_00_optim_states.pt")
    train_path = write_train_data(run_dir)
    run_config = {
        "model_name_or_path": str(base),
        "mode": "chat",
        "train_type": "all",
        "train_path": str(train_path),
    }
    (ckpt / "run_config.json").write_text(json.dumps(run_config))
    manifest = {
        "format": "tunedesk-checkpoint", "version": 1, "step": 2, "method": "all", "engine": "deepspeed",
        "base_model": str(base), "weights": "full", "run_id": run_dir.name, "created": time.time(), "files": {},
    }  # fmt: skip
    (ckpt / "manifest.json").write_text(json.dumps(manifest))
    return ckpt, state


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return make_base_model(tmp_path_factory.mktemp("zero") / "base", "llama")


@pytest.mark.parametrize("stage", [2, 3])
def test_partitions_are_stitched_back_exactly(base, tmp_path, stage):
    ckpt, state = write_zero_checkpoint(tmp_path / f"run-z{stage}", base, stage)
    zero_dir = find_zero_checkpoint(ckpt)
    assert zero_dir is not None and zero_dir.name == "global_step2"
    stitched = zero_state_dict(zero_dir)
    assert set(stitched) == set(state)
    for name, tensor in state.items():
        assert torch.equal(stitched[name], tensor), name


def test_zero3_checkpoint_exports_the_consolidated_model(base, tmp_path, capsys):
    ckpt, state = write_zero_checkpoint(tmp_path / "run-z3", base, 3)
    out = tmp_path / "export"
    assert cli.main(["--checkpoint", str(ckpt), "--out", str(out)]) == 0
    capsys.readouterr()
    exported = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).state_dict()
    for name, tensor in state.items():
        assert torch.equal(exported[name], tensor), name
    assert not (ckpt / "model").exists()  # the checkpoint itself is never modified


def test_missing_rank_file_is_explained(base, tmp_path, capsys):
    ckpt, _ = write_zero_checkpoint(tmp_path / "run-z3-broken", base, 3)
    next(ckpt.rglob("bf16_zero_pp_rank_2_*")).unlink()
    assert cli.main(["--checkpoint", str(ckpt), "--out", str(tmp_path / "x")]) == 1
    error = json.loads(capsys.readouterr().out.splitlines()[-1])["error"]
    assert "2 rank files" in error["message"] and "zero_pp_rank" in error["hint"]
