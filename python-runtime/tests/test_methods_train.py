"""Each method trains the intended parameters and nothing else (real trainer, tiny model, CPU)."""

from __future__ import annotations

import os

import pytest
import torch
from helpers.trainer_fixtures import base_args, metric_losses, read_events
from transformers import AutoModelForCausalLM

from tunedesk import train as train_module
from tunedesk.events import validate_event

DEMO_DATA = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "resources",
    "demo",
    "train.jsonl",
)


@pytest.fixture(scope="module")
def assets(demo_model_dir, glm_demo_model_dir):
    """The embedded demo models (conftest) and the demo data: what a newcomer trains first."""
    return {"llama": demo_model_dir, "glm": glm_demo_model_dir, "data": DEMO_DATA}


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def train(monkeypatch, args):
    """Run `train` in-process and keep the prepared model, to compare parameters afterwards."""
    captured = {}
    original = train_module.setup

    def keep(*a, **k):
        captured["prep"] = original(*a, **k)
        return captured["prep"]

    monkeypatch.setattr(train_module, "setup", keep)
    assert train_module.main(args) == 0
    return captured["prep"]


def base_state(model_dir):
    return AutoModelForCausalLM.from_pretrained(model_dir).state_dict()


def cpu_state(module):
    """State dict on the CPU, so the comparison also works when training ran on a GPU."""
    return {name: tensor.detach().cpu() for name, tensor in module.state_dict().items()}


def assert_loss_falls(events, by):
    losses = metric_losses(events)
    first, last = sum(losses[:2]) / 2, sum(losses[-2:]) / 2
    assert last < first - by, f"loss did not fall by {by}: {losses}"


def assert_valid_stream(events):
    for event in events:
        validate_event(event)
    assert events[0]["type"] == "run_started" and events[-1]["type"] == "run_finished"
    assert events[-1]["status"] == "completed"


def test_lora_trains_adapter_only(assets, tmp_path, monkeypatch):
    out = str(tmp_path / "run")
    prep = train(
        monkeypatch,
        base_args(
            assets["llama"],
            assets["data"],
            out,
            "--train_type",
            "lora",
            "--learning_rate",
            "5e-3",
            "--max_steps",
            "16",
            "--lora_dropout",
            "0",
        ),
    )
    events = read_events(out)
    assert_valid_stream(events)
    assert_loss_falls(events, 1.0)
    base = cpu_state(prep.model.get_base_model())
    original = base_state(assets["llama"])
    lora_tensors = [name for name in base if "lora_" in name]
    assert lora_tensors, "no LoRA tensors were added"
    for name, tensor in original.items():
        wrapped = (
            name.replace(".weight", ".base_layer.weight")
            if name.replace(".weight", ".base_layer.weight") in base
            else name
        )
        assert torch.equal(base[wrapped], tensor), f"base weight {name} changed under LoRA"
    trained_b = [t for n, t in base.items() if "lora_B" in n]
    assert any(t.abs().sum() > 0 for t in trained_b), "LoRA B matrices never moved from zero"
    started = events[0]
    assert 0 < started["trainable_params"] < started["total_params"]
    assert set(started["method_detail"]["target_modules"]) >= {"q_proj", "v_proj"}


def test_freeze_changes_only_the_chosen_layers(assets, tmp_path, monkeypatch):
    out = str(tmp_path / "run")
    prep = train(
        monkeypatch,
        base_args(
            assets["llama"],
            assets["data"],
            out,
            "--train_type",
            "freeze",
            "--freeze_module_name",
            "layers.1.",
            "--learning_rate",
            "1e-2",
            "--max_steps",
            "16",
        ),
    )
    events = read_events(out)
    assert_valid_stream(events)
    assert_loss_falls(events, 1.0)
    original = base_state(assets["llama"])
    trained = cpu_state(prep.model)
    changed = {name for name, tensor in original.items() if not torch.equal(trained[name], tensor)}
    assert changed, "nothing was trained"
    assert all("layers.1." in name for name in changed), f"frozen tensors changed: {changed}"
    assert all(torch.equal(trained[n], t) for n, t in original.items() if "layers.1." not in n)


def test_trainable_layers_picks_the_last_blocks(assets, tmp_path, monkeypatch):
    out = str(tmp_path / "run")
    prep = train(
        monkeypatch,
        base_args(
            assets["glm"],
            assets["data"],
            out,
            "--train_type",
            "freeze",
            "--trainable_layers",
            "1",
            "--max_steps",
            "2",
        ),
    )
    trainable = {n for n, p in prep.model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith("model.layers.1.") for n in trainable)
    assert read_events(out)[0]["method_detail"]["trainable_fragments"] == ["model.layers.1."]


def test_full_training_may_change_everything(assets, tmp_path, monkeypatch):
    out = str(tmp_path / "run")
    prep = train(
        monkeypatch,
        base_args(
            assets["llama"],
            assets["data"],
            out,
            "--train_type",
            "all",
            "--learning_rate",
            "5e-3",
            "--max_steps",
            "12",
        ),
    )
    events = read_events(out)
    assert_valid_stream(events)
    assert_loss_falls(events, 1.5)
    assert events[0]["trainable_params"] == events[0]["total_params"]
    original = base_state(assets["llama"])
    trained = cpu_state(prep.model)
    assert not torch.equal(
        trained["model.layers.0.self_attn.q_proj.weight"], original["model.layers.0.self_attn.q_proj.weight"]
    )


@pytest.mark.parametrize(("family", "projection"), [("llama", "false"), ("glm", "true")])
def test_ptuning_v2_prefix_on_every_layer_base_frozen(assets, tmp_path, monkeypatch, family, projection):
    out = str(tmp_path / "run")
    prep = train(
        monkeypatch,
        base_args(
            assets[family],
            assets["data"],
            out,
            "--train_type",
            "ptuning",
            "--pre_seq_len",
            "4",
            "--prefix_projection",
            projection,
            "--learning_rate",
            "5e-2",
            "--max_steps",
            "16",
            "--gradient_checkpointing",
        ),
    )
    events = read_events(out)
    assert_valid_stream(events)
    assert_loss_falls(events, 0.5)
    model = prep.model
    assert type(model.peft_config["default"]).__name__ == "PrefixTuningConfig"
    assert model.peft_config["default"].prefix_projection is (projection == "true")  # "false" is false
    text = model.config
    layers, kv_heads = text.num_hidden_layers, text.num_key_value_heads
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // text.num_attention_heads
    # v2: one key and one value per layer for each virtual token (through an MLP with projection).
    encoder = model.prompt_encoder["default"]
    width = encoder.transform[-1].out_features if projection == "true" else encoder.embedding.weight.shape[1]
    assert width == layers * 2 * kv_heads * head_dim
    original = base_state(assets[family])
    base = cpu_state(model.get_base_model())
    assert all(torch.equal(base[name], tensor) for name, tensor in original.items())


def test_ptuning_v1_adds_parameters_at_the_input_embeddings_only(assets, tmp_path, monkeypatch):
    out = str(tmp_path / "run")
    prep = train(
        monkeypatch,
        base_args(
            assets["llama"],
            assets["data"],
            out,
            "--train_type",
            "ptuning",
            "--ptuning_version",
            "1",
            "--pre_seq_len",
            "4",
            "--learning_rate",
            "5e-2",
            "--max_steps",
            "16",
        ),
    )
    events = read_events(out)
    assert_valid_stream(events)
    assert_loss_falls(events, 0.5)
    model = prep.model
    assert type(model.peft_config["default"]).__name__ == "PromptEncoderConfig"
    hidden = model.config.hidden_size
    # v1: the virtual tokens live in the input-embedding space (hidden size), not per layer.
    assert model.prompt_encoder["default"].embedding.weight.shape == (4, hidden)
    prompt = model.get_prompt(batch_size=2)
    assert prompt.shape == (2, 4, hidden)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all(n.startswith("prompt_encoder.") for n in trainable)
    original = base_state(assets["llama"])
    base = cpu_state(model.get_base_model())
    assert all(torch.equal(base[name], tensor) for name, tensor in original.items())


def test_prefix_survives_gradient_checkpointing(assets):
    """transformers 5 drops past_key_values under checkpointing; our read-only prefix cache keeps it."""
    from tunedesk.config import TrainConfig
    from tunedesk.methods.ptuning import apply_ptuning

    results = {}
    for checkpointing in (False, True):
        torch.manual_seed(0)
        model, _ = apply_ptuning(
            AutoModelForCausalLM.from_pretrained(assets["llama"]), TrainConfig(pre_seq_len=4)
        )
        if checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.train()
        ids = torch.tensor([[5, 6, 7, 8, 9, 10]])
        loss = model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=ids).loss
        loss.backward()
        grad = model.prompt_encoder["default"].embedding.weight.grad
        results[checkpointing] = (loss.item(), grad.clone())
    assert results[True][0] == pytest.approx(results[False][0], rel=1e-6)
    assert results[True][1].abs().sum() > 0
    assert torch.allclose(results[True][1], results[False][1], atol=1e-6)


def test_lora_accepts_the_original_chatglm_module_names_on_native_glm(assets):
    from tunedesk.methods.layers import linear_module_names
    from tunedesk.methods.lora import resolve_targets

    model = AutoModelForCausalLM.from_pretrained(assets["glm"])
    targets = resolve_targets(
        ["query_key_value", "dense_h_to_4h", "dense_4h_to_h", "dense"], linear_module_names(model)
    )
    assert targets == ["q_proj", "k_proj", "v_proj", "gate_up_proj", "down_proj", "o_proj"]


def test_freeze_names_that_match_nothing_fail_with_a_config_error(assets, tmp_path):
    out = tmp_path / "run"
    code = train_module.main(
        base_args(
            assets["llama"],
            assets["data"],
            str(out),
            "--train_type",
            "freeze",
            "--freeze_module_name",
            "layers.27.",
            "--max_steps",
            "1",
        )
    )
    assert code == 1
    finished = read_events(str(out))[-1]
    assert finished["error"]["kind"] == "config"
    assert (
        "model.layers.0." in finished["error"]["message"]
        and "--trainable_layers" in finished["error"]["hint"]
    )
