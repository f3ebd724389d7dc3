"""Make P-Tuning v2 (peft prefix tuning) correct under gradient checkpointing in transformers 5.

The problem: peft hands the prefix to the model as a DynamicCache of past keys/values. With
gradient checkpointing on, transformers' GradientCheckpointingLayer drops ``past_key_values``
(a cache that layers append to cannot be replayed in backward). The prefix then vanishes:
on GLM the attention mask no longer matches the keys (a shape error); on Llama the mask is
sliced and training silently never touches the prefix.

The fix: a cache that only READS. ``PrefixCache.update`` returns prefix ⊕ current keys/values
without storing them, so running a layer twice (forward, then recompute in backward) gives the
same result. Such a layer may keep its cache under checkpointing — the exact case transformers'
``_can_checkpoint_with_cache`` flag exists for — so we set it on this model's layers only.
Gradients still reach the prefix: non-reentrant checkpointing tracks tensors used inside.
"""

from __future__ import annotations

import torch
from transformers.cache_utils import DynamicCache


class PrefixCache(DynamicCache):
    """A DynamicCache holding only the virtual-token prefix; ``update`` never grows it."""

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, layer_idx: int, cache_kwargs=None):
        layer = self.layers[layer_idx]
        return torch.cat([layer.keys, key_states], dim=-2), torch.cat([layer.values, value_states], dim=-2)


def make_prefix_read_only(peft_model) -> None:
    """Wrap this model's ``get_prompt`` to return a PrefixCache and allow checkpointing with it."""
    from transformers.modeling_layers import GradientCheckpointingLayer

    original = peft_model.get_prompt

    def get_prompt(*args, **kwargs):
        prompt = original(*args, **kwargs)
        if isinstance(prompt, DynamicCache) and not isinstance(prompt, PrefixCache):
            return PrefixCache([(layer.keys, layer.values) for layer in prompt.layers])
        return prompt

    peft_model.get_prompt = get_prompt
    for module in peft_model.modules():
        if isinstance(module, GradientCheckpointingLayer):
            module._can_checkpoint_with_cache = True  # instance attribute: other models are untouched
