"""Turn a checkpoint into the model to export, measuring the reference logits on the way.

One model is in memory at a time (a 7B model in fp32 is 28 GB): base logits are taken first
(with the adapter disabled, or before the trained tensors are applied), then the training-time
logits, then the merge happens in place.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass

import torch

from tunedesk.export.source import (
    CheckpointSource,
    apply_trainable,
    load_base,
    load_full_model,
)
from tunedesk.export.verify import Samples, sample_logits

# Test hook: export the base model instead of merging, so the verification must catch it.
SKIP_MERGE_HOOK_ENV = "TUNEDESK_TEST_EXPORT_SKIP_MERGE"


@dataclass
class Prepared:
    model: torch.nn.Module  # plain transformers model to write (or the PeftModel for P-Tuning)
    reference: list[torch.Tensor]  # training-time logits per sample
    base: list[torch.Tensor] | None  # bare base logits per sample (None: base not available)


def prepare(source: CheckpointSource, samples: Samples) -> Prepared:
    if source.weights == "adapter":
        return _prepare_adapter(source, samples)
    if source.weights == "trainable":
        return _prepare_freeze(source, samples)
    return _prepare_full(source, samples)


def _prepare_adapter(source: CheckpointSource, samples: Samples) -> Prepared:
    from peft import PeftModel

    assert source.base_model is not None
    model = PeftModel.from_pretrained(load_base(source.base_model), source.path / "adapter")
    model.eval()
    with model.disable_adapter():
        base = sample_logits(model, samples)
    reference = sample_logits(model, samples)
    if source.method == "ptuning" or model.active_peft_config.is_prompt_learning:
        return Prepared(model, reference, base)
    if os.environ.get(SKIP_MERGE_HOOK_ENV):
        merged = model.unload()  # drops the LoRA layers without folding them in
    else:
        merged = model.merge_and_unload()
    return Prepared(merged, reference, base)


def _prepare_freeze(source: CheckpointSource, samples: Samples) -> Prepared:
    assert source.base_model is not None
    model = load_base(source.base_model)
    base = sample_logits(model, samples)
    apply_trainable(model, source.path / "trainable.safetensors")
    return Prepared(model, sample_logits(model, samples), base)


def _prepare_full(source: CheckpointSource, samples: Samples) -> Prepared:
    base = None
    # The bare base is only a comparison here: skip it rather than read pickle weights.
    base_dir = source.base_model
    if base_dir is not None and (base_dir / "config.json").is_file() and any(base_dir.glob("*.safetensors")):
        base_model = load_base(source.base_model)
        base = sample_logits(base_model, samples)
        del base_model
        gc.collect()
    model = load_full_model(source)
    return Prepared(model, sample_logits(model, samples), base)


def model_family(model: torch.nn.Module) -> str:
    return str(getattr(model.config, "model_type", "unknown"))


def weight_bytes(model: torch.nn.Module, dtype: torch.dtype) -> int:
    """Bytes the weights take on disk in `dtype` (tied weights once)."""
    seen: set[int] = set()
    total = 0
    for tensor in model.state_dict().values():
        if tensor.data_ptr() in seen:
            continue
        seen.add(tensor.data_ptr())
        total += tensor.numel() * (dtype.itemsize if tensor.is_floating_point() else tensor.element_size())
    return total
