"""--torch_compile: each decoder layer compiled by TorchInductor, in place.

Opt-in, not a default: on this project's CPU a compiled step is ~1.16x faster but the first pass
compiles for 40-60 s (bench/bench_compile.py), which a short run never earns back. Layers are
compiled in place (``Module.compile``), so state-dict keys, checkpoints and exports are those of
the eager model. Dynamic shapes from the start: packed rows come in a few widths and padded
batches in many, and a recompile per width would cost more than it saves.
"""

from __future__ import annotations

from typing import Any


def compile_decoder_layers(decoder: Any | None, engine_name: str) -> tuple[int, str]:
    """Compile ``decoder.layers`` (the chunked-loss decoder of a plain family); returns how many
    layers and the line for the run's log."""
    if engine_name != "torch":
        return 0, f"torch_compile: off under the {engine_name} engine (it wraps the model itself)"
    layers = getattr(decoder, "layers", None)
    if decoder is None or layers is None or len(layers) == 0:
        return 0, "torch_compile: off for this model (only the plain families' decoder layers are compiled)"
    import torch._dynamo

    # Every layer runs the same code with its own weights: room for one graph per layer (and one
    # more for evaluation without gradients) before dynamo would quietly fall back to eager.
    limit = "recompile_limit" if hasattr(torch._dynamo.config, "recompile_limit") else "cache_size_limit"
    setattr(torch._dynamo.config, limit, max(getattr(torch._dynamo.config, limit), 2 * len(layers) + 2))
    for layer in layers:
        layer.compile(dynamic=True)
    return len(layers), (
        f"torch_compile: {len(layers)} decoder layers compiled with TorchInductor at the first step "
        "(a one-time cost; later steps are faster)"
    )
