"""Default LoRA targets per family: every projection of the family, never a partial match.

Found on the GPU calibration run: Qwen2 matched glm's list partially (q/k/v/o/down_proj exist,
gate_up_proj does not), so gate_proj and up_proj were silently left out.
"""

import pytest
from transformers import AutoConfig, AutoModelForCausalLM

from tunedesk.methods.lora import default_targets

TINY = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
        "num_key_value_heads": 2, "vocab_size": 128, "pad_token_id": 0}  # fmt: skip


@pytest.mark.parametrize(
    ("model_type", "expected"),
    [
        ("qwen2", ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
        ("llama", ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
        ("glm", ["q_proj", "k_proj", "v_proj", "o_proj", "gate_up_proj", "down_proj"]),
    ],
)
def test_default_targets_cover_every_projection(model_type, expected):
    extra = {"head_dim": 8} if model_type == "glm" else {}
    model = AutoModelForCausalLM.from_config(AutoConfig.for_model(model_type, **TINY, **extra))
    assert default_targets(model, model_type) == expected


FAMILIES = ["llama", "qwen2", "qwen3", "mistral", "gemma", "gemma2", "phi3", "glm", "glm4"]


@pytest.mark.parametrize("model_type", FAMILIES)
def test_default_targets_are_every_linear_of_attention_and_mlp(model_type):
    """Every linear layer but the output head is adapted, fused ones included (Phi-3's qkv_proj)."""
    from tunedesk.methods.layers import linear_module_names

    extra = {"head_dim": 8} if model_type in ("glm", "glm4", "gemma", "gemma2", "qwen3") else {}
    model = AutoModelForCausalLM.from_config(AutoConfig.for_model(model_type, **TINY, **extra))
    present = set(linear_module_names(model)) - {"lm_head"}
    assert set(default_targets(model, model_type)) == present, sorted(present)
