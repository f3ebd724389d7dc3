"""Ollama Modelfile: the TEMPLATE translated from the chat template renders exactly what transformers
renders (checked with a Go text/template evaluator), stop tokens, parameters, refusals explained."""

from __future__ import annotations

import pytest
from helpers.export_helpers import CHAT_TEMPLATE, make_tokenizer
from helpers.go_template_mini import render

from tunedesk.export import modelfile

LLAMA3 = (
    "{% for message in messages %}{% set content = '<|start_header_id|>' + message['role'] + "
    "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)
CHATML_DEFAULT_SYSTEM = (  # Qwen2.5
    "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + "
    "'<|im_end|>\\n' }}{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a "
    "helpful assistant.<|im_end|>\\n' }}{%- endif %}{%- for message in messages %}{%- if message.role == "
    "'system' and loop.first %}{%- else %}{{- '<|im_start|>' + message.role + '\\n' + message.content + "
    "'<|im_end|>\\n' }}{%- endif %}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
    "{%- endif %}"
)
MISTRAL = (
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] "
    "== 'assistant' %}{{ message['content'] + eos_token }}{% else %}{{ raise_exception('Only user and "
    "assistant roles are supported!') }}{% endif %}{% endfor %}"
)
GEMMA = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
    "{% endif %}{% for message in messages %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}"
    "{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\\n' + "
    "message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}"
    "{{'<start_of_turn>model\\n'}}{% endif %}"
)
QWEN3_LIKE = (  # a final assistant turn gets an empty think block; history turns do not
    "{%- for m in messages %}{%- if m.role == 'assistant' and loop.last %}{{ '<|im_start|>assistant\\n<think>"
    "\\n\\n</think>\\n\\n' + m.content + '<|im_end|>\\n' }}{%- else %}{{ '<|im_start|>' + m.role + '\\n' + "
    "m.content + '<|im_end|>\\n' }}{%- endif %}{%- endfor %}{%- if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{%- endif %}"
)
GLM4 = (
    "[gMASK]<sop>{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
SPECIALS = [
    "[gMASK]",
    "<sop>",
    "<|system|>",
    "<|user|>",
    "<|assistant|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
    "<|im_start|>",
    "<|im_end|>",
]
SPECIALS += ["<start_of_turn>", "<end_of_turn>", "[INST]", "[/INST]"]

CONVERSATIONS = [
    [{"role": "user", "content": "Hello"}],
    [
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "two"},
        {"role": "user", "content": "three"},
    ],
    [{"role": "system", "content": "Be short."}, {"role": "user", "content": "Why?\nSay."}],
]


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    tok = make_tokenizer(tmp_path_factory.mktemp("mf-tok"))
    tok.add_special_tokens({"additional_special_tokens": SPECIALS})
    return tok


class Config:
    max_position_embeddings = 8192
    eos_token_id = None


@pytest.mark.parametrize(
    "name,template,stop",
    [
        ("tunedesk", CHAT_TEMPLATE, []),
        ("llama3", LLAMA3, ["<|eot_id|>"]),
        ("chatml", CHATML_DEFAULT_SYSTEM, ["<|im_end|>"]),
        ("mistral", MISTRAL, []),
        ("gemma", GEMMA, ["<end_of_turn>"]),
        ("glm4", GLM4, ["<|user|>"]),
        ("qwen3-like", QWEN3_LIKE, ["<|im_end|>", "<|im_start|>"]),
    ],
)
def test_template_renders_like_transformers(tokenizer, name, template, stop):
    tokenizer.chat_template = template
    fmt = modelfile.derive_format(tokenizer)
    go = modelfile.go_template(fmt)
    for messages in CONVERSATIONS:
        if messages[0]["role"] == "system" and not fmt.system_supported:
            continue  # HF raises for these; Ollama's template ignores the system message
        expected = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        assert render(go, messages) == expected, (name, messages)
    stops = modelfile.stop_tokens(tokenizer, Config(), fmt)
    assert "</s>" in stops and set(stop) <= set(stops)


def test_gemma_without_system_role_is_said(tokenizer):
    tokenizer.chat_template = GEMMA
    assert modelfile.derive_format(tokenizer).system_supported is False


def test_untranslatable_template_is_explained_not_written(tokenizer, tmp_path):
    tokenizer.chat_template = (
        "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] | upper }}\n{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>{% endif %}"
    )
    record = {"base_model": str(tmp_path / "Base-Model"), "run_id": "run 7", "dtype": "q4_0"}
    info = modelfile.write_modelfile(tmp_path, "model-q4_0.gguf", tokenizer, Config(), record, tmp_path)
    text = (tmp_path / "Modelfile").read_text()
    assert "TEMPLATE" not in text.replace("No TEMPLATE", "")
    assert "not rendered verbatim" in info["template_note"] and info["template"] == "not translated"
    assert "FROM ./model-q4_0.gguf" in text and 'PARAMETER stop "</s>"' in text
    assert info["name"] == "base-model-run-7-q4_0"
    assert info["command"] == f"ollama create base-model-run-7-q4_0 -f {tmp_path / 'Modelfile'}"


def test_modelfile_parameters_from_generation_config(tokenizer, tmp_path):
    tokenizer.chat_template = LLAMA3
    base = tmp_path / "base"
    base.mkdir()
    (base / "generation_config.json").write_text('{"temperature": 0.6, "top_p": 0.9}')
    record = {"base_model": str(base), "run_id": "r1", "dtype": "q8_0"}
    info = modelfile.write_modelfile(tmp_path, "m.gguf", tokenizer, Config(), record, tmp_path / "out")
    text = (tmp_path / "Modelfile").read_text()
    assert info["parameters"] == {"num_ctx": 4096, "temperature": 0.6, "top_p": 0.9}
    assert "PARAMETER temperature 0.6" in text and "PARAMETER num_ctx 4096" in text
    assert 'PARAMETER stop "<|eot_id|>"' in text
    assert text.count('TEMPLATE """') == 1
