"""Attention over packed rows one sample at a time: no block-diagonal mask, no repeated keys.

transformers' sdpa path reads packed rows (position ids restarting) as a block-diagonal mask
of batch x width x width. SDPA's kernels then turn that mask into an additive one of the compute
dtype in every layer and keep it for backward (width 512: 2 MB a row a layer; width 2048: 8 MB),
compute the whole width x width square although only the samples' own triangles count, and
for grouped-query attention (Qwen2, Llama 3...) take keys and values repeated to every query
head (``repeat_kv``), because SDPA's grouped mode is not used with a mask.

Here each sample of a row is its own causal SDPA call: nothing masked, nothing repeated
(``enable_gqa``), and only each sample's triangle computed. The training loop hands the rows'
layout (``Segments``, from packing.collate_packed) to the decoder as a keyword argument, which
transformers passes down to every attention call, and which gradient checkpointing keeps for
its recomputation. Any forward without it (evaluation on padded batches) is the model's own
sdpa attention, unchanged. The same values as the masked kernel, to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

NAME = "tunedesk_packed"
SEGMENTS_KEY = "tunedesk_segments"


@dataclass(frozen=True)
class Segments:
    """The samples of each packed row, as (start, end) token spans; a row's tail past its last
    span is padding."""

    rows: tuple[tuple[tuple[int, int], ...], ...]


def segment_attention(module, query, key, value, segments: Segments, scaling: float | None, dropout: float):
    """(batch, heads, width, dim) query and (batch, kv heads, width, dim) keys/values: the
    attention output as transformers' attention functions return it, (batch, width, heads, dim)."""
    groups = query.shape[1] // key.shape[1]
    grouped = {"enable_gqa": True} if groups > 1 else {}
    rows = []
    for r, spans in enumerate(segments.rows):
        parts = []
        for start, end in spans:
            q, k, v = query[r : r + 1, :, start:end], key[r : r + 1, :, start:end], value[r : r + 1, :, start:end]
            parts.append(
                torch.nn.functional.scaled_dot_product_attention(
                    q, k, v, dropout_p=dropout, is_causal=True, scale=scaling, **grouped
                )
            )
        tail = query.shape[2] - (spans[-1][1] if spans else 0)
        if tail:  # the padding tail: never learned, never attended to by a sample
            like = parts[0] if parts else query
            parts.append(like.new_zeros((1, query.shape[1], tail, query.shape[3])))
        rows.append(torch.cat(parts, dim=2) if len(parts) > 1 else parts[0])
    out = torch.cat(rows, dim=0) if len(rows) > 1 else rows[0]
    return out.transpose(1, 2).contiguous()


def packed_attention(
    module, query, key, value, attention_mask, dropout: float = 0.0, scaling: float | None = None, **kwargs
):
    segments = kwargs.pop(SEGMENTS_KEY, None)
    if segments is None:
        from transformers.integrations.sdpa_attention import sdpa_attention_forward

        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs)
    window = kwargs.get("sliding_window")
    longest = max((end - start for spans in segments.rows for start, end in spans), default=0)
    if window and longest > window:  # install_packed_attention rules this out; never attend wrongly
        raise ValueError(f"packed attention: a {longest}-token sample in a layer with a {window}-token sliding window")
    return segment_attention(module, query, key, value, segments, scaling, dropout), None


def sliding_window(config) -> int | None:
    """The window of the model's sliding-window layers, None where it has none."""
    window = getattr(config, "sliding_window", None)
    types = getattr(config, "layer_types", None)
    if types is not None and "sliding_attention" not in types:
        return None  # Qwen2/3 keep a window size in the config but use it only where told to
    return window


def install_packed_attention(model, capacity: int) -> bool:
    """Route a plain-family model's sdpa attention through ``packed_attention``; False (and the
    model unchanged) where its attention is not sdpa, or a sample of up to ``capacity`` tokens
    could be longer than its sliding window (within the window, causal is exactly sliding)."""
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, AttentionMaskInterface

    causal = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = causal.config
    window = sliding_window(config)
    if config._attn_implementation != "sdpa" or (window is not None and capacity > window):
        return False
    AttentionInterface.register(NAME, packed_attention)
    AttentionMaskInterface.register(NAME, ALL_MASK_ATTENTION_FUNCTIONS["sdpa"])  # evaluation builds its masks as sdpa
    config._attn_implementation = NAME
    return True
