"""The lean RMSNorm: transformers' forward values, its gradients, less kept for backward."""

from __future__ import annotations

import copy

import pytest
import torch
from transformers import Qwen2Config, Qwen2ForCausalLM
from transformers.models.qwen2.modeling_qwen2 import Qwen2RMSNorm

from tunedesk.lean_activations import (
    _SwiGLU,
    install_lean_mlps,
    install_lean_norms,
    kept_for_backward,
    lean_rmsnorm,
    share_lora_inputs,
)


def test_matches_transformers_norm_forward_and_backward():
    torch.manual_seed(0)
    norm = Qwen2RMSNorm(48, eps=1e-6)
    with torch.no_grad():
        norm.weight.mul_(torch.rand(48) + 0.5)
    x = torch.randn(3, 7, 48, requires_grad=True)
    x2 = x.detach().clone().requires_grad_(True)
    weight2 = norm.weight.detach().clone().requires_grad_(True)
    upstream = torch.randn(3, 7, 48)
    expected = norm(x)
    (expected * upstream).sum().backward()
    ours = lean_rmsnorm(x2, weight2, 1e-6)
    (ours * upstream).sum().backward()
    assert torch.equal(ours, expected)  # the same ops in the same order
    assert torch.allclose(x2.grad, x.grad, atol=1e-6, rtol=1e-5)
    assert torch.allclose(weight2.grad, norm.weight.grad, atol=1e-5, rtol=1e-5)


def test_under_autocast_returns_the_bf16_the_projection_casts_to():
    torch.manual_seed(1)
    norm = Qwen2RMSNorm(32)
    x = torch.randn(2, 5, 32)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ours = lean_rmsnorm(x, norm.weight, norm.variance_epsilon)
    assert ours.dtype == torch.bfloat16
    assert torch.equal(ours, norm(x).to(torch.bfloat16))


def tiny_qwen2():
    config = Qwen2Config(
        vocab_size=97, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=128, attn_implementation="sdpa",
    )  # fmt: skip
    torch.manual_seed(0)
    return Qwen2ForCausalLM(config)


def saved_bytes(model, ids) -> int:
    with kept_for_backward() as kept:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            model(input_ids=ids, labels=ids, use_cache=False).loss.backward()
    return kept()


@pytest.mark.parametrize("model_type, swapped", [("qwen2", 4), ("gpt2", 0)])
def test_installed_model_trains_the_same_and_keeps_less(model_type, swapped):
    model = tiny_qwen2()
    lean = copy.deepcopy(model)
    assert install_lean_norms(lean, model_type) == swapped  # 2 layers x 2 norms; the final norm is kept
    ids = torch.randint(1, 97, (2, 40))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        plain_loss = model(input_ids=ids, labels=ids, use_cache=False).loss
        lean_loss = lean(input_ids=ids, labels=ids, use_cache=False).loss
    assert torch.equal(plain_loss, lean_loss)
    plain_loss.backward()
    lean_loss.backward()
    # The projections' input gradients now add up in bf16 (one more bf16 rounding): the same order
    # as the bf16 matmuls' own error. (Per parameter it would test noise: k_proj's bias gradient is
    # ~0 in exact arithmetic, softmax ignores a per-query constant.)
    plain = torch.cat([p.grad.flatten() for p in model.parameters()])
    ours = torch.cat([p.grad.flatten() for p in lean.parameters()])
    assert (plain - ours).norm() <= 1e-2 * plain.norm()
    if swapped:
        model.zero_grad()
        lean.zero_grad()
        assert saved_bytes(lean, ids) < 0.9 * saved_bytes(model, ids)


def test_lean_mlp_matches_and_keeps_less():
    model = tiny_qwen2()
    lean = copy.deepcopy(model)
    assert install_lean_mlps(lean, "qwen2") == 2
    ids = torch.randint(1, 97, (2, 40))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        plain_loss = model(input_ids=ids, labels=ids, use_cache=False).loss
        lean_loss = lean(input_ids=ids, labels=ids, use_cache=False).loss
    assert torch.equal(plain_loss, lean_loss)  # the same forward ops
    plain_loss.backward()
    lean_loss.backward()
    plain = torch.cat([p.grad.flatten() for p in model.parameters()])
    ours = torch.cat([p.grad.flatten() for p in lean.parameters()])
    assert (plain - ours).norm() <= 1e-2 * plain.norm()
    model.zero_grad()
    lean.zero_grad()
    assert saved_bytes(lean, ids) < saved_bytes(model, ids)
    # fp32 (no autocast): the gradient formula itself, to fp32 rounding
    gate, up = torch.randn(3, 5, requires_grad=True), torch.randn(3, 5, requires_grad=True)
    gate2, up2 = gate.detach().clone().requires_grad_(True), up.detach().clone().requires_grad_(True)
    upstream = torch.randn(3, 5)
    (torch.nn.functional.silu(gate) * up * upstream).sum().backward()
    (_SwiGLU.apply(gate2, up2) * upstream).sum().backward()
    assert torch.allclose(gate.grad, gate2.grad, atol=1e-6) and torch.allclose(up.grad, up2.grad, atol=1e-6)


def test_lora_adapters_share_their_bf16_input_under_autocast():
    from peft import LoraConfig, get_peft_model

    def adapted():
        torch.manual_seed(3)
        model = get_peft_model(
            tiny_qwen2(),
            LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "k_proj", "v_proj"]),
        )
        install_lean_norms(model, "qwen2")
        return model

    model, lean = adapted(), adapted()
    assert share_lora_inputs(lean) == 6  # 2 layers x q, k, v
    ids = torch.randint(1, 97, (2, 40))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        plain_loss = model(input_ids=ids, labels=ids, use_cache=False).loss
        lean_loss = lean(input_ids=ids, labels=ids, use_cache=False).loss
    assert torch.equal(plain_loss, lean_loss)  # bf16 -> fp32 -> bf16 was exact: the same values
    plain_loss.backward()
    lean_loss.backward()
    for (name, a), (_, b) in zip(model.named_parameters(), lean.named_parameters()):
        if a.requires_grad:
            assert torch.allclose(a.grad, b.grad, atol=1e-6, rtol=1e-3), name
    model.zero_grad()
    lean.zero_grad()
    assert saved_bytes(lean, ids) < saved_bytes(model, ids)
