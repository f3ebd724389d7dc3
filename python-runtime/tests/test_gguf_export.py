"""GGUF: metadata and tensors round-trip for the tiny llama (and qwen2) model, f16 and q8_0."""

from __future__ import annotations

import json
from pathlib import Path

import gguf
import numpy as np
import pytest
import torch
from helpers.export_helpers import make_base_model, make_lora_checkpoint
from transformers import AutoModelForCausalLM, AutoTokenizer

from tunedesk.export import cli


@pytest.fixture(scope="module")
def llama_run(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("gguf-llama")
    base = make_base_model(root / "base", "llama")
    return make_lora_checkpoint(root / "run-1", base), base


def merged_state(ckpt: Path, base: Path) -> dict[str, torch.Tensor]:
    from peft import PeftModel

    model = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32), ckpt / "adapter"
    )
    return model.merge_and_unload().state_dict()


def unpermute(weight: np.ndarray, n_head: int) -> np.ndarray:
    """Inverse of llama.cpp's q/k row permutation, written independently of the exporter."""
    rows = weight.shape[0]
    return (
        weight.reshape(n_head, rows // n_head // 2, 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)
    )


def export_gguf(capsys, ckpt: Path, out: Path, dtype: str) -> Path:
    code = cli.main(["--checkpoint", str(ckpt), "--out", str(out), "--format", "gguf", "--dtype", dtype])
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert code == 0, events[-1]
    return out / f"model-{dtype}.gguf"


def field(reader: gguf.GGUFReader, key: str):
    return reader.fields[key].contents()


def test_llama_f16_round_trip(llama_run, tmp_path, capsys):
    ckpt, base = llama_run
    path = export_gguf(capsys, ckpt, tmp_path / "f16", "fp16")
    reader = gguf.GGUFReader(str(path))
    config = json.loads((base / "config.json").read_text())
    tokenizer = AutoTokenizer.from_pretrained(base)
    assert field(reader, "general.architecture") == "llama"
    assert field(reader, "llama.context_length") == config["max_position_embeddings"]
    assert field(reader, "llama.embedding_length") == 64
    assert field(reader, "llama.block_count") == 2
    assert field(reader, "llama.feed_forward_length") == 128
    assert field(reader, "llama.attention.head_count") == 4
    assert field(reader, "llama.attention.head_count_kv") == 2
    assert field(reader, "llama.rope.dimension_count") == 16
    assert field(reader, "llama.rope.freq_base") == pytest.approx(10000.0)
    assert field(reader, "llama.attention.layer_norm_rms_epsilon") == pytest.approx(config["rms_norm_eps"])
    assert field(reader, "tokenizer.ggml.model") == "gpt2"
    assert (
        field(reader, "tokenizer.ggml.pre") == "gpt-2"
    )  # plain ByteLevel: the name llama.cpp knows for GPT-2's split
    tokens = field(reader, "tokenizer.ggml.tokens")
    assert len(tokens) == config["vocab_size"] and tokens[tokenizer.eos_token_id] == "</s>"
    assert len(field(reader, "tokenizer.ggml.merges")) > 0
    assert field(reader, "tokenizer.ggml.token_type")[tokenizer.eos_token_id] == gguf.TokenType.CONTROL
    assert field(reader, "tokenizer.ggml.eos_token_id") == tokenizer.eos_token_id
    assert field(reader, "tokenizer.ggml.bos_token_id") == tokenizer.bos_token_id
    assert field(reader, "tokenizer.ggml.padding_token_id") == tokenizer.pad_token_id
    assert field(reader, "tokenizer.chat_template") == tokenizer.chat_template

    merged = merged_state(ckpt, base)
    tensors = {t.name: t for t in reader.tensors}
    assert len(tensors) == len(merged)  # untied: every HF tensor has its GGUF twin
    assert tensors["token_embd.weight"].tensor_type == gguf.GGMLQuantizationType.F16
    assert tensors["blk.0.attn_norm.weight"].tensor_type == gguf.GGMLQuantizationType.F32
    for hf_name, gguf_name, heads in [
        ("model.layers.0.self_attn.q_proj.weight", "blk.0.attn_q.weight", 4),
        ("model.layers.1.self_attn.k_proj.weight", "blk.1.attn_k.weight", 2),
        ("model.layers.1.self_attn.v_proj.weight", "blk.1.attn_v.weight", None),
        ("model.layers.0.mlp.down_proj.weight", "blk.0.ffn_down.weight", None),
        ("lm_head.weight", "output.weight", None),
    ]:
        tensor = tensors[gguf_name]
        values = np.asarray(tensor.data, dtype=np.float32).reshape(list(reversed(tensor.shape)))
        if heads:
            values = unpermute(values, heads)
        expected = merged[hf_name].numpy()
        assert values.shape == expected.shape
        assert np.abs(values - expected).max() <= 1e-3 * max(1.0, np.abs(expected).max()), hf_name
    record = json.loads((tmp_path / "f16" / "export.json").read_text())
    assert record["kind"] == "gguf" and record["gguf"]["passed"] and record["verification"]["passed"]


def test_llama_q8_0_round_trip(llama_run, tmp_path, capsys):
    ckpt, base = llama_run
    path = export_gguf(capsys, ckpt, tmp_path / "q8", "q8_0")
    reader = gguf.GGUFReader(str(path))
    assert field(reader, "general.file_type") == gguf.LlamaFileType.MOSTLY_Q8_0
    tensors = {t.name: t for t in reader.tensors}
    down = tensors["blk.0.ffn_down.weight"]
    assert down.tensor_type == gguf.GGMLQuantizationType.Q8_0
    values = gguf.quants.dequantize(down.data, down.tensor_type).reshape(64, 128)
    expected = merged_state(ckpt, base)["model.layers.0.mlp.down_proj.weight"].numpy()
    assert np.abs(values - expected).max() <= 0.01 * np.abs(expected).max()
    # 8.5 bits per weight for the big matrices: well under half of the fp32 merged model.
    assert path.stat().st_size < 0.5 * sum(t.numel() * 4 for t in merged_state(ckpt, base).values())


def test_qwen2_f16_has_biases_and_no_permutation(tmp_path, capsys):
    base = make_base_model(tmp_path / "qwen-base", "qwen2")
    ckpt = make_lora_checkpoint(tmp_path / "run-q", base)
    path = export_gguf(capsys, ckpt, tmp_path / "qf16", "fp16")
    reader = gguf.GGUFReader(str(path))
    assert field(reader, "general.architecture") == "qwen2"
    tensors = {t.name: t for t in reader.tensors}
    assert "blk.0.attn_q.bias" in tensors
    merged = merged_state(ckpt, base)
    q = tensors["blk.0.attn_q.weight"]
    values = np.asarray(q.data, dtype=np.float32).reshape(list(reversed(q.shape)))
    expected = merged["model.layers.0.self_attn.q_proj.weight"].numpy()
    assert np.abs(values - expected).max() <= 1e-3 * np.abs(expected).max()


def test_qwen3_has_its_query_key_norms(tmp_path, capsys):
    base = make_base_model(tmp_path / "q3-base", "qwen3")
    ckpt = make_lora_checkpoint(tmp_path / "run-q3", base)
    reader = gguf.GGUFReader(str(export_gguf(capsys, ckpt, tmp_path / "q3", "fp16")))
    assert field(reader, "general.architecture") == "qwen3"
    assert field(reader, "qwen3.attention.key_length") == 32  # head_dim is explicit in Qwen3
    names = {t.name for t in reader.tensors}
    assert {"blk.0.attn_q_norm.weight", "blk.0.attn_k_norm.weight"} <= names


def test_tied_embeddings_have_no_output_tensor(tmp_path, capsys):
    """Small Qwen2.5 models tie lm_head to the embeddings; llama.cpp then reuses token_embd."""
    base = make_base_model(tmp_path / "tied-base", "qwen2", tie=True)
    ckpt = make_lora_checkpoint(tmp_path / "run-tied", base)
    reader = gguf.GGUFReader(str(export_gguf(capsys, ckpt, tmp_path / "tied", "q8_0")))
    names = {t.name for t in reader.tensors}
    assert "token_embd.weight" in names and "output.weight" not in names


def test_pre_tokenizer_names_for_llama3_and_qwen2_splits():
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from tunedesk.export.gguf_export import LLAMA3_SPLIT, QWEN2_SPLIT, pre_tokenizer_name

    def with_split(pattern: str) -> PreTrainedTokenizerFast:
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
                pre_tokenizers.ByteLevel(use_regex=False),
            ]
        )
        return PreTrainedTokenizerFast(tokenizer_object=tok)

    assert pre_tokenizer_name(with_split(LLAMA3_SPLIT)) == ("llama-bpe", True)
    assert pre_tokenizer_name(with_split(QWEN2_SPLIT)) == ("qwen2", True)
    assert pre_tokenizer_name(with_split(r"\s+")) == ("default", False)


def test_llama_q4_0_export_verifies_the_file_and_writes_a_modelfile(llama_run, tmp_path, capsys):
    ckpt, _ = llama_run
    out = tmp_path / "q4"
    code = cli.main(["--checkpoint", str(ckpt), "--out", str(out), "--format", "gguf", "--gguf_type", "q4_0"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "verified the GGUF file (q4_0 tensors read back and dequantised)" in captured.err
    record = json.loads((out / "export.json").read_text())
    verification, gguf_record = record["verification"], record["gguf"]
    assert verification["dtype"] == "q4_0" and verification["passed"]
    assert gguf_record["tolerance"] == {
        "absolute": 0.2,
        "relative_to_max_logit": 0.6,
        "value": pytest.approx(verification["tolerance"]),
    }
    # The q4_0 file's Δ is the quantisation's, far above the merged fp32 model's summation-order Δ.
    assert verification["max_abs_logit_diff"] > 10 * gguf_record["merged_model_max_abs_logit_diff"]
    assert (
        field(gguf.GGUFReader(str(out / "model-q4_0.gguf")), "general.file_type")
        == gguf.LlamaFileType.MOSTLY_Q4_0
    )
    modelfile = (out / "Modelfile").read_text()
    assert "FROM ./model-q4_0.gguf" in modelfile and 'TEMPLATE """' in modelfile
    assert 'PARAMETER stop "</s>"' in modelfile
    assert record["ollama"]["command"] == f"ollama create {record['ollama']['name']} -f {out / 'Modelfile'}"
    assert record["ollama"]["command"] in captured.err
    assert record["files"]["Modelfile"] > 0


def test_gguf_logits_beyond_tolerance_fail_with_the_numbers(llama_run, tmp_path, capsys, monkeypatch):
    from tunedesk.export import gguf_verify

    real = gguf_verify.gguf_logits
    monkeypatch.setattr(
        gguf_verify, "gguf_logits", lambda *a: [t + 5.0 for t in real(*a)]
    )  # a file that computes something else
    ckpt, _ = llama_run
    out = tmp_path / "bad"
    code = cli.main(["--checkpoint", str(ckpt), "--out", str(out), "--format", "gguf", "--dtype", "q8_0"])
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert code == 1 and not out.exists()
    finished = events[-1]
    assert finished["status"] == "failed" and finished["verification"]["dtype"] == "q8_0"
    assert finished["verification"]["max_abs_logit_diff"] > finished["verification"]["tolerance"]
    assert "exceeds the tolerance" in finished["error"]["message"]
