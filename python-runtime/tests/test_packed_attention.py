"""Packed rows attended one sample at a time: the same losses and gradients as every sample alone."""

from __future__ import annotations

import copy

import pytest
import torch
from test_loss_packing import samples, tiny
from transformers import MistralConfig, MistralForCausalLM, Qwen2Config

from tunedesk.data import collate
from tunedesk.loss import chunked_head, count_learned, micro_loss_sum
from tunedesk.packed_attention import NAME, SEGMENTS_KEY, bucket, install_packed_attention, sliding_window
from tunedesk.packing import make_batch


def step_grads(model, loss) -> dict[str, torch.Tensor]:
    model.zero_grad()
    loss.backward()
    return {name: param.grad.clone() for name, param in model.named_parameters() if param.grad is not None}


@pytest.mark.parametrize("family", ["llama", "qwen2"])  # both grouped-query (4 heads, 2 key/value heads)
@pytest.mark.parametrize("checkpointing", [False, True])
def test_packed_rows_train_exactly_as_the_samples_alone(family, checkpointing):
    reference = tiny(family).train()
    ours = copy.deepcopy(reference)
    features = samples(9, seed=5)
    padded = collate(features, 0)
    learned = count_learned(padded["labels"])
    expected_loss = reference(**padded).loss * learned  # padded, unpacked: transformers' own path
    expected = step_grads(reference, expected_loss)

    parts = chunked_head(ours, family, "all")
    assert install_packed_attention(ours, capacity=60) and ours.config._attn_implementation == NAME
    parts.segments = True
    if checkpointing:  # the recomputation in backward must see the same sample layout
        ours.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    batch = make_batch(features, 0, 60, with_targets=True)
    spans = batch[SEGMENTS_KEY].rows
    assert len(spans) < len(features) and sum(len(row) for row in spans) == len(features)  # really packed
    assert any(end < 60 for row in spans for _, end in row[-1:])  # and a padding tail somewhere
    calls = []
    sdpa = torch.nn.functional.scaled_dot_product_attention

    def counted(*args, **kwargs):
        calls.append({**kwargs, "length": args[0].shape[2]})
        return sdpa(*args, **kwargs)

    torch.nn.functional.scaled_dot_product_attention = counted
    try:
        loss = micro_loss_sum(ours, parts, batch, learned)
        got = step_grads(ours, loss)
    finally:
        torch.nn.functional.scaled_dot_product_attention = sdpa
    # One causal call per sample and layer (twice with recomputation), no mask, keys not repeated.
    assert len(calls) == len(features) * 2 * (2 if checkpointing else 1)
    assert all(c["is_causal"] and c.get("attn_mask") is None and c["enable_gqa"] for c in calls)
    assert {c["length"] for c in calls} == {64}  # samples of 5-40 tokens, padded to one bucket
    assert torch.allclose(loss, expected_loss, rtol=1e-5)
    assert got.keys() == expected.keys()
    for name, grad in expected.items():
        assert torch.allclose(got[name], grad, atol=1e-6, rtol=1e-4), name


def test_without_the_layout_the_model_attends_as_before():
    """Evaluation runs padded batches through the model's own forward: sdpa with its mask."""
    reference = tiny("qwen2")
    ours = copy.deepcopy(reference)
    assert install_packed_attention(ours, capacity=60)
    padded = collate(samples(5, seed=2), 0)
    assert torch.equal(ours(**padded).logits, reference(**padded).logits)


def test_left_off_where_a_sample_could_outgrow_a_sliding_window():
    shape = dict(vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, attn_implementation="sdpa")  # fmt: skip
    mistral = MistralForCausalLM(MistralConfig(sliding_window=64, **shape))
    assert sliding_window(mistral.config) == 64
    assert not install_packed_attention(mistral, capacity=65) and mistral.config._attn_implementation == "sdpa"
    assert install_packed_attention(mistral, capacity=64)  # every sample within the window: causal is sliding
    # Qwen2 keeps a window size in its config, used only by layers marked sliding.
    assert sliding_window(Qwen2Config(sliding_window=16, **shape)) is None
    eager = tiny("llama")
    eager.config._attn_implementation = "eager"
    assert not install_packed_attention(eager, capacity=60)


def test_attention_lengths_come_in_a_few_sizes():
    """PyTorch's bf16 CPU flash attention keeps ~3 MB per distinct length it ran backward for."""
    sizes = {bucket(n) for n in range(1, 2049)}
    assert len(sizes) == 4 + 6 + 4
    assert all(bucket(n) >= n and bucket(n) - n < (64 if n <= 256 else 128 if n <= 1024 else 256) for n in range(1, 2049))


@pytest.mark.parametrize("device, compiled, expected", [("cpu", False, True), ("cuda", False, False), ("cpu", True, False)])
def test_the_trainer_installs_it_on_the_cpu_only_and_not_when_compiling(device, compiled, expected):
    from types import SimpleNamespace

    from tunedesk.config import TrainConfig
    from tunedesk.model_adapter import ModelAdapter
    from tunedesk.train import _speed_paths

    model = tiny("qwen2").train()
    logged = []
    engine = SimpleNamespace(name="torch", device=torch.device(device), amp_dtype=None)
    reporter = SimpleNamespace(log=logged.append)
    # Layers compile lazily, at their first call: none runs here (test_torch_compile.py trains).
    config = TrainConfig(train_type="all", max_len=60, packing=True, torch_compile=compiled)
    head, capacity = _speed_paths(config, "qwen2", ModelAdapter(), engine, model, samples(4), reporter)
    assert capacity == 60 and head is not None
    assert head.segments is expected
    assert (model.config._attn_implementation == NAME) is expected
    assert any("one causal call per packed sample" in line for line in logged) is expected
