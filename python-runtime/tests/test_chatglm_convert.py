"""ChatGLM2/3 -> native glm: the converted model computes what the original architecture computes."""

from __future__ import annotations

import json

import pytest
import torch
from helpers.chatglm_helpers import (
    chatglm_config,
    corpus_lines,
    random_state_dict,
    reference_logits,
    train_sp_model,
    write_checkpoint,
)

from tunedesk.chatglm.convert import METADATA_FILE, import_chatglm
from tunedesk.errors import ConfigError

VOCAB = 448  # padded_vocab_size: 420 SentencePiece pieces + 9 special tokens, rounded up


@pytest.fixture(scope="module")
def sp_model(tmp_path_factory):
    return train_sp_model(tmp_path_factory.mktemp("sp") / "tokenizer.model", corpus_lines())


def _native_logits(out_dir, input_ids):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(out_dir), dtype=torch.float32)  # no trust_remote_code
    assert type(model).__name__ == "GlmForCausalLM"
    model.eval()
    with torch.no_grad():
        return model(input_ids=input_ids).logits.double()


CASES = {
    # name: (generation, config overrides, modeling_chatglm.py marker, expected rope mode)
    "chatglm2": (2, {}, "", "positions"),
    "chatglm3": (3, {}, "", "theta"),
    "chatglm3-32k": (3, {"rope_ratio": 50}, "        base = base * self.rope_ratio\n", "theta"),
    "chatglm2-32k": (
        2,
        {"rope_ratio": 4},
        "        seq_idx = torch.arange(seq_len) / self.rope_ratio\n",
        "positions",
    ),
    "multi-head": (
        2,
        {"multi_query_attention": False, "num_attention_heads": 4, "kv_channels": 16},
        "",
        "positions",
    ),
    "4-groups": (3, {"num_attention_heads": 8, "multi_query_group_num": 4, "kv_channels": 8}, "", "theta"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_converted_logits_match_the_original_architecture(case, tmp_path, sp_model):
    generation, overrides, modeling, rope_mode = CASES[case]
    config = chatglm_config(generation, VOCAB, **overrides)
    sd = random_state_dict(config, seed=len(case))
    src = write_checkpoint(tmp_path / "src", config, sd, sp_model, generation, modeling_text=modeling)

    summary = import_chatglm(src, tmp_path / "out")

    assert summary.generation == generation
    assert summary.rope["mode"] == rope_mode
    input_ids = torch.randint(0, VOCAB, (2, 24), generator=torch.Generator().manual_seed(1))
    expected = reference_logits(config, sd, input_ids, rope_mode)
    actual = _native_logits(tmp_path / "out", input_ids)
    assert torch.allclose(actual, expected, atol=2e-4, rtol=1e-4), (actual - expected).abs().max()


def test_rope_ratio_matters_so_the_test_above_can_fail(tmp_path, sp_model):
    """Guards the rope tests: with the wrong rope reading the logits must differ."""
    config = chatglm_config(3, VOCAB, rope_ratio=50)
    sd = random_state_dict(config)
    input_ids = torch.arange(40).unsqueeze(0)
    theta = reference_logits(config, sd, input_ids, "theta")
    positions = reference_logits(config, sd, input_ids, "positions")
    assert (theta - positions).abs().max() > 1e-2


def test_import_states_what_it_converted_and_writes_a_native_folder(tmp_path, sp_model):
    config = chatglm_config(3, VOCAB, pre_seq_len=8)
    sd = random_state_dict(config)
    sd["transformer.prefix_encoder.embedding.weight"] = torch.zeros(8, 2 * 2 * 2 * 16)
    src = write_checkpoint(tmp_path / "src", config, sd, sp_model, 3, shards=3, bin_format=True)

    summary = import_chatglm(src, tmp_path / "out")

    out = tmp_path / "out"
    native_config = json.loads((out / "config.json").read_text())
    assert native_config["model_type"] == "glm" and "auto_map" not in native_config
    assert not list(out.glob("*.py")), "no remote code travels into the native folder"
    assert (out / "MODEL_LICENSE").is_file()
    assert sorted(p.name for p in out.glob("*.safetensors")) == [
        f"model-0000{i}-of-00003.safetensors" for i in (1, 2, 3)
    ]
    layer_tensors = 2 * (3 * 2 + 5)  # per layer: q,k,v weight+bias, o, gate_up, down, two norms
    assert summary.native_tensors == 3 + layer_tensors
    assert summary.source_tensors == len(sd)
    assert sorted(summary.skipped_tensors) == [
        "transformer.prefix_encoder.embedding.weight",
        "transformer.rotary_pos_emb.inv_freq",
    ]
    expected_params = sum(
        t.numel() for k, t in sd.items() if "prefix_encoder" not in k and "inv_freq" not in k
    )
    assert summary.parameters == expected_params
    assert summary.special_tokens["<|observation|>"] == 420 + 8
    assert summary.eos_token_ids == [2, 420 + 6, 420 + 8]
    assert any("P-Tuning v2" in note for note in summary.notes)
    stored = json.loads((out / METADATA_FILE).read_text())
    assert stored["format"] == "tunedesk-chatglm-import" and stored["parameters"] == expected_params
    assert json.loads((out / "generation_config.json").read_text())["eos_token_id"] == [2, 426, 428]


def test_chatglm_6b_is_refused_with_the_legacy_hint(tmp_path):
    src = tmp_path / "chatglm-6b"
    src.mkdir()
    (src / "config.json").write_text(
        json.dumps({"model_type": "chatglm", "position_encoding_2d": True, "vocab_size": 130528})
    )
    with pytest.raises(ConfigError) as err:
        import_chatglm(src, tmp_path / "out")
    assert "legacy-env" in err.value.hint and "4.27" in err.value.hint
    assert not (tmp_path / "out").exists()


def test_a_failed_import_leaves_nothing_at_the_target(tmp_path, sp_model, monkeypatch):
    config = chatglm_config(2, VOCAB)
    src = write_checkpoint(tmp_path / "src", config, random_state_dict(config), sp_model, 2, shards=2)
    from tunedesk.chatglm import convert

    real_load = convert.load_shard
    calls = []

    def interrupted_after_first_shard(path):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt  # what Ctrl+C (and our SIGTERM handler) raise mid-conversion
        return real_load(path)

    monkeypatch.setattr(convert, "load_shard", interrupted_after_first_shard)
    with pytest.raises(KeyboardInterrupt):
        import_chatglm(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["src"], "the temporary folder is removed too"


def test_existing_target_needs_force_and_is_replaced_whole(tmp_path, sp_model):
    config = chatglm_config(2, VOCAB)
    src = write_checkpoint(tmp_path / "src", config, random_state_dict(config), sp_model, 2)
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("previous content")
    with pytest.raises(ConfigError, match="already exists"):
        import_chatglm(src, out)
    import_chatglm(src, out, force=True)
    assert not (out / "old.txt").exists() and (out / "model.safetensors").is_file()


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"quantization_bit": 4}, "quantized"),
        ({"rmsnorm": False, "add_bias_linear": True}, "add_bias_linear"),
    ],
)
def test_unsupported_variants_are_refused_with_every_reason(tmp_path, sp_model, overrides, words):
    config = chatglm_config(2, VOCAB, **overrides)
    src = write_checkpoint(tmp_path / "src", config, random_state_dict(chatglm_config(2, VOCAB)), sp_model, 2)
    with pytest.raises(ConfigError, match=words):
        import_chatglm(src, tmp_path / "out")


def test_unknown_tensors_are_refused_by_name(tmp_path, sp_model):
    config = chatglm_config(2, VOCAB)
    sd = random_state_dict(config)
    sd["base_model.model.lora_A.weight"] = torch.zeros(2, 2)
    src = write_checkpoint(tmp_path / "src", config, sd, sp_model, 2)
    with pytest.raises(ConfigError, match="lora_A"):
        import_chatglm(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_half_precision_weights_stay_half(tmp_path, sp_model):
    config = chatglm_config(2, VOCAB, torch_dtype="float16")
    sd = {k: v.half() for k, v in random_state_dict(config).items()}
    src = write_checkpoint(tmp_path / "src", config, sd, sp_model, 2)
    summary = import_chatglm(src, tmp_path / "out")
    assert summary.dtype == "float16"
    assert json.loads((tmp_path / "out" / "config.json").read_text())["dtype"] == "float16"
    from safetensors import safe_open

    with safe_open(str(tmp_path / "out" / "model.safetensors"), "pt") as weights:
        assert weights.get_tensor("model.layers.0.self_attn.q_proj.weight").dtype == torch.float16
    tokenizer_config = json.loads((tmp_path / "out" / "tokenizer_config.json").read_text())
    assert (
        tokenizer_config["tokenizer_class"] == "PreTrainedTokenizerFast"
        and tokenizer_config["split_special_tokens"]
    )


def test_a_killed_import_leaves_a_temporary_that_the_next_import_removes(tmp_path, sp_model):
    import subprocess
    import sys

    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(finished.stdout)
    stale = tmp_path / f".out.tmp-import-{dead_pid}"
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"half written")
    config = chatglm_config(2, VOCAB)
    src = write_checkpoint(tmp_path / "src", config, random_state_dict(config), sp_model, 2)
    import_chatglm(src, tmp_path / "out")
    assert not stale.exists() and (tmp_path / "out" / "config.json").is_file()


def test_generation_can_be_forced_when_nothing_tells(tmp_path, sp_model):
    config = chatglm_config(2, VOCAB, _name_or_path="", rope_ratio=8)
    src = write_checkpoint(tmp_path / "src", config, random_state_dict(config), sp_model, 2)
    (src / "tokenization_chatglm.py").unlink()
    (src / "modeling_chatglm.py").unlink()
    assert import_chatglm(src, tmp_path / "as2").rope["rope_type"] == "linear"  # ChatGLM2-32k reading

    summary = import_chatglm(src, tmp_path / "as3", generation=3)

    assert summary.generation == 3 and "<|observation|>" in summary.special_tokens
    assert summary.rope == {
        "rope_type": "default",
        "rope_theta": 80000.0,
        "partial_rotary_factor": 0.5,
        "rope_ratio": 8,
        "mode": "theta",
    }
