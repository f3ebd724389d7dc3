"""Answer masking with the published chat template of every supported family (issue 11).

For each family: the input ids are the ids of the full rendering (plus an appended eos only where
the template leaves the last turn open), and the learned tokens decode to exactly each assistant
message followed by its end-of-turn token.
"""

from __future__ import annotations

import pytest
from helpers.chat_template_fixtures import FAMILIES, family_tokenizer

from tunedesk.data import Record, encode_records, generation_prompt

CONVERSATION = [
    {"role": "user", "content": "Hello"},
    {"role": "assistant", "content": "Paris is the capital."},
    {"role": "user", "content": "猫"},
    {"role": "assistant", "content": "狗 and cat"},
]
# how each published template closes an assistant turn
END_OF_TURN = {
    "llama3": ["<|eot_id|>", "<|eot_id|>"],
    "qwen2": ["<|im_end|>", "<|im_end|>"],
    "qwen2.5": ["<|im_end|>", "<|im_end|>"],
    "qwen3": ["<|im_end|>", "<|im_end|>"],
    "mistral": ["</s>", "</s>"],
    "mistral-legacy": ["</s>", "</s>"],
    "gemma": ["<end_of_turn>", "<end_of_turn>"],
    "phi3": ["<|end|>", "<|end|>"],
    "glm4": ["<|user|>", "<|endoftext|>"],  # GLM-4 stops at the next role marker; eos closes the last
    "chatglm3": ["<|user|>", "</s>"],  # the same, in --mode chat (glm3 mode: see the test at the end)
}


def encode(tokenizer, messages, max_len=512):
    record = Record(file="t.jsonl", line=1, messages=messages, raw={})
    (feature,), _ = encode_records([record], tokenizer, mode=None, max_len=max_len, max_src_len=max_len - 64, is_skip=False)
    return feature


def learned_runs(feature) -> list[list[int]]:
    runs, current = [], []
    for token, label in zip(feature.input_ids, feature.labels):
        if label != -100:
            assert label == token
            current.append(token)
        elif current:
            runs.append(current)
            current = []
    return runs + ([current] if current else [])


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_ids_are_the_full_rendering_and_every_answer_is_learned(family):
    tok = family_tokenizer(family)
    feature = encode(tok, CONVERSATION)
    full = tok.apply_chat_template(CONVERSATION, tokenize=False)
    rendered_ids = tok(full, add_special_tokens=False)["input_ids"]
    appended = feature.input_ids[len(rendered_ids) :]
    assert feature.input_ids[: len(rendered_ids)] == rendered_ids
    assert appended in ([], [tok.eos_token_id])
    runs = [tok.decode(run).lstrip() for run in learned_runs(feature)]  # GLM's "\n" / "\n " before the answer
    answers = [m["content"] for m in CONVERSATION if m["role"] == "assistant"]
    expected = [a + end for a, end in zip(answers, END_OF_TURN[family])]
    if family == "qwen3":  # the template gives the last turn an empty reasoning block, learned with it
        expected[-1] = "<think>\n\n</think>\n\n" + expected[-1]
    assert runs == expected


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_generation_prompt_is_a_prefix_of_the_training_ids(family):
    tok = family_tokenizer(family)
    feature = encode(tok, CONVERSATION)
    prompt = generation_prompt(CONVERSATION[:-1], tok, mode=None, max_src_len=400)
    assert feature.input_ids[: len(prompt)] == prompt
    assert feature.labels[len(prompt) - 1] == -100 and feature.labels[len(prompt)] != -100


def test_phi3_end_token_is_never_split():
    """The old text splitting learned '<|end|>\\n<|' and started the next prompt at 'user|>'."""
    tok = family_tokenizer("phi3")
    feature = encode(tok, CONVERSATION)
    end = tok.convert_tokens_to_ids("<|end|>")
    user = tok.convert_tokens_to_ids("<|user|>")
    assert feature.input_ids.count(user) == 2 and feature.input_ids.count(end) == 4


def test_qwen3_learns_every_turn_and_the_last_reasoning():
    tok = family_tokenizer("qwen3")
    messages = [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "<think>\nsay hi\n</think>\n\nHi"},
        {"role": "user", "content": "猫"},
        {"role": "assistant", "content": "<think>\nanimal\n</think>\n\n狗"},
    ]
    feature = encode(tok, messages)
    runs = [tok.decode(run) for run in learned_runs(feature)]
    # the template drops earlier reasoning: the first turn's learned text is its visible answer only
    assert runs == ["Hi<|im_end|>", "<think>\nanimal\n</think>\n\n狗<|im_end|>"]
    record = Record(file="t.jsonl", line=1, messages=messages, raw={})
    _, stats = encode_records([record], tok, mode=None, max_len=512, max_src_len=448, is_skip=False)
    assert stats.rewritten_turns == 1  # data-check says the first turn's reasoning is not learned


@pytest.mark.parametrize("mode", ["glm2", "glm3"])
def test_chatglm2_and_3_learn_the_answer_and_its_end_as_the_originals(demo_tokenizer, mode):
    """ChatGLM2/3 train in their own layout (verified token for token in test_templates_glm.py):
    glm2 learns answer + eos; glm3 learns <|assistant|>, newline, answer, eos, like GLM3PromptDataSet."""
    record = Record(file="t.jsonl", line=1, messages=CONVERSATION[:2], raw={})
    (feature,), _ = encode_records([record], demo_tokenizer, mode=mode, max_len=128, max_src_len=64, is_skip=False)
    (run,) = learned_runs(feature)
    expected = ("<|assistant|>\n" if mode == "glm3" else "") + "Paris is the capital.</s>"
    assert demo_tokenizer.decode(run) == expected
    prompt = generation_prompt(CONVERSATION[:1], demo_tokenizer, mode=mode, max_src_len=64)
    assert feature.input_ids[: len(prompt)] == prompt


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_tokenizers_without_offsets_mask_the_same_tokens(family, monkeypatch):
    """Slow tokenizers (ChatGLM2/3's and GLM-4's remote code) give no character offsets: the ids must
    still be the full rendering's, and the same tokens learned as with offsets (each end of turn too)."""
    import tunedesk.data.templates_chat as templates_chat

    tok = family_tokenizer(family)
    with_offsets = encode(tok, CONVERSATION)
    monkeypatch.setattr(templates_chat, "_tokenize_with_offsets", lambda tokenizer, text: None)
    without = encode(tok, CONVERSATION)
    assert without.input_ids == with_offsets.input_ids
    assert without.labels == with_offsets.labels
    # a user turn that says exactly what the answer says (and ends in the same special token)
    echo = [{"role": "user", "content": "Paris"}, {"role": "assistant", "content": "Paris"}]
    assert encode(tok, echo).labels == (monkeypatch.undo() or encode(tok, echo).labels)
