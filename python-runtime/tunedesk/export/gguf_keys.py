"""Which families the GGUF writer covers, and the metadata keys llama.cpp's converter writes for them.

Each entry mirrors a model class of llama.cpp's convert_hf_to_gguf.py: the GGUF architecture,
whether q/k rows are permuted into llama.cpp's rotary layout (Llama-style models only; the
others use llama.cpp's NEOX or GPT-J rotary that matches transformers' layout), and tensor
value shifts (Gemma's RMSNorm computes x·(1+w) in transformers, x·w in llama.cpp).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from tunedesk.errors import ConfigError


@dataclass(frozen=True)
class Family:
    arch: str  # gguf.MODEL_ARCH_NAMES value
    permute_qk: bool  # LlamaModel.modify_tensors permutes q/k for llama.cpp's rotary layout
    norm_shift: float = 0.0  # GemmaModel adds 1 to every *norm.weight
    drop_lm_head: bool = False  # Gemma: llama.cpp always uses token_embd as the output


# HF model_type -> Family. Mistral is converted by the Llama class (same graph, arch "llama").
FAMILIES = {
    "llama": Family("llama", True),
    "mistral": Family("llama", True),
    "qwen2": Family("qwen2", False),
    "qwen3": Family("qwen3", False),
    "gemma": Family("gemma", False, norm_shift=1.0, drop_lm_head=True),
    "phi3": Family("phi3", False),
    "glm4": Family("glm4", False),
    # transformers' GlmForCausalLM: GLM-4-9B-chat-hf and ChatGLM2/3 after import-chatglm; the converter's
    # ChatGLMModel (arch "chatglm"), whose interleaved half-head rotary matches transformers' layout.
    "glm": Family("chatglm", False),
}
WHY_UNSUPPORTED = (
    "TuneDesk's GGUF writer covers Llama (incl. 3.1/3.2 RoPE scaling), Mistral, Qwen2, Qwen3, Gemma, Phi-3, "
    "GLM-4 and GLM/ChatGLM (their tensor layout and metadata are checked here); other families need architecture-specific "
    "tensors and keys"
)


def family(config: Any) -> Family:
    found = FAMILIES.get(str(getattr(config, "model_type", "")))
    if found is None:
        raise ConfigError(
            f"GGUF export does not support the model family {config.model_type!r}: {WHY_UNSUPPORTED}",
            "Export with --format hf (loads in transformers, vLLM, ...) and convert that directory "
            "with llama.cpp's convert_hf_to_gguf.py.",
        )
    return found


def rope_parameters(config: Any) -> dict[str, Any]:
    """transformers 5 keeps theta and scaling in rope_parameters; older configs in rope_theta/rope_scaling."""
    params = dict(getattr(config, "rope_parameters", None) or {})
    legacy = getattr(config, "rope_scaling", None) or {}
    for key, value in legacy.items():
        params.setdefault(key, value)
    params.setdefault("rope_theta", getattr(config, "rope_theta", 10000.0))
    return params


def head_dim(config: Any) -> int:
    return int(getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads)


def rope_dimension_count(config: Any) -> int:
    fraction = float(rope_parameters(config).get("partial_rotary_factor") or 1.0)
    if config.model_type == "phi3":  # Phi3MiniModel: int(rot_pct * n_embd) // n_head
        return int(fraction * config.hidden_size) // config.num_attention_heads
    return int(head_dim(config) * fraction)


def llama3_rope_factors(config: Any) -> torch.Tensor | None:
    """The `rope_freqs` tensor of Llama 3.1/3.2 (LlamaModel.generate_extra_tensors): one divisor
    per rotary frequency, which llama.cpp applies at run time. None for other rope types."""
    params = rope_parameters(config)
    if str(params.get("rope_type") or params.get("type") or "").lower() != "llama3":
        return None
    base = float(params["rope_theta"])
    dim = head_dim(config)
    freqs = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    factor = params.get("factor", 8.0)
    low_freq_factor = params.get("low_freq_factor", 1.0)
    high_freq_factor = params.get("high_freq_factor", 4.0)
    old_context_len = params.get("original_max_position_embeddings", 8192)
    low_freq_wavelen = old_context_len / low_freq_factor
    high_freq_wavelen = old_context_len / high_freq_factor
    factors = []
    for freq in freqs.tolist():
        wavelen = 2 * math.pi / freq
        if wavelen < high_freq_wavelen:
            factors.append(1.0)
        elif wavelen > low_freq_wavelen:
            factors.append(factor)
        else:
            smooth = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
            factors.append(1 / ((1 - smooth) / factor + smooth))
    return torch.tensor(factors, dtype=torch.float32)


def check_rope_scaling(config: Any) -> None:
    """Refuse the scalings llama.cpp would compute differently from transformers."""
    params = rope_parameters(config)
    kind = str(params.get("rope_type") or params.get("type") or "default").lower()
    if kind in ("default", "llama3", "linear"):
        return
    raise ConfigError(
        f"GGUF export does not write RoPE scaling of type {kind!r} (this model's rope_parameters)",
        "Export with --format hf and convert with llama.cpp's convert_hf_to_gguf.py.",
    )


def write_metadata(writer: Any, config: Any, file_type: Any) -> None:
    """The hyper-parameter keys convert_hf_to_gguf.py writes for these families."""
    import gguf

    fam = family(config)
    check_rope_scaling(config)
    params = rope_parameters(config)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(getattr(config, "num_key_value_heads", None) or config.num_attention_heads)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    # Head size always written: llama.cpp otherwise derives it as n_embd / n_head, wrong for Qwen3, Gemma, GLM-4.
    writer.add_key_length(head_dim(config))
    writer.add_value_length(head_dim(config))
    # GemmaModel leaves the rope keys out (llama.cpp's defaults are Gemma's); written here for every family
    # so a fine-tune with another theta still runs right.
    writer.add_rope_freq_base(float(params["rope_theta"]))
    writer.add_rope_dimension_count(rope_dimension_count(config))
    if fam.arch == "llama":
        writer.add_vocab_size(config.vocab_size)
    if fam.arch == "phi3":
        original = getattr(config, "original_max_position_embeddings", None) or config.max_position_embeddings
        writer.add_rope_scaling_orig_ctx_len(original)
        writer.add_sliding_window(getattr(config, "sliding_window", None) or 0)
    if fam.arch == "chatglm":  # ChatGLMModel.set_gguf_parameters
        writer.add_add_bos_token(False)
    kind = str(params.get("rope_type") or params.get("type") or "default").lower()
    if kind == "linear":
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(float(params["factor"]))
    writer.add_file_type(file_type)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
