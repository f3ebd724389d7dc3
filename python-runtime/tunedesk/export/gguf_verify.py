"""Verify a GGUF file by what it computes: rebuild the transformers model from the file's own
(dequantised) tensors and compare its logits with the training-time model's.

The rebuild undoes every transform the writer applied (q/k permutation, Gemma's norm +1), so the
measured Δ is the rounding of the stored type. `rope_freqs` (Llama 3.1/3.2) has no HF twin: it is
checked against the inverse frequencies transformers computes for the same config.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import torch

from tunedesk.export import gguf_export, gguf_quant


def rebuild_model(model: torch.nn.Module, path: Path) -> torch.nn.Module:
    """A fresh model of the same class and config, loaded only from the GGUF file's tensors."""
    return rebuild_from(type(model), model.config, gguf_export.plan_tensors(model), path)


def shapes_only(plan: list[gguf_export.Planned]) -> list[gguf_export.Planned]:
    """The plan without its data (meta tensors keep the shapes), so the merged model can be freed first."""
    return [dataclasses.replace(p, data=torch.empty(p.data.shape, device="meta")) for p in plan]


def rebuild_from(
    model_class: type, config: Any, plan: list[gguf_export.Planned], path: Path
) -> torch.nn.Module:
    import gguf

    reader = gguf.GGUFReader(str(path))
    by_name = {t.name: t for t in reader.tensors}
    state: dict[str, torch.Tensor] = {}
    rope_freqs = None
    problems = []
    for planned in plan:
        tensor = by_name.get(planned.gguf_name)
        shape = tuple(planned.data.shape)
        if tensor is None:
            problems.append(f"{planned.gguf_name} missing")
            continue
        values = torch.from_numpy(gguf_quant.decode(tensor.data, tensor.tensor_type, shape).copy())
        if planned.hf_name is None:
            rope_freqs = values
            continue
        state[planned.hf_name] = planned.to_hf(values)
    config = copy.deepcopy(config)
    with torch.device("cpu"):
        fresh = model_class(config)
    if rope_freqs is not None:
        _check_rope_freqs(fresh, rope_freqs, problems)
    if problems:
        raise ValueError("; ".join(problems))
    missing, unexpected = fresh.load_state_dict(state, strict=False)
    # Tied lm_head and non-persistent buffers are the only things the file may not hold.
    missing = [m for m in missing if not (m == "lm_head.weight" and config.tie_word_embeddings)]
    if missing or unexpected:
        raise ValueError(f"rebuilt model: missing {missing[:3]}, unexpected {unexpected[:3]}")
    if config.tie_word_embeddings:
        fresh.tie_weights()
    return fresh.float().eval()


def _check_rope_freqs(model: torch.nn.Module, factors: torch.Tensor, problems: list[str]) -> None:
    """llama.cpp divides the base frequencies by rope_freqs; transformers stores the result (in a
    model built from the same config)."""
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


def gguf_logits(
    model_class: type, config: Any, plan: list[gguf_export.Planned], path: Path, samples: Any
) -> list[torch.Tensor]:
    from tunedesk.export.verify import sample_logits

    fresh = rebuild_from(model_class, config, plan, path)
    try:
        return sample_logits(fresh, samples)
    finally:
        del fresh
