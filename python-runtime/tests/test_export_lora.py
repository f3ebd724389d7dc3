"""LoRA export: the merged model equals base + adapter, loads without TuneDesk or peft, and a
sabotaged merge (zeroed adapter, skipped merge) is caught and leaves nothing behind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from helpers.export_helpers import make_base_model, make_lora_checkpoint
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM

from tunedesk.export import cli

PROBE_IDS = [[5, 17, 42, 99, 7, 3, 250, 11]]


@pytest.fixture(scope="module", params=["llama", "glm"])
def lora_checkpoint(request, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp(f"lora-{request.param}")
    base = make_base_model(root / "base", request.param)
    return make_lora_checkpoint(root / "run-1", base)


@pytest.fixture(scope="module")
def llama_lora(tmp_path_factory) -> Path:
    """Checks that do not depend on the family run once, on llama (CPU is scarce)."""
    root = tmp_path_factory.mktemp("lora-llama-only")
    return make_lora_checkpoint(root / "run-1", make_base_model(root / "base", "llama"))


def run_export(capsys, *args: str) -> tuple[int, list[dict]]:
    code = cli.main(list(args))
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def reference_logits(ckpt: Path) -> torch.Tensor:
    """base + adapter straight from peft, independent of the export code."""
    from peft import PeftModel

    manifest = json.loads((ckpt / "manifest.json").read_text())
    base = AutoModelForCausalLM.from_pretrained(manifest["base_model"], dtype=torch.float32)
    model = PeftModel.from_pretrained(base, ckpt / "adapter").eval()
    with torch.no_grad():
        return model(input_ids=torch.tensor(PROBE_IDS)).logits


def test_merged_logits_equal_base_plus_adapter(lora_checkpoint, tmp_path, capsys):
    out = tmp_path / "merged"
    code, events = run_export(
        capsys, "--checkpoint", str(lora_checkpoint), "--out", str(out), "--dtype", "fp32"
    )
    assert code == 0, events
    assert [e["type"] for e in events][-1] == "export_finished"
    fractions = [e["fraction"] for e in events if e["type"] == "export_progress"]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    stages = [e["stage"] for e in events if e["type"] == "export_progress"]
    assert stages == ["load", "merge", "write", "verify", "finalize", "done"]
    record = json.loads((out / "export.json").read_text())
    assert record["kind"] == "merged" and record["verification"]["passed"]
    assert record["verification"]["samples_source"] == "train_path"
    assert record["verification"]["max_abs_logit_diff"] < 1e-4
    # The adapter really changed the model, and the export carries that change.
    assert record["verification"]["max_abs_diff_vs_base"] > 0.1
    merged = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    with torch.no_grad():
        got = merged(input_ids=torch.tensor(PROBE_IDS)).logits
    assert torch.allclose(got, reference_logits(lora_checkpoint), atol=1e-4, rtol=0)
    assert not any("lora" in k for k in load_file(str(out / "model.safetensors")))


LOADER = """
import json, sys, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
model = AutoModelForCausalLM.from_pretrained(sys.argv[1], dtype=torch.float32).eval()
tokenizer = AutoTokenizer.from_pretrained(sys.argv[1])
with torch.no_grad():
    logits = model(input_ids=torch.tensor(json.loads(sys.argv[2]))).logits
assert "peft" not in sys.modules, "peft was imported"
assert not any(m.split(".")[0] == "tunedesk" for m in sys.modules), "tunedesk was imported"
print(json.dumps({"sum": float(logits.double().sum()), "vocab": len(tokenizer)}))
"""


def test_export_loads_with_plain_transformers_in_a_clean_process(llama_lora, tmp_path, capsys):
    out = tmp_path / "sharded"
    code, _ = run_export(
        capsys,
        "--checkpoint",
        str(llama_lora),
        "--out",
        str(out),
        "--dtype",
        "fp32",
        "--max_shard_size",
        "150KB",
    )
    assert code == 0
    index = json.loads((out / "model.safetensors.index.json").read_text())
    assert len(set(index["weight_map"].values())) > 1, "expected several shards"
    assert (out / "config.json").is_file() and (out / "generation_config.json").is_file()
    assert (out / "tokenizer.json").is_file()
    # -I: isolated mode, so neither the working directory nor PYTHONPATH can bring tunedesk in.
    proc = subprocess.run(
        [sys.executable, "-I", "-c", LOADER, str(out), json.dumps(PROBE_IDS)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = float(reference_logits(llama_lora).double().sum())
    assert abs(result["sum"] - expected) < 1e-2


def test_fp16_export_passes_with_a_dtype_aware_tolerance(llama_lora, tmp_path, capsys):
    out = tmp_path / "fp16"
    code, events = run_export(capsys, "--checkpoint", str(llama_lora), "--out", str(out), "--dtype", "fp16")
    assert code == 0, events
    verification = events[-1]["verification"]
    assert verification["dtype"] == "fp16"
    assert verification["tolerance"] > 1e-3  # looser than fp32, and recorded
    assert 0 < verification["max_abs_logit_diff"] <= verification["tolerance"]
    config = json.loads((out / "config.json").read_text())
    assert config.get("dtype", config.get("torch_dtype")) == "float16"


def test_zeroed_adapter_is_caught_and_nothing_is_written(llama_lora, tmp_path, capsys):
    sabotaged = tmp_path / "run-zero" / "checkpoints" / "step-000002"
    sabotaged.parent.mkdir(parents=True)
    subprocess.run(["cp", "-r", str(llama_lora), str(sabotaged)], check=True)
    weights = sabotaged / "adapter" / "adapter_model.safetensors"
    save_file({k: torch.zeros_like(v) for k, v in load_file(str(weights)).items()}, str(weights))
    # A complete checkpoint lists each file's size: keep the sabotaged one complete.
    manifest_path = sabotaged / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["adapter/adapter_model.safetensors"] = weights.stat().st_size
    manifest_path.write_text(json.dumps(manifest))
    out = tmp_path / "zeroed"
    code, events = run_export(capsys, "--checkpoint", str(sabotaged), "--out", str(out))
    assert code == 1
    finished = events[-1]
    assert finished["status"] == "failed" and finished["error"]["kind"] == "verification"
    assert "change nothing" in finished["error"]["message"]
    assert finished["verification"]["passed"] is False
    assert not out.exists()
    assert not list(tmp_path.glob(".tmp-export-*"))


def test_skipped_merge_is_caught(llama_lora, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TUNEDESK_TEST_EXPORT_SKIP_MERGE", "1")
    out = tmp_path / "skipped"
    code, events = run_export(capsys, "--checkpoint", str(llama_lora), "--out", str(out))
    assert code == 1
    assert events[-1]["error"]["kind"] == "verification"
    assert "merge did not happen" in events[-1]["error"]["message"]
    assert not out.exists()
