"""Learning-rate schedule and optimizer parameter groups: small pure functions."""

from __future__ import annotations


def warmup_steps_for(total_steps: int, warmup_ratio: float) -> int:
    """As the original scripts: int(warmup_ratio * total optimizer steps)."""
    return int(warmup_ratio * total_steps)


def lr_factor(step: int, warmup_steps: int, total_steps: int) -> float:
    """Multiplier of the peak LR for optimizer step ``step`` (0-based): linear warm-up, then linear decay.

    Warm-up uses (step+1)/(warmup+1) so the very first step already learns a little; the decay
    reaches 1/(total-warmup) at the last step rather than 0, so no step is wasted.
    """
    if total_steps <= 0:
        return 1.0
    if step < warmup_steps:
        return (step + 1) / (warmup_steps + 1)
    remaining = total_steps - warmup_steps
    return max(0.0, (total_steps - step) / max(1, remaining))


def no_decay(name: str, param) -> bool:
    """Biases and normalisation weights (1-D tensors) are not decayed — decaying a norm's scale hurts."""
    return param.ndim < 2 or name.endswith(".bias") or "norm" in name.lower()


def param_groups(named_params, weight_decay: float) -> list[dict]:
    """AdamW groups: decayed matrices and undecayed biases/norms, trainable parameters only.

    Order follows named_parameters(), which is deterministic: optimizer state saved in a
    checkpoint lines up again on resume.
    """
    decay, plain = [], []
    for name, param in named_params:
        if not param.requires_grad:
            continue
        (plain if no_decay(name, param) else decay).append(param)
    groups = []
    if decay:
        groups.append({"params": decay, "weight_decay": weight_decay})
    if plain:
        groups.append({"params": plain, "weight_decay": 0.0})
    return groups
