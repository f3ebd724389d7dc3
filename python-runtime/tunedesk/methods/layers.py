"""Finding a model's transformer blocks and linear layers, for any supported architecture."""

from __future__ import annotations


def find_block_list(model) -> tuple[str, list]:
    """Return (dotted name, blocks) of the transformer block list.

    Llama/Qwen/GLM keep them at ``model.layers``; ChatGLM2/3 at ``transformer.encoder.layers``;
    GPT-2 style at ``transformer.h``. Rather than a table per architecture, take the longest
    ``nn.ModuleList`` of identical block types — that is the stack in every decoder we know.
    """
    import torch.nn as nn

    best_name, best = "", None
    for name, module in model.named_modules():
        if isinstance(module, nn.ModuleList) and len(module) > 0:
            if len({type(block) for block in module}) != 1:
                continue
            if best is None or len(module) > len(best):
                best_name, best = name, module
    if best is None:
        from tunedesk.errors import ConfigError

        raise ConfigError(
            f"{type(model).__name__}: no list of transformer blocks found",
            "Use --freeze_module_name with explicit parameter name fragments instead of --trainable_layers.",
        )
    return best_name, list(best)


def linear_module_names(model) -> list[str]:
    """Short names (last path component) of every nn.Linear, in first-seen order."""
    import torch.nn as nn

    seen: dict[str, None] = {}
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            seen.setdefault(name.rsplit(".", 1)[-1], None)
    return list(seen)
