"""Recognising the three ChatGLM generations from files we only read."""

from __future__ import annotations

import json

import pytest
from helpers.chatglm_helpers import CHATGLM_6B

from tunedesk.chatglm.detect import detect_chatglm, import_hint, remote_code_files
from tunedesk.errors import ConfigError
from tunedesk.model_loading import check_model_dir

# THUDM/chatglm3-6b's config.json, abridged.
CHATGLM3_6B = {
    "_name_or_path": "THUDM/chatglm3-6b",
    "model_type": "chatglm",
    "architectures": ["ChatGLMModel"],
    "auto_map": {
        "AutoConfig": "configuration_chatglm.ChatGLMConfig",
        "AutoModel": "modeling_chatglm.ChatGLMForConditionalGeneration",
    },
    "ffn_hidden_size": 13696,
    "kv_channels": 128,
    "multi_query_attention": True,
    "multi_query_group_num": 2,
    "num_layers": 28,
    "padded_vocab_size": 65024,
}


def _write(tmp_path, name, config, files=None):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    for file_name, text in (files or {}).items():
        (folder / file_name).write_text(text)
    return folder


def test_chatglm_6b_is_generation_1(tmp_path):
    info = detect_chatglm(_write(tmp_path, "m", CHATGLM_6B))
    assert info.generation == 1 and info.name == "ChatGLM-6B"
    assert "legacy-env" in import_hint(info)


@pytest.mark.parametrize(
    "name, config, files, generation, evidence",
    [
        (
            "m",
            CHATGLM3_6B,
            {"tokenization_chatglm.py": 'x = ["<|user|>", "<|observation|>"]'},
            3,
            "role tokens",
        ),
        (
            "m",
            CHATGLM3_6B,
            {"tokenization_chatglm.py": 'special_tokens = ["[MASK]", "[gMASK]", "sop"]'},
            2,
            "ChatGLM2",
        ),
        ("m", CHATGLM3_6B, {}, 3, "chatglm3"),  # no tokenizer code: the name tells
        ("chatglm2-6b-32k", {**CHATGLM3_6B, "_name_or_path": ""}, {}, 2, "chatglm2"),
        ("m", {**CHATGLM3_6B, "_name_or_path": ""}, {}, 2, "assumed"),
    ],
)
def test_chatglm2_and_3_are_told_apart(tmp_path, name, config, files, generation, evidence):
    info = detect_chatglm(_write(tmp_path, name, config, files))
    assert info.generation == generation
    assert evidence in " ".join(info.evidence)
    assert "import-chatglm" in import_hint(info)


def test_rope_ratio_meaning_is_read_from_the_modeling_code(tmp_path):
    base = {"modeling_chatglm.py": "        base = base * self.rope_ratio\n"}
    positions = {"modeling_chatglm.py": "        seq_idx = torch.arange(seq_len) / self.rope_ratio\n"}
    assert detect_chatglm(_write(tmp_path, "a", CHATGLM3_6B, base)).rope_mode == "theta"
    assert detect_chatglm(_write(tmp_path, "b", CHATGLM3_6B, positions)).rope_mode == "positions"
    # Without the code: ChatGLM3 scales the base, ChatGLM2 the positions.
    assert detect_chatglm(_write(tmp_path, "c", CHATGLM3_6B)).rope_mode == "theta"
    assert (
        detect_chatglm(_write(tmp_path, "d", {**CHATGLM3_6B, "_name_or_path": "chatglm2-6b"})).rope_mode
        == "positions"
    )


def test_other_models_are_not_chatglm(tmp_path):
    assert detect_chatglm(_write(tmp_path, "llama", {"model_type": "llama", "hidden_size": 8})) is None
    assert detect_chatglm(_write(tmp_path, "glm", {"model_type": "glm", "hidden_size": 8})) is None
    assert detect_chatglm(tmp_path / "missing") is None


def test_a_chatglm_config_without_either_layout_is_explained(tmp_path):
    with pytest.raises(ConfigError, match="neither"):
        detect_chatglm(_write(tmp_path, "m", {"model_type": "chatglm", "hidden_size": 8}))


def test_remote_code_files_follow_auto_map_and_relative_imports(tmp_path):
    folder = _write(
        tmp_path,
        "m",
        CHATGLM_6B,
        {
            "modeling_chatglm.py": "from .configuration_chatglm import ChatGLMConfig\nfrom .quantization import quantize\n",
            "configuration_chatglm.py": "",
            "quantization.py": "import torch\n",
            "tokenization_chatglm.py": "",
            "unrelated_script.py": "",
            "tokenizer_config.json": json.dumps(
                {"auto_map": {"AutoTokenizer": ["tokenization_chatglm.ChatGLMTokenizer", None]}}
            ),
        },
    )
    names = [p.name for p in remote_code_files(folder)]
    assert names == [
        "configuration_chatglm.py",
        "modeling_chatglm.py",
        "tokenization_chatglm.py",
        "quantization.py",
    ]


def test_the_trainer_refuses_chatglm_with_the_right_next_step(tmp_path):
    with pytest.raises(ConfigError) as gen1:
        check_model_dir(str(_write(tmp_path, "a", CHATGLM_6B)))
    assert "ChatGLM-6B" in gen1.value.message and "legacy-env --model" in gen1.value.hint
    with pytest.raises(ConfigError) as gen3:
        check_model_dir(str(_write(tmp_path, "b", CHATGLM3_6B)))
    assert "ChatGLM3-6B" in gen3.value.message and "import-chatglm" in gen3.value.hint
