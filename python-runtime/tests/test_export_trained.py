"""Exports of checkpoints the real trainer wrote (python -m tunedesk train --max_steps 2) on the
embedded demo models: LoRA on the llama and glm families, P-Tuning v2 on llama."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM

from tunedesk.export import cli

PYTHON_RUNTIME = Path(__file__).resolve().parents[1]
DEMO_TRAIN = PYTHON_RUNTIME.parent / "resources" / "demo" / "train.jsonl"
PROBE = torch.tensor([[5, 17, 42, 99, 7, 3, 60, 11]])


def train(model_dir: str, run_dir: Path, method: str) -> Path:
    data = run_dir.parent / f"{run_dir.name}-data.jsonl"
    data.write_text(
        "".join(DEMO_TRAIN.read_text(encoding="utf-8").splitlines(keepends=True)[:16]), encoding="utf-8"
    )
    args = [
        "--train_path", str(data), "--model_name_or_path", model_dir, "--output_dir", str(run_dir),
        "--train_type", method, "--max_steps", "2", "--save_model_step", "2", "--learning_rate", "1e-2",
        "--per_device_train_batch_size", "4", "--max_len", "48", "--max_src_len", "24", "--warmup_ratio", "0",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(
        [sys.executable, "-m", "tunedesk", "train", *args],
        cwd=PYTHON_RUNTIME, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    checkpoint = run_dir / "checkpoints" / "step-000002"
    assert (checkpoint / "manifest.json").is_file()
    return checkpoint


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
