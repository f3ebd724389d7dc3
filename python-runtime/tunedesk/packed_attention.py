"""Attention over packed rows one sample at a time: no block-diagonal mask, no repeated keys.

transformers' sdpa path reads packed rows (position ids restarting) as a block-diagonal mask
of batch x width x width. SDPA's kernels then turn that mask into an additive one of the compute
dtype in every layer and keep it for backward (bf16: 0.5 MB a row a layer at width 512, 8 MB at
2048), compute the whole width x width square although only the samples' own triangles count,
and for grouped-query attention (Qwen2, Llama 3...) take keys and values repeated to every query
head (``repeat_kv``), because SDPA's grouped mode is not used with a mask.

Here each sample of a row is its own causal SDPA call: nothing masked, nothing repeated
(``enable_gqa``), and only each sample's triangle computed. Each call's length is rounded up to
one of a few sizes with zeros after the sample (``bucket``), which causal attention never lets
the sample see. The training loop hands the rows' layout (``Segments``, from
packing.collate_packed) to the decoder as a keyword argument, which transformers passes down to
every attention call and gradient checkpointing keeps for its recomputation. transformers still
builds its boolean mask once a forward; nothing here keeps it. Any forward without the layout
(evaluation on padded batches) is the model's own sdpa attention, unchanged. The same values as
the masked kernel, to rounding (bench/bench_attention.py measures both).
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


def bucket(length: int) -> int:
    """A sample's attention length, rounded up to one of a few sizes. PyTorch's bf16 flash attention
    on the CPU keeps ~3 MB per distinct sequence length it ran backward for (measured, torch 2.13):
    every sample's own length would add up to gigabytes over a run."""
    step = 64 if length <= 256 else 128 if length <= 1024 else 256
    return -(-length // step) * step


def segment_attention(module, query, key, value, segments: Segments, scaling: float | None, dropout: float):
    """(batch, heads, width, dim) query and (batch, kv heads, width, dim) keys/values: the
    attention output as transformers' attention functions return it, (batch, width, heads, dim).

    Every sample is a view of the token-major tensors (one split, whose backward is one
    concatenation) and the outputs are joined by one concatenation: slicing each sample out
    instead would give every sample's gradient a zero-filled tensor of the whole batch's size."""
    batch, heads, width, dim = query.shape
    sizes: list[int] = []
    learned: list[bool] = []
    for spans in segments.rows:
        at = 0
        for start, end in spans:
            sizes.append(end - start)
            learned.append(True)
            at = end
        if width - at:  # the padding tail: never learned, never attended to by a sample
            sizes.append(width - at)
            learned.append(False)

    def pieces(states):  # (batch, heads, width, dim) -> per piece (1, heads, tokens, dim) views
        tokens = states.transpose(1, 2).reshape(batch * width, states.shape[1], dim)
        return [piece.transpose(0, 1).unsqueeze(0) for piece in tokens.split(sizes)]

    grouped = {"enable_gqa": True} if heads != key.shape[1] else {}
    device = query.device.type
    compute = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else None
    outputs = []
    for q, k, v, real in zip(pieces(query), pieces(key), pieces(value), learned):
        if real:
            length = q.shape[2]
            padded = bucket(length)
            if compute is not None:  # cast before padding: the padded copy is the one kept
                q, k, v = q.to(compute), k.to(compute), v.to(compute)
            if padded > length:  # causal: the sample's tokens never see the zeros after them
                q, k, v = (torch.nn.functional.pad(t, (0, 0, 0, padded - length)) for t in (q, k, v))
            out = torch.nn.functional.scaled_dot_product_attention(
                q, k, v, dropout_p=dropout, is_causal=True, scale=scaling, **grouped
            )
            outputs.append(out[:, :, :length].squeeze(0).transpose(0, 1))
        else:
            outputs.append(None)
    like = next(out for out in outputs if out is not None)
    joined = [out if out is not None else like.new_zeros((size, heads, dim)) for out, size in zip(outputs, sizes)]
    return torch.cat(joined, dim=0).view(batch, width, heads, dim)


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
