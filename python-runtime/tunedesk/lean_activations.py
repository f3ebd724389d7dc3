"""Decoder layers that keep less for the backward pass (the plain families: llama, mistral, qwen2,
qwen3, phi3), each change measured on the trainer benchmark's micro-batch (4 x 512 tokens, hidden
256, 4 layers, bf16 autocast): tensors kept for backward, LoRA 97 -> 73 MB, full 132 -> 94 MB.

The norm:
transformers' RMSNorm (llama, mistral, qwen2, qwen3, phi3) is four eager ops: autograd keeps the
fp32 normalised hidden state of every norm, and under bf16 autocast each following projection
(q, k, v; gate, up) casts that fp32 output to bf16 on its own, so three more bf16 copies of the
same values are kept per layer. This norm is one autograd function: it keeps only its input (the
residual stream, kept anyway) and one fp32 number per token, recomputes the normalised state in
the backward pass (a few elementwise ops), and under autocast returns the bf16 value the
projections would have cast to, once. The forward values are bit-identical to transformers'
(same ops in the same order); the gradients agree to bf16 rounding (under autocast the q/k/v and
gate/up input gradients add up in bf16 instead of fp32). Measured on the trainer benchmark's model
: full training keeps 104 MB for backward instead of 132 MB; LoRA
gains nothing by itself (frozen norm weights keep no normalised state, and peft casts the LoRA
input back to fp32), but with share_lora_inputs below it keeps 85 MB instead of 97 MB.
The MLP (install_lean_mlps): silu(gate) * up keeps gate and up, not also silu(gate) (recomputed in
backward, an elementwise op): 12 MB less for LoRA and for full training.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from tunedesk.loss import PLAIN_HEAD_FAMILIES

# Only the norms whose output feeds linear projections; Qwen3's q_norm/k_norm feed the rotary
# embedding, which must keep its input's precision.
NORM_NAMES = ("input_layernorm", "post_attention_layernorm")


class _LeanRMSNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, eps, out_dtype):
        with torch.autocast(x.device.type, enabled=False):
            xf = x.to(torch.float32)
            rstd = torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
            y = weight * (xf * rstd).to(x.dtype)
        ctx.save_for_backward(x, weight, rstd)
        return y if out_dtype is None else y.to(out_dtype)

    @staticmethod
    def backward(ctx, grad):
        x, weight, rstd = ctx.saved_tensors
        with torch.autocast(x.device.type, enabled=False):
            normed = x.to(torch.float32) * rstd
            grad = grad.to(torch.float32)
            grad_weight = None
            if ctx.needs_input_grad[1]:
                dims = tuple(range(grad.dim() - 1))
                grad_weight = (grad * normed.to(x.dtype)).sum(dims).to(weight.dtype)
            grad_normed = grad * weight.to(torch.float32)
            grad_x = rstd * (grad_normed - normed * (grad_normed * normed).mean(-1, keepdim=True))
        return grad_x.to(x.dtype), grad_weight, None, None


def lean_rmsnorm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    device = x.device.type
    out_dtype = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else None
    return _LeanRMSNorm.apply(x, weight, eps, out_dtype)


def _forward(self, hidden_states):
    return lean_rmsnorm(hidden_states, self.weight, self.variance_epsilon)


def install_lean_norms(model, model_type: str | None) -> int:
    """Swap the decoder layers' norms of a plain-family model for the lean one; returns how many."""
    if model_type not in PLAIN_HEAD_FAMILIES:
        return 0
    swapped = 0
    for name, module in model.named_modules():
        if name.rsplit(".", 1)[-1] not in NORM_NAMES:
            continue
        if not type(module).__name__.endswith("RMSNorm") or not hasattr(module, "variance_epsilon"):
            continue  # a norm of another shape (LayerNorm, offset weights): left as it is
        module.forward = types.MethodType(_forward, module)
        swapped += 1
    return swapped


def share_lora_inputs(model) -> int:
    """Under autocast: LoRA's A projections take their input as it comes (returns how many layers).

    peft casts each adapter's input to the adapter weight's dtype (fp32) before autocast casts it
    back to bf16, so q, k and v each keep their own bf16 copy of the same values for backward (and
    pay two casts). Left as it comes, the input is already in the compute dtype (the lean norm's
    output), autocast's cast is a no-op and the three adapters keep one shared tensor: the same
    values, ~1 MB less per adapted projection on the benchmark's micro-batch. Only while the
    training forward runs under autocast (the engine's), never for a model without it: without
    autocast a bf16 input would meet fp32 adapter weights.
    """
    shared = 0
    for module in model.modules():
        if hasattr(module, "cast_input_dtype_enabled") and hasattr(module, "lora_A"):
            module.cast_input_dtype_enabled = False
            shared += 1
    return shared


class _SwiGLU(torch.autograd.Function):
    """silu(gate) * up keeping only gate and up: the activation is recomputed in backward."""

    @staticmethod
    def forward(ctx, gate, up):
        ctx.save_for_backward(gate, up)
        return torch.nn.functional.silu(gate) * up

    @staticmethod
    def backward(ctx, grad):
        gate, up = ctx.saved_tensors
        sig = torch.sigmoid(gate)
        act = gate * sig
        grad_gate = grad * up * (sig * (1 + gate * (1 - sig)))
        return grad_gate, grad * act


def _mlp_forward(self, x):
    return self.down_proj(_SwiGLU.apply(self.gate_proj(x), self.up_proj(x)))


def install_lean_mlps(model, model_type: str | None) -> int:
    """Gated-SiLU MLPs of the plain families keep gate and up only (not also silu(gate)); returns how many."""
    if model_type not in PLAIN_HEAD_FAMILIES:
        return 0
    swapped = 0
    for module in model.modules():
        silu = type(getattr(module, "act_fn", None)).__name__ in ("SiLU", "SiLUActivation")
        if silu and all(hasattr(module, n) for n in ("gate_proj", "up_proj", "down_proj")):
            module.forward = types.MethodType(_mlp_forward, module)
            swapped += 1
    return swapped


@contextmanager
def kept_for_backward() -> Iterator[Callable[[], int]]:
    """Counts what autograd keeps for backward inside the block, each storage once (a tensor
    kept by several ops counts once): ``with kept_for_backward() as kept: ...; kept()`` bytes.
    For the benchmarks and tests that measure these savings."""
    storages: dict[int, int] = {}

    def keep(tensor):
        storage = tensor.untyped_storage()
        storages.setdefault(storage.data_ptr(), storage.nbytes())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(keep, lambda tensor: tensor):
        yield lambda: sum(storages.values())
