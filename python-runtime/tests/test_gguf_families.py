"""GGUF for every covered family and every export type, on tiny models (configs built here): the file
is written, carries the converter's metadata keys, and the model rebuilt from its dequantised tensors
computes the same logits within the type's stated tolerance. A broken transform must fail."""

from __future__ import annotations

import gguf
import pytest
import torch
from helpers.export_helpers import FAMILY_NAMES, tiny_model, tokenizer_at

from tunedesk.export import gguf_export, gguf_keys, gguf_verify
from tunedesk.export.gguf_quant import GGUF_TYPES
from tunedesk.export.verify import tolerance_for

T = gguf.GGMLQuantizationType
ARCH = {"llama3": "llama", "mistral": "llama", "glm": "chatglm"}


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return tokenizer_at(tmp_path_factory.mktemp("fam-tok"))


def sample_ids(tokenizer) -> list[list[int]]:
    return [
        tokenizer("the sky is blue and the sea " * 3)["input_ids"],
        tokenizer("Add two and two.")["input_ids"],
    ]


@torch.no_grad()
def logits(model, ids) -> list[torch.Tensor]:
    return [model(input_ids=torch.tensor([i])).logits[0] for i in ids]


def fields(path) -> dict:
    reader = gguf.GGUFReader(str(path))
    return {k: f.contents() for k, f in reader.fields.items() if not k.startswith("GGUF.")}, reader


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_family_every_type_round_trips_within_tolerance(family, tokenizer, tmp_path):
    model = tiny_model(family, tokenizer)
    ids = sample_ids(tokenizer)
    reference = logits(model, ids)
    arch = ARCH.get(family, family)
    for dtype in GGUF_TYPES:
        path = tmp_path / f"{family}-{dtype}.gguf"
        gguf_export.write_gguf(model, tokenizer, path, dtype)
        meta, reader = fields(path)
        assert meta["general.architecture"] == arch
        for key in (
            "context_length",
            "embedding_length",
            "block_count",
            "feed_forward_length",
            "attention.head_count",
            "attention.head_count_kv",
            "attention.layer_norm_rms_epsilon",
            "attention.key_length",
            "attention.value_length",
            "rope.freq_base",
            "rope.dimension_count",
        ):
            assert f"{arch}.{key}" in meta, (family, key)
        assert meta[f"{arch}.attention.key_length"] == gguf_keys.head_dim(model.config)
        assert meta["general.quantization_version"] == gguf.GGML_QUANT_VERSION
        for key in ("model", "pre", "tokens", "token_type", "merges", "bos_token_id", "eos_token_id"):
            assert f"tokenizer.ggml.{key}" in meta, key
        assert meta["tokenizer.chat_template"] == tokenizer.chat_template
        check = gguf_export.verify_gguf(model, tokenizer, path, dtype)
        assert check.passed, (family, dtype, check.reason)
        rebuilt = logits(gguf_verify.rebuild_model(model, path), ids)
        diff = max(float((a - b).abs().max()) for a, b in zip(rebuilt, reference, strict=True))
        assert diff <= tolerance_for(dtype, reference), (family, dtype, diff)
        if dtype == "fp32":
            assert diff < 1e-4, (family, diff)  # f32 file: the same model, bit for bit up to summation order
        types = {t.name: t.tensor_type for t in reader.tensors}
        assert types["output_norm.weight"] == T.F32 and types["blk.0.attn_norm.weight"] == T.F32
        if dtype in ("q8_0", "q5_0", "q4_0"):
            assert types["blk.0.ffn_down.weight"].name.lower() == dtype
            output = "output.weight" if "output.weight" in types else "token_embd.weight"
            assert types[output] == T.Q8_0  # llama-quantize keeps the output finer than q4_0/q5_0


def test_family_specific_layout(tokenizer, tmp_path):
    """Fused Phi-3 qkv/gate_up and GLM-4 gate_up stay fused; Gemma stores norm+1 and no output tensor;
    GLM-4 rotates half of each head (rope.dimension_count)."""
    expectations = {
        "phi3": ({"blk.0.attn_qkv.weight", "blk.0.ffn_up.weight"}, {"blk.0.attn_q.weight"}),
        "glm4": (
            {"blk.0.ffn_up.weight", "blk.0.post_attention_norm.weight", "blk.0.post_ffw_norm.weight"},
            set(),
        ),
        "gemma": ({"token_embd.weight"}, {"output.weight"}),
    }
    for family, (present, absent) in expectations.items():
        model = tiny_model(family, tokenizer)
        path = tmp_path / f"{family}.gguf"
        gguf_export.write_gguf(model, tokenizer, path, "fp32")
        meta, reader = fields(path)
        names = {t.name for t in reader.tensors}
        assert present <= names and not (absent & names), family
        if family == "gemma":
            stored = {t.name: t for t in reader.tensors}["blk.0.attn_norm.weight"]
            hf = model.state_dict()["model.layers.0.input_layernorm.weight"]
            assert torch.allclose(torch.from_numpy(stored.data.copy()), hf + 1)
        if family == "glm4":
            assert meta["glm4.rope.dimension_count"] == 8  # head_dim 16 x partial_rotary_factor 0.5


def test_llama3_rope_freqs_as_the_converter_computes_them(tokenizer, tmp_path):
    model = tiny_model("llama3", tokenizer)
    path = tmp_path / "l3.gguf"
    gguf_export.write_gguf(model, tokenizer, path, "q4_0")
    _, reader = fields(path)
    tensor = {t.name: t for t in reader.tensors}["rope_freqs.weight"]
    assert tensor.tensor_type == T.F32
    factors = torch.from_numpy(tensor.data.copy())
    # transformers' own llama3 inverse frequencies = plain frequencies / rope_freqs
    plain = 1.0 / (500000.0 ** (torch.arange(0, 16, 2, dtype=torch.float32) / 16))
    assert torch.allclose(plain / factors, model.model.rotary_emb.inv_freq, rtol=1e-5)
    assert factors.min() == 1.0 and factors.max() == 8.0  # high frequencies kept, low ones divided by factor


def test_a_wrong_transform_fails_verification(tokenizer, tmp_path, monkeypatch):
    """Writing Llama q/k without llama.cpp's permutation (as Qwen2) must be caught by the logits check."""
    model = tiny_model("llama", tokenizer)
    ids = sample_ids(tokenizer)
    reference = logits(model, ids)
    path = tmp_path / "bad.gguf"
    monkeypatch.setitem(gguf_keys.FAMILIES, "llama", gguf_keys.Family("llama", False))
    gguf_export.write_gguf(model, tokenizer, path, "fp16")
    monkeypatch.setitem(gguf_keys.FAMILIES, "llama", gguf_keys.Family("llama", True))
    rebuilt = logits(gguf_verify.rebuild_model(model, path), ids)
    diff = max(float((a - b).abs().max()) for a, b in zip(rebuilt, reference, strict=True))
    assert diff > tolerance_for("fp16", reference)


def test_unsupported_rope_scaling_is_refused(tokenizer, tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    from tunedesk.errors import ConfigError

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=1,
        num_attention_heads=4,
        max_position_embeddings=256,
        rope_parameters={
            "rope_type": "yarn",
            "factor": 4.0,
            "rope_theta": 10000.0,
            "original_max_position_embeddings": 64,
        },
    )
    with pytest.raises(ConfigError, match="yarn"):
        gguf_export.write_gguf(LlamaForCausalLM(config), tokenizer, tmp_path / "y.gguf", "fp16")
