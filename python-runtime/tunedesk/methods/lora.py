"""LoRA through peft, with sensible per-family target modules when --lora_module_name is omitted."""

from __future__ import annotations

from tunedesk.config import TrainConfig
from tunedesk.errors import ConfigError
from tunedesk.methods.layers import linear_module_names

# Preferred targets, most specific first; the first family whose names exist in the model wins.
DEFAULT_TARGETS: dict[str, list[str]] = {
    # ChatGLM2/3 remote code (and converted checkpoints that kept the names): fused QKV.
    "chatglm": ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"],
    # transformers' native glm/glm4: separate q/k/v, fused gate_up.
    "glm": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_up_proj", "down_proj"],
    # Llama, Qwen2/3, Mistral, Gemma...
    "llama": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    # Phi-3: fused QKV and fused gate/up (a q/k/v list matches nothing there and trained only o/down).
    "phi3": ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"],
}
_NOT_TARGETS = ("lm_head", "output_layer", "embed_out", "score")

# The original ChatGLM commands name ChatGLM2/3's remote-code modules. After import-chatglm the
# same weights live in transformers' native glm modules, so the same command keeps working.
CHATGLM_TO_NATIVE: dict[str, list[str]] = {
    "query_key_value": ["q_proj", "k_proj", "v_proj"],
    "dense": ["o_proj"],
    "dense_h_to_4h": ["gate_up_proj", "gate_proj", "up_proj"],
    "dense_4h_to_h": ["down_proj"],
}


def resolve_targets(requested: list[str], present: list[str]) -> list[str]:
    """Requested names that exist; ChatGLM names that do not exist map to their native twins."""
    resolved: list[str] = []
    for name in requested:
        candidates = [name] if name in present else CHATGLM_TO_NATIVE.get(name, [])
        resolved += [c for c in candidates if c in present and c not in resolved]
    return resolved


def default_targets(model, model_type: str | None) -> list[str]:
    present = set(linear_module_names(model))
    order = [model_type] if model_type in DEFAULT_TARGETS else []
    order += [family for family in DEFAULT_TARGETS if family not in order]
    # A family matches only when ALL its names exist: Qwen2 has glm's q/k/v/o/down_proj but not
    # gate_up_proj, and a partial match silently left gate_proj and up_proj untrained.
    for family in order:
        if all(name in present for name in DEFAULT_TARGETS[family]):
            return list(DEFAULT_TARGETS[family])
    for family in order:
        names = [name for name in DEFAULT_TARGETS[family] if name in present]
        if names:
            return names
    return [name for name in present if name not in _NOT_TARGETS]


def apply_lora(model, config: TrainConfig, model_type: str | None):
    from peft import LoraConfig, get_peft_model

    present = linear_module_names(model)
    if config.lora_module_name:
        requested = [part.strip() for part in config.lora_module_name.split(",") if part.strip()]
        targets = resolve_targets(requested, present)
        if not targets:
            raise ConfigError(
                f"lora_module_name: none of {requested} is a linear layer of this model",
                f"Use some of: {', '.join(present)} (or omit the flag for this family's defaults).",
            )
    else:
        targets = default_targets(model, model_type)
    lora = LoraConfig(
        r=config.lora_dim,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=targets,
        bias="none",
        task_type="CAUSAL_LM",
        inference_mode=False,
    )
    return get_peft_model(model, lora), {"target_modules": targets}
