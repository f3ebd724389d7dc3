"""A q4_0 GGUF export of a checkpoint the real trainer wrote (LoRA, 2 steps on the demo model):
verified by the file's own logits, with its Modelfile."""

from __future__ import annotations

import json

import gguf
from helpers.export_helpers import train

from tunedesk.export import cli


def test_real_lora_run_exports_a_verified_q4_0_gguf_and_modelfile(demo_model_dir, tmp_path, capsys):
    checkpoint = train(demo_model_dir, tmp_path / "run-gguf", "lora")
    out = tmp_path / "q4"
    code = cli.main(
        ["--checkpoint", str(checkpoint), "--out", str(out), "--format", "gguf", "--dtype", "q4_0"]
    )
    captured = capsys.readouterr()
    events = [json.loads(line) for line in captured.out.splitlines() if line.startswith("{")]
    assert code == 0, events[-1]
    record = json.loads((out / "export.json").read_text())
    v = record["verification"]
    assert v["passed"] and v["dtype"] == "q4_0" and v["max_abs_logit_diff"] <= v["tolerance"]
    assert v["training_effect"] > 0  # the merge was judged on the merged model, in fp32
    reader = gguf.GGUFReader(str(out / "model-q4_0.gguf"))
    assert reader.fields["general.file_type"].contents() == gguf.LlamaFileType.MOSTLY_Q4_0
    assert "FROM ./model-q4_0.gguf" in (out / "Modelfile").read_text()
    assert any(e["type"] == "log" and "ollama create" in e["message"] for e in events)
