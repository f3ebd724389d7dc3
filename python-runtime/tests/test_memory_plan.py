"""--gradient_checkpointing auto: on only where the memory estimate is tight."""

from __future__ import annotations

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

from tunedesk.config import TrainConfig
from tunedesk.memory_plan import CPU_RUNTIME_BYTES, TIGHT_SHARE, choose_checkpointing, estimate_bytes

CPU = torch.device("cpu")
GIB = 1024**3


def tiny():
    config = Qwen2Config(
        vocab_size=128, hidden_size=64, intermediate_size=192, num_hidden_layers=3, num_attention_heads=4,
        num_key_value_heads=1, max_position_embeddings=128,
    )  # fmt: skip
    return Qwen2ForCausalLM(config)


def test_the_default_is_auto():
    assert TrainConfig(train_path="x", model_name_or_path="y").gradient_checkpointing is None


def test_estimate_counts_weights_optimizer_activations_and_the_cpu_runtime():
    model = tiny()
    for name, param in model.named_parameters():
        param.requires_grad = "q_proj" in name  # only q_proj trains
    parts = estimate_bytes(model, tokens=1000, compute_bytes=2, device_type="cpu")
    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert parts["weights"] == 4 * params
    assert parts["gradients_and_adamw"] == 12 * trainable
    # per layer and token: attention 2h+4q+4kv+h = 128+256+64+64, gated MLP 2h+8f = 128+1536, norms 4h = 256
    assert parts["activations"] == 3 * (512 + 1664 + 256) * 1000
    assert parts["runtime"] == CPU_RUNTIME_BYTES
    fp32 = estimate_bytes(model, tokens=1000, compute_bytes=4, device_type="cuda")
    assert fp32["activations"] == 2 * parts["activations"] and "runtime" not in fp32


def test_on_when_the_estimate_is_tight_off_when_it_fits():
    model = tiny()
    total = sum(estimate_bytes(model, 4096, 2, "cpu").values())
    tight = choose_checkpointing(model, 4096, 2, CPU, free=int(total / TIGHT_SHARE) - 1)
    assert tight.on and "memory is the limit" in tight.reason
    roomy = choose_checkpointing(model, 4096, 2, CPU, free=int(total / TIGHT_SHARE) + GIB)
    assert not roomy.on and "fits without it" in roomy.reason
    # More tokens per micro-batch tip the same free memory over.
    assert choose_checkpointing(model, 4096 * 400, 2, CPU, free=int(total / TIGHT_SHARE) + GIB).on


def test_no_reading_keeps_it_off():
    choice = choose_checkpointing(tiny(), 4096, 2, CPU, free=None)
    assert not choice.on and "no memory estimate" in choice.reason
