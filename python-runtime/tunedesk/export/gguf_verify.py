"""Verify a GGUF file by what it computes: rebuild the transformers model from the file's own
(dequantised) tensors and compare its logits with the training-time model's.

The rebuild undoes every transform the writer applied (q/k permutation, Gemma's norm +1), so the
measured Δ is the rounding of the stored type. `rope_freqs` (Llama 3.1/3.2) has no HF twin: it is
checked against the inverse frequencies transformers computes for the same config.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import torch

from tunedesk.export import gguf_export, gguf_quant


def rebuild_model(model: torch.nn.Module, path: Path) -> torch.nn.Module:
    """A fresh model of the same class and config, loaded only from the GGUF file's tensors."""
    import gguf

    reader = gguf.GGUFReader(str(path))
    by_name = {t.name: t for t in reader.tensors}
    state: dict[str, torch.Tensor] = {}
    problems = []
    for planned in gguf_export.plan_tensors(model):
        tensor = by_name.get(planned.gguf_name)
        shape = tuple(planned.data.shape)
        if tensor is None:
            problems.append(f"{planned.gguf_name} missing")
            continue
        values = torch.from_numpy(gguf_quant.decode(tensor.data, tensor.tensor_type, shape).copy())
        if planned.hf_name is None:
            _check_rope_freqs(model, values, problems)
            continue
        state[planned.hf_name] = planned.to_hf(values)
    if problems:
        raise ValueError("; ".join(problems))
    config = copy.deepcopy(model.config)
    with torch.device("cpu"):
        fresh = type(model)(config)
    missing, unexpected = fresh.load_state_dict(state, strict=False)
    # Tied lm_head and non-persistent buffers are the only things the file may not hold.
    missing = [m for m in missing if not (m == "lm_head.weight" and config.tie_word_embeddings)]
    if missing or unexpected:
        raise ValueError(f"rebuilt model: missing {missing[:3]}, unexpected {unexpected[:3]}")
    if config.tie_word_embeddings:
        fresh.tie_weights()
    return fresh.float().eval()


def _check_rope_freqs(model: torch.nn.Module, factors: torch.Tensor, problems: list[str]) -> None:
    """llama.cpp divides the base frequencies by rope_freqs; transformers stores the result."""
    rotary = getattr(getattr(model, "model", model), "rotary_emb", None)
    inv_freq = getattr(rotary, "inv_freq", None)
    if inv_freq is None:
        return
    from tunedesk.export.gguf_keys import head_dim, rope_parameters

    dim = head_dim(model.config)
    base = float(rope_parameters(model.config)["rope_theta"])
    plain = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    expected = plain / inv_freq.float().cpu()
    error = float((expected - factors).abs().max() / expected.abs().max())
    if error > 1e-4:
        problems.append(f"rope_freqs differ from transformers' RoPE scaling by {error:.3g} (relative)")


def gguf_logits(model: torch.nn.Module, path: Path, samples: Any) -> list[torch.Tensor]:
    from tunedesk.export.verify import sample_logits

    fresh = rebuild_model(model, path)
    try:
        return sample_logits(fresh, samples)
    finally:
        del fresh
