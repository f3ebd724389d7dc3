"""Freeze, full and P-Tuning exports: each equals its checkpoint, verified against the base."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from helpers.export_helpers import (
    make_base_model,
    make_freeze_checkpoint,
    make_full_checkpoint,
    make_ptuning_checkpoint,
)
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

from tunedesk.export import cli

PROBE = torch.tensor([[5, 17, 42, 99, 7, 3, 250, 11]])


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return make_base_model(tmp_path_factory.mktemp("methods") / "base", "llama")


def export(capsys, ckpt: Path, out: Path, *extra: str) -> list[dict]:
    code = cli.main(["--checkpoint", str(ckpt), "--out", str(out), *extra])
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert code == 0, events[-1]
    return events


def logits(model) -> torch.Tensor:
    with torch.no_grad():
        return model.eval()(input_ids=PROBE).logits


def test_freeze_export_equals_base_with_trained_tensors(base, tmp_path, capsys):
    ckpt = make_freeze_checkpoint(tmp_path / "run-freeze", base)
    out = tmp_path / "freeze-export"
    export(capsys, ckpt, out, "--dtype", "fp32")
    exported = load_file(str(out / "model.safetensors"))
    for name, tensor in load_file(str(ckpt / "trainable.safetensors")).items():
        assert torch.equal(exported[name], tensor), name
    untouched = load_file(str(base / "model.safetensors"))
    assert torch.equal(
        exported["model.layers.0.mlp.up_proj.weight"], untouched["model.layers.0.mlp.up_proj.weight"]
    )
    record = json.loads((out / "export.json").read_text())
    assert record["method"] == "freeze" and record["verification"]["training_effect"] > 0.01


def test_full_export_equals_the_checkpoint_model(base, tmp_path, capsys):
    ckpt = make_full_checkpoint(tmp_path / "run-full", base)
    out = tmp_path / "full-export"
    events = export(capsys, ckpt, out, "--dtype", "bf16")
    assert events[-1]["verification"]["dtype"] == "bf16"
    exported = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32)
    reference = AutoModelForCausalLM.from_pretrained(ckpt / "model", dtype=torch.float32)
    for (name, a), (_, b) in zip(exported.state_dict().items(), reference.state_dict().items()):
        assert torch.allclose(a, b.to(torch.bfloat16).float()), name  # bf16 rounding only


@pytest.mark.parametrize("version", [1, 2])
def test_ptuning_bundle_loads_with_peft_and_reproduces_training_logits(base, tmp_path, capsys, version):
    from peft import PeftModel

    ckpt = make_ptuning_checkpoint(tmp_path / f"run-pt{version}", base, version=version)
    out = tmp_path / f"pt{version}-export"
    code = cli.main(["--checkpoint", str(ckpt), "--out", str(out), "--dtype", "fp16"])
    captured = capsys.readouterr()
    assert code == 0
    assert "cannot be folded into the weights" in captured.err  # said plainly, not buried in a file
    assert "does not apply" in captured.err
    record = json.loads((out / "export.json").read_text())
    assert record["dtype"] == "fp32"
    assert record["kind"] == "ptuning-adapter" and record["base_model"] == str(base)
    assert (out / "adapter" / "adapter_config.json").is_file() and "PeftModel" in (
        out / "README.md"
    ).read_text()
    assert not list(out.glob("*.safetensors"))  # no pretend-merged weights
    training = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), ckpt / "adapter")
    bundle = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(record["base_model"]), out / "adapter"
    )
    assert torch.allclose(logits(bundle), logits(training), atol=1e-5)
    assert not torch.allclose(
        logits(bundle)[:, -PROBE.shape[1] :], logits(AutoModelForCausalLM.from_pretrained(base)), atol=1e-3
    )


def test_gguf_refuses_ptuning_and_unsupported_families_before_starting(tmp_path, capsys):
    glm_base = make_base_model(tmp_path / "glm-base", "glm")
    from helpers.export_helpers import make_lora_checkpoint

    ckpt = make_lora_checkpoint(tmp_path / "run-glm", glm_base)
    config = json.loads((glm_base / "config.json").read_text())
    config["model_type"] = "gpt_neox"  # a family the GGUF writer does not cover (glm is covered)
    (glm_base / "config.json").write_text(json.dumps(config))
    assert cli.main(["--checkpoint", str(ckpt), "--out", str(tmp_path / "g"), "--format", "gguf"]) == 1
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [e["type"] for e in events] == ["export_finished"]  # refused before any progress
    assert (
        "'gpt_neox'" in events[0]["error"]["message"]
        and "Mistral, Qwen2, Qwen3, Gemma" in events[0]["error"]["message"]
    )
    assert not (tmp_path / "g").exists()
