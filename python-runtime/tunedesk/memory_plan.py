"""``--gradient_checkpointing`` auto: on when the run's memory estimate is tight for the device.

Checkpointing recomputes each layer's forward in the backward pass (about 30% more compute) and
keeps only the layers' inputs. It is worth that time only where memory is the limit, so unset
(the default) decides per run: the estimate without checkpointing against what the device has
free; above TIGHT_SHARE of it, checkpointing goes on. ``--gradient_checkpointing true/false``
decides by itself. The estimate is the desktop estimator's (electron/services/estimator:
model-states.ts, activations.ts) reduced to what the trainer knows at this point: the loaded
model's own parameter bytes, the trainable parameters' gradients and AdamW moments, and the
activations of the largest micro-batch (Korthikanti et al. 2022, per layer and token in the
compute dtype: attention 2h + 4q + 4kv + h, gated MLP 2h + 8f, norms 4h bytes).
"""

from __future__ import annotations

from dataclasses import dataclass

TIGHT_SHARE = 0.7  # estimate / free memory above which checkpointing goes on
# The process before the model loads (torch + transformers + tokenizer imported): measured
# 0.33-0.37 GB RSS on Linux x86-64 with torch 2.x CPU and transformers 5 (see the README's
# trainer benchmark); counted on the CPU, where the process's memory is the budget's too.
CPU_RUNTIME_BYTES = int(0.35 * 1024**3)


@dataclass
class CheckpointingChoice:
    on: bool
    reason: str


def layer_bytes_per_token(model_config) -> int | None:
    """Bytes one decoder layer keeps for backward per token in a 2-byte compute dtype."""
    h = getattr(model_config, "hidden_size", None)
    layers = getattr(model_config, "num_hidden_layers", None)
    if not h or not layers:
        return None
    heads = getattr(model_config, "num_attention_heads", None) or 1
    head_dim = getattr(model_config, "head_dim", None) or h // heads
    kv_heads = getattr(model_config, "num_key_value_heads", None) or heads
    f = getattr(model_config, "intermediate_size", None) or 4 * h
    q, kv = heads * head_dim, kv_heads * head_dim
    return (2 * h + 4 * q + 4 * kv + h) + (2 * h + 8 * f) + 4 * h


def estimate_bytes(model, tokens: int, compute_bytes: int, device_type: str) -> dict[str, int] | None:
    """The run's peak without checkpointing, by part (None when the model's shape is unknown)."""
    config = getattr(model, "config", None)
    per_token = layer_bytes_per_token(config)
    if per_token is None:
        return None
    params = list(model.parameters())
    trainable = sum(p.numel() for p in params if p.requires_grad)
    parts = {
        "weights": sum(p.numel() * p.element_size() for p in params),
        "gradients_and_adamw": trainable * 12,  # fp32 gradient + two fp32 moments
        "activations": config.num_hidden_layers * per_token * tokens * compute_bytes // 2,
    }
    if device_type == "cpu":
        parts["runtime"] = CPU_RUNTIME_BYTES
    return parts


def free_bytes(device) -> int | None:
    """What the device has free now: CUDA's free memory, else the host's available memory."""
    if device.type == "cuda":
        import torch

        return torch.cuda.mem_get_info(device)[0]
    try:
        import psutil

        return psutil.virtual_memory().available
    except Exception:  # noqa: BLE001 - no reading: the rule keeps checkpointing off
        return None


def choose_checkpointing(
    model, tokens: int, compute_bytes: int, device, free: int | None
) -> CheckpointingChoice:
    """The auto rule; ``free`` is free_bytes(device) (a parameter so the rule can be tested)."""
    parts = estimate_bytes(model, tokens, compute_bytes, device.type)
    if parts is None or not free:
        return CheckpointingChoice(
            False, "gradient checkpointing off: no memory estimate for this model or device"
        )
    total = sum(parts.values())
    gib = 1024**3
    detail = f"estimate {total / gib:.2f} GiB without it (activations {parts['activations'] / gib:.2f}), {free / gib:.2f} GiB free"
    if total > TIGHT_SHARE * free:
        return CheckpointingChoice(True, f"gradient checkpointing on (auto): {detail}; memory is the limit")
    return CheckpointingChoice(False, f"gradient checkpointing off (auto): {detail}; fits without it, faster")
