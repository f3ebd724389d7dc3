"""The step loss: chunked LM-head CE, token weighting across accumulation, packed rows."""

from __future__ import annotations

import random

import pytest
import torch
import torch.nn.functional as F
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

from tunedesk import loss as loss_module
from tunedesk.data import Feature, collate
from tunedesk.loss import chunked_head, count_learned, linear_cross_entropy, micro_loss_sum
from tunedesk.packing import collate_packed, length_grouped, make_batch, pack_rows


def tiny(family: str):
    shape = dict(
        vocab_size=97,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        pad_token_id=0,
        attn_implementation="sdpa",
    )
    torch.manual_seed(0)
    if family == "qwen2":
        return Qwen2ForCausalLM(Qwen2Config(**shape)).eval()
    return LlamaForCausalLM(LlamaConfig(**shape, tie_word_embeddings=False)).eval()


def samples(count: int, seed: int = 0) -> list[Feature]:
    """Prompt masked, answer learned; lengths 5..40 so batches pad a lot."""
    rng = random.Random(seed)
    out = []
    for line in range(count):
        prompt, answer = rng.randint(2, 20), rng.randint(1, 20)
        ids = [rng.randint(1, 96) for _ in range(prompt + answer)]
        out.append(Feature(ids, [-100] * prompt + ids[prompt:], line + 1, False))
    return out


def test_chunked_cross_entropy_equals_plain_loss_and_gradients(monkeypatch):
    monkeypatch.setattr(loss_module, "CHUNK_ELEMENTS", 97 * 7)  # 7 tokens a chunk: several chunks
    torch.manual_seed(1)
    hidden = torch.randn(30, 16, requires_grad=True)
    weight = torch.randn(97, 16, requires_grad=True)
    targets = torch.randint(0, 97, (30,))
    ours = linear_cross_entropy(hidden, weight, targets) * 0.37
    ours.backward()
    ours_grads = hidden.grad.clone(), weight.grad.clone()
    hidden.grad = weight.grad = None
    plain = F.cross_entropy(hidden @ weight.t(), targets, reduction="sum") * 0.37
    plain.backward()
    assert torch.allclose(ours, plain, rtol=1e-5)
    assert torch.allclose(ours_grads[0], hidden.grad, atol=1e-5)
    assert torch.allclose(ours_grads[1], weight.grad, atol=1e-5)


def test_chunked_head_loss_equals_model_loss():
    model = tiny("qwen2")
    features = samples(6)
    parts = chunked_head(model, "qwen2", "all")
    assert parts is not None
    padded = collate(features, 0)
    learned = count_learned(padded["labels"])
    expected = model(**padded).loss * learned
    batch = make_batch(features, 0, None, with_targets=True)
    assert torch.allclose(micro_loss_sum(model, parts, batch, learned), expected, rtol=1e-5)
    assert chunked_head(model, "qwen2", "ptuning") is None and chunked_head(model, "chatglm", "lora") is None


@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("chunked", [False, True])
def test_step_gradient_is_the_mean_over_all_learned_tokens(packed, chunked):
    """Two micro-batches of very different lengths: the accumulated gradient equals that of the
    mean over every learned token of the step (not the mean of the two micro-batch means)."""
    model = tiny("llama").train()
    features = samples(7, seed=3)
    micro = [features[:2], features[2:]]
    parts = chunked_head(model, "llama", "lora") if chunked else None
    batches = [make_batch(m, 0, 64 if packed else None, with_targets=chunked) for m in micro]
    counts = [
        int(b["learned_targets"].numel()) if chunked else count_learned(b["labels"]) for b in batches
    ]
    assert counts[0] != counts[1]
    for batch, count in zip(batches, counts):
        (micro_loss_sum(model, parts, batch, count) / sum(counts)).backward()
    ours = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad()
    model(**collate(features, 0)).loss.backward()  # one batch: transformers' mean over all learned tokens
    for name, param in model.named_parameters():
        assert torch.allclose(ours[name], param.grad, atol=1e-6, rtol=1e-4), name


@pytest.mark.parametrize("family", ["llama", "qwen2"])
def test_packed_rows_give_every_sample_its_unpacked_token_losses(family):
    model = tiny(family)
    features = samples(9, seed=5)
    batch = collate_packed(features, 0, capacity=60)
    assert batch["input_ids"].shape[0] < len(features)  # really packed
    # use_cache=False: with a cache transformers does not read position restarts as sample boundaries
    logits = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False).logits
    packed_losses = F.cross_entropy(
        logits[:, :-1].reshape(-1, 97), batch["labels"][:, 1:].reshape(-1), reduction="none"
    )
    packed_losses = packed_losses[batch["labels"][:, 1:].reshape(-1) != -100]
    alone = []
    for feature in features:
        ids = torch.tensor([feature.input_ids])
        labels = torch.tensor([feature.labels])
        out = model(input_ids=ids).logits
        token = F.cross_entropy(out[0, :-1], labels[0, 1:], reduction="none")
        alone.append(token[labels[0, 1:] != -100])
    # Same tokens, in the packed order; compare as sorted multisets of per-token losses.
    expected = torch.cat(alone).sort().values
    assert packed_losses.numel() == expected.numel()
    assert torch.allclose(packed_losses.sort().values, expected, atol=1e-5)


def test_pack_rows_first_fit_and_length_grouping():
    rows = pack_rows([50, 10, 40, 30, 70, 5], capacity=80)
    assert sorted(i for row in rows for i in row) == list(range(6))
    assert all(sum([50, 10, 40, 30, 70, 5][i] for i in row) <= 80 for row in rows)
    assert len(rows) == 3
    lengths = [random.Random(i).randint(5, 500) for i in range(64)]
    micro = length_grouped(list(range(64)), lengths, 4)
    assert sorted(i for m in micro for i in m) == list(range(64))
    assert max(lengths[i] for i in micro[0]) == max(lengths)
    padded = sum(len(m) * max(lengths[i] for i in m) for m in micro)
    assert padded < 1.1 * sum(lengths)


def test_bf16_defaults_to_what_the_device_computes_natively():
    from tunedesk.config import TrainConfig, build_parser
    from tunedesk.engines.torch_engine import native_bf16, resolve_precision_default

    unset = TrainConfig(device="cpu")
    assert unset.bf16 is None
    resolve_precision_default(unset)
    assert unset.bf16 is native_bf16(torch.device("cpu"))
    assert build_parser().parse_args(["--bf16", "false"]).bf16 is False
    off = TrainConfig(device="cpu", bf16=False)
    resolve_precision_default(off)
    assert off.bf16 is False
    asked_fp16 = TrainConfig(device="cpu", fp16=True)
    resolve_precision_default(asked_fp16)
    assert asked_fp16.bf16 is False


def test_packed_rows_share_a_few_widths():
    from tunedesk.packing import row_width

    assert row_width(502, 512) == 512  # a nearly full row: the capacity
    assert row_width(300, 512) == 512
    assert row_width(200, 512) == 256  # a short micro-batch is not padded to 512
    assert row_width(40, 512) == 64
    assert row_width(600, 512) == 600  # a sample longer than the capacity keeps its own row
    features = samples(9, seed=5)
    batch = collate_packed(features, 0, capacity=60)
    assert batch["input_ids"].shape[1] == 60
    learned = sum(sum(1 for x in f.labels[1:] if x != -100) for f in features)
    assert int((batch["labels"] != -100).sum()) == learned  # the widened tail learns nothing
