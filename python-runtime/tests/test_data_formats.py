"""The data layouts people actually have (issue 11): each is trained as it means, or refused with why."""

from __future__ import annotations

import json
import time

import pytest
from helpers.chat_template_fixtures import family_tokenizer

from tunedesk.data import DataValidationError, encode_records, generation_prompt, load_file, load_records
from tunedesk.data.mode_default import default_mode
from tunedesk.errors import ConfigError
from tunedesk.run_output import refuse_other_run

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def write(tmp_path, rows, name="d.jsonl") -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def encode(path, tokenizer, mode=None, max_len=512, max_src_len=400):
    records, _ = load_records(path)
    return encode_records(records, tokenizer, mode=mode, max_len=max_len, max_src_len=max_src_len, is_skip=False)


def learned_runs(tokenizer, feature) -> list[str]:
    runs, current = [], []
    for token, label in zip(feature.input_ids, feature.labels):
        if label != -100:
            current.append(token)
        elif current:
            runs.append(current)
            current = []
    return [tokenizer.decode(r) for r in runs + ([current] if current else [])]


def test_alpaca_instruction_and_input_are_joined_by_a_newline(tmp_path, demo_tokenizer):
    path = write(tmp_path, [{"instruction": "Find the perimeter.", "input": "Side 1 = 4", "output": "16"}])
    (feature,), _ = encode(path, demo_tokenizer)
    assert "Find the perimeter.\nSide 1 = 4" in demo_tokenizer.decode(feature.input_ids)
    (glm,), _ = encode(path, demo_tokenizer, mode="glm2")  # the originals' layout: glued
    assert "Find the perimeter.Side 1 = 4" in demo_tokenizer.decode(glm.input_ids)
    (record,), _ = load_records(path)
    prompt = generation_prompt(record.messages[:-1], demo_tokenizer, mode="glm2", max_src_len=400)
    assert glm.input_ids[: len(prompt)] == prompt  # predict in glm2 gives the trained prompt


SHAREGPT_TOOLS = {
    "conversations": [
        {"from": "human", "value": "Weather in Paris?"},
        {"from": "function_call", "value": json.dumps({"name": "get_weather", "arguments": {"city": "Paris"}})},
        {"from": "observation", "value": "sunny 21 degrees"},
        {"from": "gpt", "value": "It is sunny."},
    ],
    "tools": json.dumps([WEATHER_TOOL]),
}
OPENAI_TOOLS = {
    "messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
            ],
        },
        {"role": "tool", "content": "sunny 21 degrees"},
        {"role": "assistant", "content": "It is sunny."},
    ],
    "tools": [{"type": "function", "function": WEATHER_TOOL}],
}


@pytest.mark.parametrize("family", ["qwen2.5", "qwen3"])
@pytest.mark.parametrize("row", [SHAREGPT_TOOLS, OPENAI_TOOLS], ids=["sharegpt", "openai"])
def test_tool_calls_train_through_the_template(tmp_path, family, row):
    tok = family_tokenizer(family)
    (feature,), stats = encode(write(tmp_path, [row]), tok)
    runs = learned_runs(tok, feature)
    assert '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>' in runs[0]
    assert runs[-1].endswith("It is sunny.<|im_end|>") and len(runs) == 2
    assert "sunny 21 degrees" not in "".join(runs)  # the tool's result is context, not learned
    assert "get_weather" in tok.decode(feature.input_ids[:20] + feature.input_ids[20:])
    assert stats.tool_samples == 1


def test_tool_calls_are_refused_where_the_template_has_no_tool_support(tmp_path, demo_tokenizer):
    path = write(tmp_path, [{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}, SHAREGPT_TOOLS])
    with pytest.raises(DataValidationError) as caught:
        encode(path, family_tokenizer("llama3"))
    (problem,) = caught.value.problems
    assert problem.line == 2 and "no tool support" in problem.reason
    with pytest.raises(DataValidationError, match="no tool layout"):
        encode(path, demo_tokenizer, mode="glm3")


def test_content_parts_text_joined_media_refused(tmp_path, demo_tokenizer):
    parts = [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}]
    image = [{"type": "text", "text": "what is this?"}, {"type": "image_url", "image_url": {"url": "x.png"}}]
    path = write(
        tmp_path,
        [
            {"messages": [{"role": "user", "content": parts}, {"role": "assistant", "content": "ok"}]},
            {"messages": [{"role": "user", "content": image}, {"role": "assistant", "content": "a cat"}]},
            {"conversations": [{"from": "human", "value": "<image>what?"}, {"from": "gpt", "value": "cat"}], "images": ["a.png"]},
            {"conversations": [{"from": "human", "value": "<image>what?"}, {"from": "gpt", "value": "cat"}]},
        ],
    )
    loaded = load_file(path)
    assert loaded.records[0].messages[0]["content"] == "first\nsecond"
    reasons = {p.line: p.reason for p in loaded.problems}
    assert set(reasons) == {2, 3, 4}
    assert "placeholder <image>" in reasons[4]
    assert "image_url part" in reasons[2] and "text only" in reasons[2]
    assert "images" in reasons[3]


def test_plain_text_learns_every_token(tmp_path, demo_tokenizer):
    (feature,), stats = encode(write(tmp_path, [{"text": "Paris is the capital of France."}]), demo_tokenizer)
    assert demo_tokenizer.decode(feature.input_ids) == "<s>Paris is the capital of France.</s>"
    assert feature.labels[0] == -100 and feature.labels[1:] == feature.input_ids[1:]
    assert stats.text_samples == 1


@pytest.mark.parametrize("family", ["gemma", "mistral-legacy"])
def test_system_is_folded_where_the_template_rejects_it(tmp_path, family):
    tok = family_tokenizer(family)
    row = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi"}]}
    (feature,), stats = encode(write(tmp_path, [row]), tok)
    assert stats.folded_system == 1
    assert "Be brief.\n\nHello" in tok.decode(feature.input_ids)
    prompt = generation_prompt(row["messages"][:-1], tok, mode=None, max_src_len=400)
    assert feature.input_ids[: len(prompt)] == prompt  # predict folds it the same way


def test_system_is_rendered_by_a_template_that_takes_it(tmp_path):
    """Mistral-7B-Instruct-v0.2's template as published now puts the system text in the first [INST]
    itself: nothing is folded (the original v0.2 template rejected it: the test above)."""
    tok = family_tokenizer("mistral")
    row = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi"}]}
    (feature,), stats = encode(write(tmp_path, [row]), tok)
    assert stats.folded_system == 0
    assert tok.decode(feature.input_ids) == "<s> [INST] Be brief.\n\nHello [/INST] Hi</s>"
    learned = [t for t, label in zip(feature.input_ids, feature.labels) if label != -100]
    assert tok.decode(learned) == " Hi</s>"


def test_preference_data_is_refused_before_training(tmp_path):
    dpo = {"prompt": "q", "chosen": "good", "rejected": "bad"}
    kto = {"prompt": "q", "completion": "a", "label": False}
    for row, word in ((dpo, "preference pair"), (kto, "KTO")):
        path = write(tmp_path, [row, row])
        with pytest.raises(DataValidationError) as caught:
            load_records(path, skip_bad=True)  # skipping cannot turn preference data into SFT data
        assert word in caught.value.problems[0].reason and "supervised fine-tuning only" in caught.value.problems[0].reason
        assert "--skip_bad_lines" not in caught.value.hint


def test_list_answers_are_refused_for_training(tmp_path):
    path = write(tmp_path, [{"instruction": "q", "input": "", "output": ["a", "b"]}])
    (problem,) = load_file(path).problems
    assert "several reference answers" in problem.reason and "predict --file" in problem.reason


def test_skip_bad_lines_is_not_suggested_when_nothing_would_remain(tmp_path):
    with pytest.raises(DataValidationError) as caught:
        load_records(write(tmp_path, [{"instruction": "q"}, {"instruction": "r"}]))
    assert "--skip_bad_lines" not in caught.value.hint and "nothing" in caught.value.hint


def test_a_huge_sample_is_cut_before_tokenizing(tmp_path, demo_tokenizer):
    path = write(tmp_path, [{"instruction": "summarise", "input": "word " * 2_000_000, "output": "ok"}])
    began = time.perf_counter()
    (feature,), stats = encode(path, demo_tokenizer, max_len=64, max_src_len=48)
    assert time.perf_counter() - began < 10
    assert len(feature.input_ids) <= 64 and stats.truncated == 1 and stats.cut_before_tokenizing == 1
    assert demo_tokenizer.decode(learned_ids(feature)) == "ok</s>"


def learned_ids(feature):
    return [t for t in feature.labels if t != -100]


def test_chatglm2_and_3_default_to_their_own_mode(tmp_path):
    for generation in (2, 3):
        folder = tmp_path / f"g{generation}"
        folder.mkdir()
        (folder / "tunedesk_chatglm.json").write_text(json.dumps({"generation": generation}))
        mode, note = default_mode(None, folder)
        assert mode == f"glm{generation}" and f"--mode glm{generation}" in note
        assert default_mode("chat", folder) == ("chat", None)
    assert default_mode(None, tmp_path) == (None, None)


def test_output_dir_with_another_run_is_refused(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text("{}")  # the app writes this before launching: not a run yet
    refuse_other_run(str(run), None)
    (run / "events.jsonl").write_text('{"type": "run_started"}\n')
    (run / "checkpoints" / "step-000004").mkdir(parents=True)
    with pytest.raises(ConfigError) as caught:
        refuse_other_run(str(run), None)
    assert "already holds another run" in caught.value.message
    assert "--resume_from" in caught.value.hint and "step-000004" in caught.value.hint and "new --output_dir" in caught.value.hint
    refuse_other_run(str(run), str(run / "checkpoints" / "step-000004"))  # resuming it is fine


def test_predict_file_takes_list_answers_as_several_references(tmp_path):
    from pathlib import Path

    from tunedesk import predict

    path = Path(write(tmp_path, [{"instruction": "query for:", "input": "doc", "output": ["q1", "q2"]}], "d2q.json"))
    ((messages, references, line),) = predict.read_prompts(path)
    assert references == ["q1", "q2"] and line == 1 and messages[-1]["content"] == "query for:\ndoc"
    assert messages[-1]["glm_content"] == "query for:doc"  # glm modes predict in the originals' layout


def test_skip_bad_lines_counts_lines_and_leaves_out_samples_the_layout_refuses(tmp_path):
    from tunedesk.data.records import bad_line_count

    plain = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
    records, _ = load_records(write(tmp_path, [plain, SHAREGPT_TOOLS]))
    features, stats = encode_records(
        records, family_tokenizer("llama3"), mode=None, max_len=128, max_src_len=64, is_skip=False, skip_bad=True
    )
    assert [f.line for f in features] == [1] and [p.line for p in stats.refused] == [2]
    assert "refused" not in stats.as_dict()
    two_problems = load_file(write(tmp_path, [plain, {"instruction": 1, "output": 2}], "two.jsonl")).problems
    assert len(two_problems) == 2 and bad_line_count(two_problems) == 1
