"""Chat-template encoding (the default mode), the plain fallback, collate and the wizard's preview."""

from __future__ import annotations

import copy

import pytest

from tunedesk.data import Record, collate, encode_records, generation_prompt, render_preview
from tunedesk.errors import ConfigError


def record(*turns: tuple[str, str], line: int = 1) -> Record:
    messages = [{"role": role, "content": content} for role, content in turns]
    return Record(file="t.jsonl", line=line, messages=messages, raw={})


ONE_TURN = record(("user", "Translate to Chinese: cat"), ("assistant", "猫"))
TWO_TURNS = record(
    ("system", "You translate."),
    ("user", "cat"),
    ("assistant", "猫"),
    ("user", "dog"),
    ("assistant", "狗"),
)


def learned(feature) -> list[int]:
    return [label for label in feature.labels if label != -100]


def test_chat_template_masks_the_prompt_and_learns_answer_plus_eos(demo_tokenizer):
    (feature,), stats = encode_records(
        [ONE_TURN], demo_tokenizer, mode=None, max_len=64, max_src_len=48, is_skip=False
    )
    tok = demo_tokenizer
    expected_prompt = tok.apply_chat_template(
        ONE_TURN.messages[:1], tokenize=False, add_generation_prompt=True
    )
    assert expected_prompt == "<|user|>\nTranslate to Chinese: cat\n<|assistant|>\n"
    prompt_len = feature.labels.count(-100)
    assert tok.decode(feature.input_ids[:prompt_len]) == expected_prompt
    assert feature.labels[:prompt_len] == [-100] * prompt_len
    assert feature.labels[prompt_len:] == feature.input_ids[prompt_len:]
    assert tok.decode(learned(feature)) == "猫</s>"
    assert stats.kept == 1 and stats.truncated == 0


def test_every_assistant_turn_is_learned_and_nothing_else(demo_tokenizer):
    (feature,), _ = encode_records(
        [TWO_TURNS], demo_tokenizer, mode="chat", max_len=128, max_src_len=96, is_skip=False
    )
    tok = demo_tokenizer
    spans, current = [], []
    for token, label in zip(feature.input_ids, feature.labels):
        if label != -100:
            current.append(token)
        elif current:
            spans.append(current)
            current = []
    spans.append(current)
    assert [tok.decode(s) for s in spans if s] == ["猫</s>", "狗</s>"]
    full = tok.apply_chat_template(TWO_TURNS.messages, tokenize=False)
    assert tok.decode(feature.input_ids) == full


def test_plain_fallback_without_a_chat_template(demo_tokenizer):
    tok = copy.deepcopy(demo_tokenizer)
    tok.chat_template = None
    (feature,), _ = encode_records([ONE_TURN], tok, mode=None, max_len=64, max_src_len=48, is_skip=False)
    prompt_len = feature.labels.count(-100)
    assert tok.decode(feature.input_ids[:prompt_len]) == "<s>User: Translate to Chinese: cat\nAssistant: "
    assert tok.decode(learned(feature)) == "猫</s>"


def test_generation_prompt_is_the_training_prompt(demo_tokenizer):
    (feature,), _ = encode_records(
        [ONE_TURN], demo_tokenizer, mode=None, max_len=64, max_src_len=48, is_skip=False
    )
    prompt = generation_prompt(ONE_TURN.messages[:-1], demo_tokenizer, mode=None, max_src_len=48)
    assert prompt == feature.input_ids[: feature.labels.count(-100)]
    glm3 = generation_prompt(ONE_TURN.messages[:-1], demo_tokenizer, mode="glm3", max_src_len=48)
    (glm3_feature,), _ = encode_records(
        [ONE_TURN], demo_tokenizer, mode="glm3", max_len=64, max_src_len=48, is_skip=False
    )
    # ChatGLM3 generates after "<|assistant|>\n", which training learns as part of the target
    assert glm3 == glm3_feature.input_ids[: len(glm3)]
    assert demo_tokenizer.decode(glm3).endswith("<|assistant|>\n")


def test_chat_truncation_keeps_the_generation_prompt_and_is_skip_counts(demo_tokenizer):
    long_question = record(("user", "cat " * 80), ("assistant", "猫 " * 30), line=5)
    short = record(("user", "dog"), ("assistant", "狗"), line=6)
    features, stats = encode_records(
        [long_question, short], demo_tokenizer, mode=None, max_len=40, max_src_len=24, is_skip=False
    )
    cut = features[0]
    assert cut.truncated and len(cut.input_ids) == 40
    prompt_len = cut.labels.count(-100)
    assert prompt_len == 24
    assert demo_tokenizer.decode(cut.input_ids[:prompt_len]).endswith("<|assistant|>\n")
    assert stats.truncated == 1 and stats.skipped == 0 and stats.kept == 2
    kept, skipped_stats = encode_records(
        [long_question, short], demo_tokenizer, mode=None, max_len=40, max_src_len=24, is_skip=True
    )
    assert [f.line for f in kept] == [6]
    assert skipped_stats.skipped == skipped_stats.truncated == 1 and skipped_stats.kept == 1
    assert skipped_stats.max_tokens == len(kept[0].input_ids)


def test_modes_run_on_the_demo_tokenizer(demo_tokenizer):
    # glm learns <sop>狗<eop>, glm2 狗</s>, glm3 <|assistant|>\n狗</s>: the last answer (earlier rounds are
    # context, as in each model's chat()); chat learns every assistant turn
    expected = {"glm": "狗", "glm2": "狗", "glm3": "狗", "chat": "猫狗", None: "猫狗"}
    for mode, answer in expected.items():
        (feature,), _ = encode_records(
            [TWO_TURNS], demo_tokenizer, mode=mode, max_len=96, max_src_len=64, is_skip=False
        )
        assert demo_tokenizer.decode(learned(feature), skip_special_tokens=True).strip() == answer


def test_bad_mode_and_lengths_are_config_errors(demo_tokenizer):
    with pytest.raises(ConfigError, match="unknown --mode"):
        encode_records([ONE_TURN], demo_tokenizer, mode="glm4", max_len=64, max_src_len=32, is_skip=False)
    with pytest.raises(ConfigError, match="no room"):
        encode_records([ONE_TURN], demo_tokenizer, mode=None, max_len=32, max_src_len=32, is_skip=False)


def test_collate_pads_to_the_longest_in_the_batch(demo_tokenizer):
    features, _ = encode_records(
        [ONE_TURN, TWO_TURNS], demo_tokenizer, mode=None, max_len=128, max_src_len=96, is_skip=False
    )
    batch = collate(features, demo_tokenizer.pad_token_id)
    width = max(len(f.input_ids) for f in features)
    short = min(len(f.input_ids) for f in features)
    assert batch["input_ids"].shape == batch["labels"].shape == batch["attention_mask"].shape == (2, width)
    row = 0 if len(features[0].input_ids) == short else 1
    assert batch["input_ids"][row, short:].tolist() == [demo_tokenizer.pad_token_id] * (width - short)
    assert batch["labels"][row, short:].tolist() == [-100] * (width - short)
    assert batch["attention_mask"][row].tolist() == [1] * short + [0] * (width - short)
    assert batch["labels"][row, :short].tolist() == features[row].labels


def test_preview_segments_tell_prompt_answer_special_and_truncated(demo_tokenizer):
    preview = render_preview(ONE_TURN, demo_tokenizer, mode=None, max_len=64, max_src_len=48)
    assert preview["truncated"] is False
    assert (
        "".join(s["text"] for s in preview["segments"])
        == "<|user|>\nTranslate to Chinese: cat\n<|assistant|>\n猫</s>"
    )
    kinds = [(s["kind"], s["text"]) for s in preview["segments"]]
    assert ("answer", "猫") in kinds and ("special", "</s>") in kinds and kinds[0] == ("special", "<|user|>")
    assert preview["tokens"] == len(
        encode_records([ONE_TURN], demo_tokenizer, mode=None, max_len=64, max_src_len=48, is_skip=False)[0][
            0
        ].input_ids
    )

    long_answer = record(
        ("user", "cat"), ("assistant", "one two three four five six seven eight nine ten " * 3)
    )
    cut = render_preview(long_answer, demo_tokenizer, mode="glm2", max_len=20, max_src_len=12)
    assert cut["truncated"] is True and cut["tokens"] == 20
    truncated = [s["text"] for s in cut["segments"] if s["kind"] == "truncated"]
    assert truncated and "ten" in truncated[-1]
    assert cut["segments"][-1] == {"text": "</s>", "kind": "special"}


@pytest.mark.parametrize("mode", [None, "glm2"])
def test_preview_names_the_limit_of_each_cut_and_never_splits_a_character(demo_tokenizer, mode):
    # An emoji is four byte tokens in the demo tokenizer: every cut below falls inside one.
    long_both = record(("user", "🙂" * 12 + " end"), ("assistant", "é🙂" * 20))
    preview = render_preview(long_both, demo_tokenizer, mode=mode, max_len=40, max_src_len=21)
    cuts = [s for s in preview["segments"] if s["kind"] == "truncated"]
    assert [s["limit"] for s in cuts] == ["max_src_len", "max_len"]
    assert preview["cut_by"] == ["max_len", "max_src_len"]
    assert all("\ufffd" not in s["text"] for s in preview["segments"]), preview["segments"]
    # Nothing is lost or doubled: the segments are the sample's text, cut parts included.
    text = "".join(s["text"] for s in preview["segments"])
    assert text.count("🙂") + text.count("é") == 12 + 40

    only_answer = render_preview(
        record(("user", "cat"), ("assistant", "🙂" * 60)), demo_tokenizer, mode=mode, max_len=60, max_src_len=40
    )
    assert [s.get("limit") for s in only_answer["segments"] if s["kind"] == "truncated"] == ["max_len"]
    assert only_answer["cut_by"] == ["max_len"]


def test_chatglm_modes_put_earlier_rounds_in_the_source_like_each_models_chat(demo_tokenizer):
    tok = demo_tokenizer
    expected_sources = {
        "glm": "You translate.\n[Round 1]\n问：cat\n答：猫\n[Round 2]\n问：dog\n答：[gMASK]",
        "glm2": "[gMASK]sopYou translate.\n[Round 1]\n\n问：cat\n\n答：猫\n\n[Round 2]\n\n问：dog\n\n答：",
        "glm3": "[gMASK]sop<|system|>\nYou translate.<|user|>\ncat<|assistant|>\n猫<|user|>\ndog",
    }
    for mode, source in expected_sources.items():
        (feature,), _ = encode_records([TWO_TURNS], tok, mode=mode, max_len=96, max_src_len=64, is_skip=False)
        assert tok.decode(feature.input_ids[: feature.labels.count(-100)]) == source, mode
