"""Turn a raw out-of-memory or write failure into what the user needs: where, how much, what to lower.

``errors.classify`` recognises the kinds from the exception alone; these helpers run where the
context is known (the run's settings, the checkpoint folder) and raise the classified error
with numbers instead.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from collections.abc import Callable
from typing import Any

from tunedesk.errors import (
    DiskFullError,
    OutOfMemory,
    TuneDeskError,
    first_line,
    is_disk_full,
    is_out_of_memory,
)

GB = 1024**3
# Bytes kept per vocabulary entry per token by the loss: logits, their fp32 upcast, log-softmax
# and its gradient (electron/services/estimator/activations.ts, LOGITS_BYTES_PER_ENTRY).
LOGITS_BYTES_PER_ENTRY = 14


def human(n: float) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1024 or unit == "TB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def free_bytes(folder: str) -> int | None:
    probe = folder
    while probe and not os.path.isdir(probe):  # the folder itself may be gone (removed after the failure)
        parent = os.path.dirname(probe)
        probe = parent if parent != probe else ""
    try:
        return shutil.disk_usage(probe or ".").free
    except OSError:
        return None


def write_failure(
    exc: BaseException, folder: str, what: str, needed: Callable[[], int]
) -> TuneDeskError | None:
    """After ANY failure while writing into folder: a disk_full error when the exception says so
    (ENOSPC in its chain, safetensors' os error 28, torch's short write) or when the free space
    left is below what the write needs; None when the disk is not the cause."""
    if isinstance(exc, TuneDeskError):
        return None
    free = free_bytes(folder)
    try:
        need = int(needed())
    except Exception:  # noqa: BLE001 - an estimate must never hide the real failure
        need = 0
    if not is_disk_full(exc) and (free is None or free >= need):
        return None
    amount = f"about {human(need)}" if need else "more space"
    left = f", {human(free)} is free" if free is not None else ""
    short = f" (free at least {human(need - free)} more)" if need and free is not None and need > free else ""
    return DiskFullError(
        f"The disk is full: {what} in {folder} needs {amount}{left} ({first_line(exc)})",
        f"Free space on the disk holding {folder}{short}: delete old runs or exports, lower "
        "save_total_limit, or choose another output_dir; then resume from the last complete checkpoint.",
    )


def estimate_checkpoint_bytes(model, weights: str) -> int:
    """What one checkpoint of this model writes: the saved weights plus AdamW's two fp32 moments."""
    saved = moments = 0
    for param in model.parameters():
        numel = int(getattr(param, "ds_numel", param.numel()))  # ZeRO-3 partitions hold a slice only
        if param.requires_grad:
            moments += 8 * numel
        if param.requires_grad or weights == "full":
            saved += numel * param.element_size()
    return saved + moments


# --- out of memory ------------------------------------------------------------------------------


def _safetensors_params(model_dir: str) -> int:
    """Parameter count from the safetensors headers (8-byte length + JSON), without loading weights."""
    total = 0
    for name in os.listdir(model_dir):
        if not name.endswith(".safetensors"):
            continue
        with open(os.path.join(model_dir, name), "rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            header = json.loads(handle.read(length))
        for key, info in header.items():
            if key != "__metadata__":
                count = 1
                for dim in info["shape"]:
                    count *= dim
                total += count
    return total


def _arch(model_config: dict[str, Any]) -> dict[str, int]:
    """Shapes from a transformers config.json, ChatGLM key names included."""

    def get(*names: str, default: int = 0) -> int:
        for name in names:
            if isinstance(model_config.get(name), int):
                return model_config[name]
        return default

    hidden = get("hidden_size", "n_embd")
    heads = get("num_attention_heads", "n_head", default=1)
    head_dim = get("head_dim", "kv_channels", default=hidden // max(1, heads))
    return {
        "hidden": hidden,
        "layers": get("num_hidden_layers", "num_layers", "n_layer"),
        "ffn": get("intermediate_size", "ffn_hidden_size", default=4 * hidden),
        "heads": heads,
        "kv_heads": get("num_key_value_heads", "multi_query_group_num", default=heads),
        "head_dim": head_dim,
        "vocab": get("vocab_size", "padded_vocab_size"),
    }


def estimate_training_bytes(config) -> dict[str, int] | None:
    """A rough estimate for these settings (weights, full training's gradients and AdamW state,
    activations of one micro-batch after Korthikanti et al. 2022, logits). None when the model's
    config cannot be read."""
    try:
        with open(os.path.join(config.model_name_or_path, "config.json"), encoding="utf-8") as handle:
            arch = _arch(json.load(handle))
        params = _safetensors_params(config.model_name_or_path)
    except (OSError, ValueError, KeyError, struct.error):
        return None
    if not arch["hidden"] or not arch["layers"]:
        return None
    width = 2 if (config.bf16 or config.fp16) else 4
    h, f = arch["hidden"], arch["ffn"]
    q, kv = arch["heads"] * arch["head_dim"], arch["kv_heads"] * arch["head_dim"]
    tokens = config.per_device_train_batch_size * config.max_len
    # per token and layer, in half precision: attention 2h+2q+4kv+2q+h, gated MLP 2h+8f, norms 4h
    one_layer = (2 * h + 4 * q + 4 * kv + h + 2 * h + 8 * f + 4 * h) * tokens
    if config.gradient_checkpointing:
        activations = arch["layers"] * 2 * h * tokens + one_layer
    else:
        activations = arch["layers"] * one_layer
    estimate = {
        "weights": params * width,
        "activations": activations * width // 2,
        "logits": LOGITS_BYTES_PER_ENTRY * tokens * arch["vocab"],
    }
    if config.train_type == "all":
        estimate["gradients and optimizer"] = params * 12
    return estimate


def measured_peak_bytes() -> tuple[str, int] | None:
    """The process's peak so far: CUDA allocator peak when CUDA was used, else the peak resident set."""
    try:
        import torch

        if torch.cuda.is_available() and torch.cuda.is_initialized():
            return "GPU", int(torch.cuda.max_memory_allocated())
    except Exception:  # noqa: BLE001 - no torch, no CUDA: the CPU peak still answers
        pass
    from tunedesk.memory import _peak_rss_bytes

    peak = _peak_rss_bytes()
    return ("RAM", int(peak)) if peak else None


def out_of_memory(exc: BaseException, config) -> OutOfMemory | None:
    """An oom error naming what to lower for this run's settings, with the estimate and the peak."""
    if isinstance(exc, TuneDeskError) or not is_out_of_memory(exc):
        return None
    checkpointing = "on" if config.gradient_checkpointing else "off"
    lower = [
        f"lower --per_device_train_batch_size (now {config.per_device_train_batch_size}; raise "
        "--gradient_accumulation_steps to keep the effective batch)",
        f"lower --max_len (now {config.max_len})",
    ]
    if not config.gradient_checkpointing:
        lower.append("turn gradient checkpointing on (--gradient_checkpointing)")
    if config.train_type == "all":
        lower.append("or train with LoRA, Freeze or P-Tuning instead of all parameters")
    numbers = []
    estimate = estimate_training_bytes(config)
    if estimate:
        parts = ", ".join(f"{name} {human(size)}" for name, size in estimate.items())
        numbers.append(f"estimate for these settings: about {human(sum(estimate.values()))} ({parts})")
    peak = measured_peak_bytes()
    if peak:
        numbers.append(f"measured {peak[0]} peak before the failure: {human(peak[1])}")
    sentences = ["; ".join(lower)] + (["; ".join(numbers)] if numbers else [])
    hint = ". ".join(sentence[0].upper() + sentence[1:] for sentence in sentences) + "."
    return OutOfMemory(
        f"Out of memory ({config.train_type}, micro-batch {config.per_device_train_batch_size}, max_len "
        f"{config.max_len}, gradient checkpointing {checkpointing}): {first_line(exc)}",
        hint,
    )
