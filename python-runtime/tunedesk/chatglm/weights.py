"""ChatGLM2/3 tensors and config -> transformers' native ``glm`` (GlmForCausalLM).

The mapping, checked against THUDM's modeling_chatglm.py and transformers' models/glm/modeling_glm.py:

- ``query_key_value`` (weight and bias) holds rows ``[q: heads*hd | k: groups*hd | v: groups*hd]`` with
  multi-query attention; without it, rows are per head ``[q_h | k_h | v_h]``. Split into q/k/v_proj.
- ``dense_h_to_4h`` holds ``[gate; up]``: the original's swiglu is ``silu(chunk0) * chunk1`` and GlmMLP
  computes ``gate, up = gate_up_proj(x).chunk(2)``, ``up * silu(gate)``: same order, copied as is.
- Rotary: ChatGLM rotates the first half of each head's dims on interleaved pairs, which is GLM's
  native ``partial_rotary_factor`` 0.5 with its interleaved ``rotate_half``. ``rope_ratio`` scales the base
  (ChatGLM3) or divides positions (ChatGLM2-32k = linear RoPE scaling).
"""

from __future__ import annotations

import re

from ..errors import ConfigError

LAYER = re.compile(r"^transformer\.encoder\.layers\.(\d+)\.(.+)$")
LAYER_RENAMES = {
    "input_layernorm.weight": "input_layernorm.weight",
    "post_attention_layernorm.weight": "post_attention_layernorm.weight",
    "self_attention.dense.weight": "self_attn.o_proj.weight",
    "mlp.dense_h_to_4h.weight": "mlp.gate_up_proj.weight",
    "mlp.dense_4h_to_h.weight": "mlp.down_proj.weight",
}
TOP_RENAMES = {
    "transformer.embedding.word_embeddings.weight": "model.embed_tokens.weight",
    "transformer.encoder.final_layernorm.weight": "model.norm.weight",
    "transformer.output_layer.weight": "lm_head.weight",
}
# Recomputed (rotary table) or replaced by TuneDesk's P-Tuning v2 (the built-in prefix encoder).
SKIPPED = re.compile(r"^transformer\.(rotary_pos_emb\.inv_freq|prefix_encoder\..*)$")


class Shapes:
    """The attention geometry that the qkv split needs."""

    def __init__(self, config: dict):
        self.heads = int(config["num_attention_heads"])
        self.head_dim = int(config.get("kv_channels") or config["hidden_size"] // self.heads)
        self.multi_query = bool(config.get("multi_query_attention", False))
        self.groups = int(config.get("multi_query_group_num", 1)) if self.multi_query else self.heads


def check_supported(config: dict, where: str) -> None:
    """Refuse, with every reason at once, the variants that native ``glm`` cannot express."""
    problems = []
    required = ["num_layers", "hidden_size", "ffn_hidden_size", "num_attention_heads", "padded_vocab_size"]
    problems += [f"missing {key}" for key in required if key not in config]
    if not config.get("rmsnorm", True):
        problems.append("rmsnorm is false (LayerNorm variant)")
    if config.get("apply_residual_connection_post_layernorm", False):
        problems.append("apply_residual_connection_post_layernorm is true")
    if not config.get("post_layer_norm", True):
        problems.append("post_layer_norm is false")
    if config.get("add_bias_linear", False):
        problems.append("add_bias_linear is true (biases on dense and MLP)")
    if config.get("quantization_bit", 0):
        problems.append(f"the weights are quantized to {config['quantization_bit']} bits")
    if problems:
        raise ConfigError(
            f"{where}: this ChatGLM checkpoint cannot become a native glm model: {'; '.join(problems)}.",
            "Import the original (unquantized) ChatGLM2-6B / ChatGLM3-6B weights.",
        )


def rope_parameters(config: dict, rope_mode: str) -> dict:
    ratio = float(config.get("rope_ratio", 1) or 1)
    if rope_mode == "positions" and ratio != 1:
        # positions / ratio == inverse frequencies / ratio: transformers' "linear" RoPE scaling.
        return {"rope_type": "linear", "factor": ratio, "rope_theta": 10000.0, "partial_rotary_factor": 0.5}
    return {"rope_type": "default", "rope_theta": 10000.0 * ratio, "partial_rotary_factor": 0.5}


def glm_config_kwargs(config: dict, rope_mode: str, eos_ids: list[int], pad_id: int) -> dict:
    """Keyword arguments for ``transformers.GlmConfig`` describing the same network."""
    shapes = Shapes(config)
    dtype = config.get("torch_dtype") or config.get("dtype") or "float32"
    return {
        "vocab_size": int(config["padded_vocab_size"]),
        "hidden_size": int(config["hidden_size"]),
        "intermediate_size": int(config["ffn_hidden_size"]),
        "num_hidden_layers": int(config["num_layers"]),
        "num_attention_heads": shapes.heads,
        "num_key_value_heads": shapes.groups,
        "head_dim": shapes.head_dim,
        "hidden_act": "silu",
        "max_position_embeddings": int(config.get("seq_length", 8192)),
        "rms_norm_eps": float(config.get("layernorm_epsilon", 1e-5)),
        "attention_bias": bool(config.get("add_qkv_bias", True)),
        "tie_word_embeddings": False,
        "rope_parameters": rope_parameters(config, rope_mode),
        "pad_token_id": pad_id,
        "eos_token_id": eos_ids,
        "bos_token_id": None,
        "dtype": dtype,
    }


def split_qkv(tensor, shapes: Shapes):
    """Fused query_key_value weight ([out, in]) or bias ([out]) -> (q, k, v) along the first dim."""
    hd = shapes.head_dim
    if shapes.multi_query:
        q_rows, kv_rows = shapes.heads * hd, shapes.groups * hd
        if tensor.shape[0] != q_rows + 2 * kv_rows:
            raise ConfigError(
                f"query_key_value has {tensor.shape[0]} rows; the config implies {q_rows + 2 * kv_rows}.",
                "config.json does not belong to these weights; copy both from the same checkpoint.",
            )
        q, k, v = tensor.split([q_rows, kv_rows, kv_rows], dim=0)
    else:
        per_head = tensor.reshape(shapes.heads, 3, hd, *tensor.shape[1:])
        q, k, v = (per_head[:, i].reshape(shapes.heads * hd, *tensor.shape[1:]) for i in range(3))
    return q.clone(), k.clone(), v.clone()


def convert_tensor(name: str, tensor, shapes: Shapes) -> list[tuple[str, object]]:
    """One original tensor -> its native tensors; [] for tensors that are dropped on purpose."""
    if name in TOP_RENAMES:
        return [(TOP_RENAMES[name], tensor)]
    if SKIPPED.match(name):
        return []
    match = LAYER.match(name)
    if match:
        layer, rest = match.groups()
        prefix = f"model.layers.{layer}."
        if rest in LAYER_RENAMES:
            return [(prefix + LAYER_RENAMES[rest], tensor)]
        if rest.startswith("self_attention.query_key_value."):
            kind = rest.rsplit(".", 1)[1]  # weight or bias
            q, k, v = split_qkv(tensor, shapes)
            return [(f"{prefix}self_attn.{p}_proj.{kind}", t) for p, t in zip("qkv", (q, k, v))]
    raise ConfigError(
        f"unexpected tensor {name!r} in a ChatGLM2/3 checkpoint.",
        "The weights are not a plain ChatGLM2/3 model (a merged adapter or another architecture?); "
        "import the original checkpoint.",
    )
