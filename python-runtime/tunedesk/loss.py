"""The training loss: a sum over learned tokens, divided by the learned tokens of the whole step.

Why a sum: with gradient accumulation a per-micro-batch mean makes one answer token of a short
sample weigh many times a token of a long one. The loop sums each micro-batch's token losses and
divides by the learned-token count of the whole optimizer step (all micro-batches, all ranks), as
transformers' Trainer does with ``num_items_in_batch``; the step's gradient is then the gradient
of the mean over every learned token of the step.

Why chunked: the plain path materialises batch x length x vocab logits in fp32 (and their
gradient), 2.4 GB for 8 x 512 tokens of a 150k vocabulary. ``linear_cross_entropy`` runs the
language-model head over the learned tokens only (prompts are masked, so usually a fraction of the
row), in chunks of tokens, and computes the chunk's gradients on the spot: the largest
temporary is one chunk's logits. It is used where the model's head is a plain bias-free Linear
after the decoder (``chunked_head``); anything else (remote code, soft-capped logits, P-Tuning's
virtual tokens) takes the model's own loss, scaled to the same sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

# Families whose *ForCausalLM forward is exactly lm_head(decoder(...)) with an unscaled, uncapped
# head, and whose masks come from transformers' masking utils (so packed rows work too).
from tunedesk.families import PLAIN_HEAD_FAMILIES
from tunedesk.packed_attention import SEGMENTS_KEY

IGNORE_INDEX = -100
CHUNK_ELEMENTS = 1 << 24  # logits per chunk: 64 MB in fp32, whatever the vocabulary


def learned_targets(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(flat positions whose next token is learned, those next tokens), computed on the host.

    Position p of a row predicts the label at p + 1, exactly the shift of transformers' loss."""
    following = torch.full_like(labels, IGNORE_INDEX)
    following[:, :-1] = labels[:, 1:]
    flat = following.reshape(-1)
    positions = (flat != IGNORE_INDEX).nonzero().squeeze(1)
    return positions, flat[positions]


def count_learned(labels: torch.Tensor) -> int:
    return int((labels[:, 1:] != IGNORE_INDEX).sum())


class _LinearCrossEntropy(torch.autograd.Function):
    """sum_i CE(hidden_i @ weight.T, target_i), gradients computed chunk by chunk in forward.

    Storing the two gradients (the size of ``hidden`` and, when the head trains, of ``weight``)
    instead of the logits is what keeps the memory flat in the vocabulary."""

    @staticmethod
    def forward(ctx, flat_hidden, weight, positions, targets, chunk: int, with_grad: bool, dtype):
        with torch.autocast(flat_hidden.device.type, enabled=False):
            return _LinearCrossEntropy._forward(ctx, flat_hidden, weight, positions, targets, chunk, with_grad, dtype)

    @staticmethod
    def _forward(ctx, flat_hidden, weight, positions, targets, chunk, with_grad, dtype):
        # The learned rows are picked here rather than by index_select outside: its backward is a
        # scatter-add over every position (slow on CPUs); ours copies rows into a zero tensor.
        hidden = flat_hidden.index_select(0, positions).to(dtype)
        ctx.flat_shape, ctx.hidden_dtype = flat_hidden.shape, flat_hidden.dtype
        compute_weight = weight.to(dtype)  # once, not per chunk as autocast would (39M values for 152k x 256)
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        grad_hidden = torch.zeros_like(hidden) if with_grad and ctx.needs_input_grad[0] else None
        grad_weight = (
            torch.zeros(weight.shape, dtype=torch.float32, device=weight.device)
            if with_grad and ctx.needs_input_grad[1]
            else None
        )
        for start in range(0, hidden.shape[0], chunk):
            part = hidden[start : start + chunk]
            target = targets[start : start + chunk]
            logits = (part @ compute_weight.t()).float()
            lse = torch.logsumexp(logits, dim=-1)
            total += (lse - logits.gather(1, target[:, None]).squeeze(1)).sum()
            if grad_hidden is None and grad_weight is None:
                continue
            # d(sum CE)/d logits = softmax - one_hot, built in place over the chunk's logits.
            probs = logits.sub_(lse[:, None]).exp_()
            probs[torch.arange(target.shape[0], device=probs.device), target] -= 1.0
            if grad_hidden is not None:
                grad_hidden[start : start + chunk] = probs.to(dtype) @ compute_weight
            if grad_weight is not None:
                grad_weight += probs.t() @ part.float()
        ctx.save_for_backward(
            grad_hidden if grad_hidden is not None else torch.empty(0),
            grad_weight if grad_weight is not None else torch.empty(0),
            positions,
        )
        ctx.has = (grad_hidden is not None, grad_weight is not None)
        ctx.weight_dtype = weight.dtype
        return total

    @staticmethod
    def backward(ctx, grad_output):
        grad_hidden, grad_weight, positions = ctx.saved_tensors
        has_hidden, has_weight = ctx.has
        grad_flat = None
        if has_hidden:
            grad_flat = torch.zeros(ctx.flat_shape, dtype=ctx.hidden_dtype, device=grad_hidden.device)
            grad_flat.index_copy_(0, positions, (grad_hidden * grad_output.to(grad_hidden.dtype)).to(ctx.hidden_dtype))
        return (
            grad_flat,
            (grad_weight * grad_output).to(ctx.weight_dtype) if has_weight else None,
            None,
            None,
            None,
            None,
            None,
        )


def linear_cross_entropy(
    hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, positions: torch.Tensor | None = None
) -> torch.Tensor:
    """Summed cross-entropy of ``hidden[positions] @ weight.T`` against ``targets`` without full
    logits (``hidden``: tokens x hidden; positions default to every row)."""
    if positions is None:
        positions = torch.arange(hidden.shape[0], device=hidden.device)
    chunk = max(1, CHUNK_ELEMENTS // weight.shape[0])
    with_grad = torch.is_grad_enabled() and (hidden.requires_grad or weight.requires_grad)
    device = hidden.device.type
    # The matmul dtype autocast would pick (bf16 under bf16 autocast), applied once inside.
    dtype = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else weight.dtype
    return _LinearCrossEntropy.apply(hidden, weight, positions, targets, chunk, with_grad, dtype)


@dataclass
class HeadParts:
    decoder: Any
    head: torch.nn.Linear
    segments: bool = False  # the decoder's attention reads packed rows' layout (packed_attention.py)


def chunked_head(model, model_type: str | None, train_type: str) -> HeadParts | None:
    """The decoder and head to run the chunked loss on, or None where the model's own loss must run."""
    if model_type not in PLAIN_HEAD_FAMILIES or train_type == "ptuning":
        return None
    causal = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = getattr(causal, "config", None)
    if getattr(config, "final_logit_softcapping", None) or getattr(config, "logit_scale", None):
        return None
    # Every plain family's *ForCausalLM holds its decoder as .model and its head as .lm_head.
    decoder, head = getattr(causal, "model", None), getattr(causal, "lm_head", None)
    if type(head) is not torch.nn.Linear or head.bias is not None or decoder is None:
        return None  # a LoRA-wrapped or biased head: its own forward must run
    return HeadParts(decoder, head)


def micro_loss_sum(model, parts: HeadParts | None, batch: dict, learned: int) -> torch.Tensor:
    """Sum of this micro-batch's token losses (batch: model inputs + labels, + positions/targets
    from ``learned_targets`` when ``parts`` is set)."""
    if parts is not None:
        keep = ("input_ids", "attention_mask", "position_ids", *((SEGMENTS_KEY,) if parts.segments else ()))
        inputs = {k: v for k, v in batch.items() if k in keep}
        hidden = parts.decoder(**inputs, use_cache=False).last_hidden_state
        flat = hidden.reshape(-1, hidden.shape[-1])
        return linear_cross_entropy(flat, parts.head.weight, batch["learned_targets"], batch["learned_positions"])
    inputs = {k: v for k, v in batch.items() if k not in ("learned_positions", "learned_targets", SEGMENTS_KEY)}
    output = model(**inputs, use_cache=False)
    if learned == 0:  # the model's mean would be 0/0; a zero that still reaches every weight
        return output.logits.sum() * 0.0
    return output.loss * learned  # the model's mean over this micro-batch's learned tokens, as a sum
