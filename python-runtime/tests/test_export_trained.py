"""Exports of checkpoints the real trainer wrote (python -m tunedesk train --max_steps 2) on the
embedded demo models: LoRA on the llama and glm families, P-Tuning v2 on llama."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from helpers.export_helpers import train
from transformers import AutoModelForCausalLM

from tunedesk.export import cli

PROBE = torch.tensor([[5, 17, 42, 99, 7, 3, 60, 11]])


def export(capsys, checkpoint: Path) -> tuple[Path, dict]:
    code = cli.main(["--checkpoint", str(checkpoint)])
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert code == 0, events[-1]
    out = Path(events[-1]["out"])
    assert out == checkpoint.parent.parent / "exports" / "step-000002-hf-fp32"  # the run's exports/ folder
    return out, json.loads((out / "export.json").read_text())


def peft_logits(base: str, adapter: Path) -> torch.Tensor:
    from peft import PeftModel

    model = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32), adapter
    )
    with torch.no_grad():
        return model.eval()(input_ids=PROBE).logits


@pytest.mark.parametrize("family", ["llama", "glm"])
def test_real_lora_checkpoint_exports_and_matches(family, request, tmp_path, capsys):
    model_dir = request.getfixturevalue("demo_model_dir" if family == "llama" else "glm_demo_model_dir")
    checkpoint = train(model_dir, tmp_path / f"run-{family}", "lora")
    out, record = export(capsys, checkpoint)
    verification = record["verification"]
    assert verification["passed"] and verification["samples_source"] == "train_path"
    assert verification["max_abs_logit_diff"] < 1e-4 < verification["training_effect"]
    with torch.no_grad():
        merged = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()(input_ids=PROBE).logits
    assert torch.allclose(merged, peft_logits(model_dir, checkpoint / "adapter"), atol=1e-4)


def test_real_ptuning_checkpoint_exports_as_a_bundle(demo_model_dir, tmp_path, capsys):
    checkpoint = train(demo_model_dir, tmp_path / "run-pt", "ptuning")
    out, record = export(capsys, checkpoint)
    assert record["kind"] == "ptuning-adapter" and record["verification"]["passed"]
    assert torch.allclose(
        peft_logits(record["base_model"], out / "adapter"),
        peft_logits(demo_model_dir, checkpoint / "adapter"),
    )
