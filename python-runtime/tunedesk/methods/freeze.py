"""Freeze: train only chosen parameters, everything else keeps requires_grad=False.

``--freeze_module_name "layers.27.,layers.26."`` lists the TRAINABLE name fragments, exactly as
the original scripts (despite the flag's name). ``--trainable_layers N`` picks the last N blocks.
"""

from __future__ import annotations

from tunedesk.config import TrainConfig
from tunedesk.errors import ConfigError
from tunedesk.methods.layers import find_block_list


def trainable_fragments(model, config: TrainConfig) -> list[str]:
    if config.trainable_layers:
        prefix, blocks = find_block_list(model)
        count = min(config.trainable_layers, len(blocks))
        return [f"{prefix}.{index}." for index in range(len(blocks) - count, len(blocks))]
    return [part.strip() for part in config.freeze_module_name.split(",") if part.strip()]


def apply_freeze(model, config: TrainConfig):
    fragments = trainable_fragments(model, config)
    matched = 0
    for name, param in model.named_parameters():
        train = any(fragment in name for fragment in fragments)
        param.requires_grad_(train)
        matched += int(train)
    if matched == 0:
        prefix, blocks = find_block_list(model)
        raise ConfigError(
            f"freeze: no parameter name contains any of {fragments} "
            f"(this model has {len(blocks)} blocks named {prefix}.0. … {prefix}.{len(blocks) - 1}.)",
            "Use fragments that exist in this model, or --trainable_layers N for the last N blocks.",
        )
    return model, {"trainable_fragments": fragments, "trainable_tensors": matched}
