"""Tiny models of every family the GGUF writer covers (configs built here), for test_gguf_families.py.

Holds no tests. Hidden 64 with head_dim 16 (rows divisible by 32, so every quant type applies),
2 layers, the byte-level BPE tokenizer of helpers/export_helpers.
"""

from __future__ import annotations

from pathlib import Path

import torch

from helpers.export_helpers import make_tokenizer

FAMILY_NAMES = ("llama", "llama3", "mistral", "qwen2", "qwen3", "gemma", "phi3", "glm4", "glm")


def tiny_model(family: str, tokenizer, seed: int = 0, tie: bool = False) -> torch.nn.Module:
    import transformers as tf

    common = dict(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=tie,
    )
    if family == "llama":
        model = tf.LlamaForCausalLM(tf.LlamaConfig(**common))
    elif family == "llama3":  # Llama 3.1/3.2 RoPE scaling (original context below max positions)
        rope = {
            "rope_type": "llama3",
            "rope_theta": 500000.0,
            "factor": 8.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": 128,
        }
        model = tf.LlamaForCausalLM(tf.LlamaConfig(rope_parameters=rope, **common))
    elif family == "mistral":
        model = tf.MistralForCausalLM(tf.MistralConfig(head_dim=16, sliding_window=None, **common))
    elif family == "qwen2":
        model = tf.Qwen2ForCausalLM(tf.Qwen2Config(**common))
    elif family == "qwen3":
        model = tf.Qwen3ForCausalLM(tf.Qwen3Config(head_dim=32, **common))
    elif family == "gemma":
        common["tie_word_embeddings"] = True  # Gemma always ties (llama.cpp has no output tensor for it)
        model = tf.GemmaForCausalLM(tf.GemmaConfig(head_dim=16, **common))
    elif family == "phi3":
        model = tf.Phi3ForCausalLM(tf.Phi3Config(**common))
    elif family == "glm":  # GLM-4-9B-chat-hf, ChatGLM2/3 after import-chatglm
        model = tf.GlmForCausalLM(tf.GlmConfig(head_dim=16, **common))
    elif family == "glm4":
        model = tf.Glm4ForCausalLM(tf.Glm4Config(head_dim=16, **common))
    else:
        raise ValueError(family)
    torch.manual_seed(seed)
    # Random init gives near-zero logits; a larger spread makes logit comparisons meaningful. Norms get
    # non-trivial values so a missing norm transform (Gemma's +1) shows in the logits.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                p.normal_(0, 0.08)
            elif "norm" in name:
                p.add_(torch.randn_like(p) * 0.1)
            else:
                p.normal_(0, 0.02)
    return model.eval()


def tokenizer_at(root: Path):
    return make_tokenizer(root)
