"""The embedded demo model: deterministic, small, loadable anywhere, ready for every prompt mode."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tunedesk.demo_model import MARKER, write_demo_model
from tunedesk.errors import ConfigError


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_bytes_twice(demo_model_dir, tmp_path):
    again = write_demo_model(tmp_path / "again", "llama")
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        assert sha256(Path(demo_model_dir) / name) == sha256(again / name), name
    marker = json.loads((again / MARKER).read_text(encoding="utf-8"))
    assert marker["weights_sha256"]["model.safetensors"] == sha256(again / "model.safetensors")


def test_loads_without_remote_code_and_is_small(demo_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    model = AutoModelForCausalLM.from_pretrained(demo_model_dir, use_safetensors=True)
    tokenizer = AutoTokenizer.from_pretrained(demo_model_dir)
    assert isinstance(model, LlamaForCausalLM)
    assert model.config.vocab_size == len(tokenizer)
    assert (Path(demo_model_dir) / "model.safetensors").stat().st_size < 8 * 2**20
    assert sum(p.numel() for p in model.parameters()) < 2_000_000
    assert model.config.pad_token_id == tokenizer.pad_token_id != tokenizer.eos_token_id


def test_glm_family_is_native_glm_with_valid_special_ids(glm_demo_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer, GlmForCausalLM

    model = AutoModelForCausalLM.from_pretrained(glm_demo_model_dir, use_safetensors=True)
    tokenizer = AutoTokenizer.from_pretrained(glm_demo_model_dir)
    assert isinstance(model, GlmForCausalLM)
    assert 0 <= model.config.pad_token_id < model.config.vocab_size  # GlmConfig's default would not be
    assert model.config.eos_token_id == tokenizer.eos_token_id


def test_tokenizer_takes_any_utf8_and_knows_the_chatglm_specials(demo_tokenizer):
    for text in ("猫 and 狗", "Ünïcödé ✓ 🙂", "从未见过的汉字：龘"):
        ids = demo_tokenizer.encode(text, add_special_tokens=False)
        assert demo_tokenizer.decode(ids) == text
        assert demo_tokenizer.unk_token_id not in ids
    for token in ("[gMASK]", "sop", "eop", "<|system|>", "<|user|>", "<|assistant|>", "<pad>", "<s>", "</s>"):
        ids = demo_tokenizer.encode(token, add_special_tokens=False)
        assert len(ids) == 1 and demo_tokenizer.convert_ids_to_tokens(ids) == [token]
    # "sop"/"eop" are special only as whole words, never inside ordinary ones
    assert "eop" not in demo_tokenizer.convert_ids_to_tokens(
        demo_tokenizer.encode("people", add_special_tokens=False)
    )
    assert 500 <= len(demo_tokenizer) <= 2048
    assert demo_tokenizer.chat_template


def test_generates_and_forward_runs(demo_model_dir, demo_tokenizer):
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(demo_model_dir, use_safetensors=True)
    messages = [{"role": "user", "content": "cat"}]
    text = demo_tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    ids = torch.tensor([demo_tokenizer.encode(text, add_special_tokens=False)])
    out = model.generate(ids, max_new_tokens=3, do_sample=False)
    assert out.shape[1] > ids.shape[1]
    loss = model(input_ids=ids, labels=ids).loss
    assert torch.isfinite(loss) and loss.item() > 1.0  # untrained: far from the answers


def test_existing_directory_is_kept_or_refused_without_force(demo_model_dir, tmp_path):
    marker = Path(demo_model_dir) / MARKER
    before = marker.stat().st_mtime_ns
    assert write_demo_model(demo_model_dir, "llama") == Path(demo_model_dir)  # same family: kept as is
    assert marker.stat().st_mtime_ns == before
    with pytest.raises(ConfigError, match="already exists") as caught:
        write_demo_model(demo_model_dir, "glm")
    assert "--force" in caught.value.hint
    other = tmp_path / "not-a-model"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError, match="already exists"):
        write_demo_model(other, "llama")
    assert (other / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_force_replaces_atomically_and_leaves_no_temporary_folder(tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "stale.bin").write_bytes(b"x")
    write_demo_model(out, "llama", force=True)
    assert not (out / "stale.bin").exists() and (out / MARKER).is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_cli_writes_the_model(tmp_path, capsys):
    from tunedesk.demo_model import main

    assert main(["--out", str(tmp_path / "m"), "--family", "glm", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["family"] == "glm" and report["parameters"] > 0
    assert main(["--out", str(tmp_path / "m"), "--family", "llama"]) == 1  # exists, other family, no --force


def test_missing_demo_data_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEDESK_DEMO_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match="demo data not found") as caught:
        write_demo_model(tmp_path / "m", "llama")
    assert "--data_dir" in caught.value.hint
    assert not (tmp_path / "m").exists()
