"""Turn a loaded base model into the trainable one: freeze, ptuning (v1, v2), lora, all.

``apply_method`` is the only entry point the recipe uses; each method lives in its own module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tunedesk.config import TrainConfig
from tunedesk.errors import ConfigError


@dataclass
class MethodInfo:
    """What the method did, for run_started and the checkpoint manifest."""

    method: str
    weights: str  # checkpoint weights kind: "adapter", "trainable" or "full"
    trainable_params: int
    total_params: int
    detail: dict = field(default_factory=dict)


def count_params(model) -> tuple[int, int]:
    """(trainable, total) parameter counts; peft wrappers count the base model too."""
    trainable = total = 0
    for param in model.parameters():
        count = param.numel()
        total += count
        if param.requires_grad:
            trainable += count
    return trainable, total


def apply_method(model, config: TrainConfig, model_type: str | None):
    """Return (model, MethodInfo). Raises ConfigError when the method's settings match nothing."""
    kind = config.train_type
    if kind == "freeze":
        from tunedesk.methods.freeze import apply_freeze

        model, detail = apply_freeze(model, config)
        weights = "trainable"
    elif kind == "ptuning":
        from tunedesk.methods.ptuning import apply_ptuning

        model, detail = apply_ptuning(model, config)
        weights = "adapter"
    elif kind == "lora":
        from tunedesk.methods.lora import apply_lora

        model, detail = apply_lora(model, config, model_type)
        weights = "adapter"
    elif kind == "all":
        for param in model.parameters():
            param.requires_grad_(True)
        detail, weights = {}, "full"
    else:  # validate() already refuses this; kept so a new method cannot be half-wired
        raise ConfigError(f"train_type {kind!r} is not supported", "Use freeze, ptuning, lora or all.")
    trainable, total = count_params(model)
    if trainable == 0:
        raise ConfigError(
            f"{kind}: no parameter is trainable with these settings", "Check the method's module names."
        )
    return model, MethodInfo(kind, weights, trainable, total, detail)
