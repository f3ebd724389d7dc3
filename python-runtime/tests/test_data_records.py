"""Reading data files: every format parses, every bad line is reported with its line number."""

from __future__ import annotations

import json

import pytest

from tunedesk.data import DataProblem, DataValidationError, load_file, load_records
from tunedesk.errors import DataError

GOOD = {"instruction": "Translate to Chinese: ", "input": "cat", "output": "猫"}


def write_lines(path, rows: list) -> str:
    """rows: dicts (dumped as JSON) or raw bytes/str lines written as they are."""
    with open(path, "wb") as handle:
        for row in rows:
            if isinstance(row, dict):
                row = json.dumps(row, ensure_ascii=False)
            handle.write((row if isinstance(row, bytes) else row.encode("utf-8")) + b"\n")
    return str(path)


def test_original_json_lines(tmp_path):
    path = write_lines(
        tmp_path / "d.json", [GOOD, {"instruction": "用中文怎么说：dog", "input": "", "output": "狗"}]
    )
    records, problems = load_records(path)
    assert problems == []
    assert [r.line for r in records] == [1, 2]
    # chat layout: instruction and input joined by a newline (Alpaca, LLaMA-Factory)
    assert records[0].messages == [
        {"role": "user", "content": "Translate to Chinese: \ncat", "glm_content": "Translate to Chinese: cat"},
        {"role": "assistant", "content": "猫"},
    ]
    # glm modes: instruction + input with no separator, exactly as the original scripts built it
    assert records[0].glm_messages == [
        {"role": "user", "content": "Translate to Chinese: cat"},
        {"role": "assistant", "content": "猫"},
    ]
    assert records[1].messages[0]["content"] == "用中文怎么说：dog"  # no input: no newline
    assert records[0].raw == GOOD and records[0].file == path
    assert load_file(path).format == "instruction-jsonl"


def test_alpaca_array_records_know_the_line_their_object_starts_on(tmp_path):
    text = '[\n  {"instruction": "a", "input": "", "output": "b"},\n  {\n    "instruction": "c",\n    "output": "d",\n    "system": "be brief"\n  }\n]\n'
    path = tmp_path / "alpaca.json"
    path.write_text(text, encoding="utf-8")
    loaded = load_file(path)
    assert loaded.problems == []
    assert [r.line for r in loaded.records] == [2, 3]
    assert loaded.records[1].messages[0] == {"role": "system", "content": "be brief"}
    assert loaded.format == "instruction-json-array"


def test_chat_messages_and_sharegpt(tmp_path):
    chat = {
        "messages": [
            {"role": "system", "content": "You translate."},
            {"role": "user", "content": "cat"},
            {"role": "assistant", "content": "猫"},
            {"role": "user", "content": "dog"},
            {"role": "assistant", "content": "狗"},
        ]
    }
    share = {"conversations": [{"from": "human", "value": "鱼?"}, {"from": "gpt", "value": "fish"}]}
    path = write_lines(tmp_path / "chat.jsonl", [chat, share])
    loaded = load_file(path)
    assert loaded.problems == []
    assert loaded.records[0].messages == chat["messages"]
    assert loaded.records[1].messages == [
        {"role": "user", "content": "鱼?"},
        {"role": "assistant", "content": "fish"},
    ]
    assert loaded.format == "mixed-jsonl"

    array = tmp_path / "share.json"
    array.write_text(json.dumps([share, share], ensure_ascii=False, indent=2), encoding="utf-8")
    shared = load_file(array)
    assert len(shared.records) == 2 and shared.format == "sharegpt-json-array"


def test_history_pairs_become_earlier_turns(tmp_path):
    row = {"instruction": "and dog?", "input": "", "output": "狗", "history": [["cat?", "猫"]]}
    records, _ = load_records(write_lines(tmp_path / "h.jsonl", [row]))
    assert [m["role"] for m in records[0].messages] == ["user", "assistant", "user", "assistant"]


def corrupted_file(tmp_path) -> str:
    """60 lines of good data with one of each kind of damage at known lines."""
    rows: list = [dict(GOOD, input=f"word{i}") for i in range(60)]
    rows[11] = {"instruction": "no answer here", "input": ""}  # line 12: missing field
    rows[29] = dict(GOOD, output="")  # line 30: empty output
    rows[43] = b'{"instruction": "caf\xe9", "input": "", "output": "x"}'  # line 44: Latin-1, not UTF-8
    rows[49] = dict(GOOD, output=42)  # line 50: wrong type
    rows[56] = '{"instruction": "a", "input": "b", "output": "c"'  # line 57: bad JSON
    return write_lines(tmp_path / "broken.json", rows)


def test_corrupted_file_fails_before_training_with_every_line_number(tmp_path):
    path = corrupted_file(tmp_path)
    with pytest.raises(DataValidationError) as caught:
        load_records(path)
    error = caught.value
    assert isinstance(error, DataError) and error.kind == "data"
    assert [p.line for p in error.problems] == [12, 44, 50, 57]  # line 30's empty answer is trained
    reasons = {p.line: p.reason for p in error.problems}
    assert 'missing field "output"' in reasons[12]
    assert load_file(path).empty_answers == [30]
    assert "UTF-8" in reasons[44]
    assert "string" in reasons[50]
    assert "bad JSON" in reasons[57]
    for line in (12, 44, 50, 57):
        assert f"{path}:{line}: " in error.message
    assert "--skip_bad_lines" in error.hint


def test_skip_bad_returns_the_good_records_and_the_problems(tmp_path):
    records, problems = load_records(corrupted_file(tmp_path), skip_bad=True)
    assert len(records) == 56
    assert [p.line for p in problems] == [12, 44, 50, 57]
    assert str(problems[0]).endswith(
        ':12: missing field "output" (expected "instruction", "input", "output")'
    )


def test_error_message_lists_twenty_problems_then_a_count(tmp_path):
    path = write_lines(tmp_path / "many.jsonl", ["not json"] * 45)
    with pytest.raises(DataValidationError) as caught:
        load_records(path)
    assert len(caught.value.problems) == 45
    assert ":20: " in caught.value.message and ":21: " not in caught.value.message
    assert "and 25 more" in caught.value.message


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_file_is_an_error_even_when_skipping(tmp_path, content):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    with pytest.raises(DataValidationError, match="empty"):
        load_records(path, skip_bad=True)


def test_no_valid_sample_left_is_an_error_even_when_skipping(tmp_path):
    path = write_lines(tmp_path / "bad.jsonl", ["{", '{"output": "x"}'])
    with pytest.raises(DataValidationError) as caught:
        load_records(path, skip_bad=True)
    assert [p.line for p in caught.value.problems] == [1, 2]


def test_missing_file_says_so(tmp_path):
    with pytest.raises(DataError, match="no such data file"):
        load_records(tmp_path / "nope.jsonl")


def test_blank_lines_and_a_byte_order_mark_are_tolerated(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\n\n" + json.dumps(GOOD).encode() + b"\n\n"
    )
    records, _ = load_records(path)
    assert [r.line for r in records] == [1, 3]


def test_broken_json_array_reports_the_line_and_cannot_be_skipped(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text(
        '[\n {"instruction": "a", "output": "b"},\n {"instruction": "c" "output": "d"}\n]', encoding="utf-8"
    )
    with pytest.raises(DataValidationError) as caught:
        load_records(path, skip_bad=True)
    assert caught.value.problems[0].line == 3


def test_invalid_utf8_in_an_array_names_the_line(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(
        b'[\n {"instruction": "a", "output": "b"},\n {"instruction": "caf\xe9", "output": "d"}\n]'
    )
    loaded = load_file(path)
    assert [(p.line, "UTF-8" in p.reason) for p in loaded.problems] == [(3, True)]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"messages": []}, "non-empty list"),
        ({"messages": [{"role": "user", "content": "hi"}]}, "last turn must be the assistant"),
        ({"messages": [{"role": "bot", "content": "hi"}]}, "must be one of"),
        (
            {"messages": [{"role": "assistant", "content": "a"}, {"role": "assistant", "content": "b"}]},
            "alternate",
        ),
        ({"messages": [{"role": "user", "content": " "}, {"role": "assistant", "content": "a"}]}, "is empty"),
        (
            {"conversations": [{"from": "human", "value": 3}, {"from": "gpt", "value": "x"}]},
            "must be a string",
        ),
        ({"instruction": "", "input": "", "output": "x"}, "both empty"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_each_invalid_shape_has_a_reason(tmp_path, row, reason):
    raw = json.dumps(row) if not isinstance(row, dict) else row
    loaded = load_file(write_lines(tmp_path / "x.jsonl", [GOOD, raw]))
    assert len(loaded.problems) >= 1
    assert all(p.line == 2 for p in loaded.problems)
    assert any(reason in p.reason for p in loaded.problems), loaded.problems


def test_empty_outputs_are_trained_by_default_and_can_be_dropped(tmp_path):
    """The original scripts trained on empty answers (spo_0.json has 22 'nothing to extract' lines)."""
    path = write_lines(tmp_path / "e.jsonl", [GOOD, dict(GOOD, output="")])
    records, problems = load_records(path)
    assert len(records) == 2 and problems == [] and records[1].messages[-1]["content"] == ""
    assert records[1].empty_answer and load_file(path).empty_answers == [2]
    records, problems = load_records(path, allow_empty_output=True)  # the old flag is still accepted
    assert len(records) == 2
    dropped = load_file(path, drop_empty_output=True)
    assert [r.line for r in dropped.records] == [1] and dropped.empty_answers == [2]


def test_problem_str_is_file_line_reason():
    assert str(DataProblem("a.jsonl", 7, "bad JSON")) == "a.jsonl:7: bad JSON"


def test_spo_0_loads_every_line(spo_path):
    loaded = load_file(spo_path)
    assert len(loaded.records) == 1441 and loaded.problems == []
    assert len(loaded.empty_answers) == 22
    assert len(load_file(spo_path, drop_empty_output=True).records) == 1419


def test_a_pretty_printed_single_object_is_explained(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"data": [GOOD]}, indent=2), encoding="utf-8")
    with pytest.raises(DataValidationError) as caught:
        load_records(path, skip_bad=True)
    assert len(caught.value.problems) == 1 and "JSON array" in caught.value.problems[0].reason


def test_windows_line_endings_parse_and_errors_classify_as_data(tmp_path):
    from tunedesk.errors import classify

    path = tmp_path / "crlf.jsonl"
    path.write_bytes(((json.dumps(GOOD) + "\r\n") * 2 + "{broken\r\n").encode("utf-8"))
    loaded = load_file(path)
    assert len(loaded.records) == 2 and [p.line for p in loaded.problems] == [3]
    with pytest.raises(DataValidationError) as caught:
        load_records(path)
    classified = classify(caught.value)
    assert (
        classified.kind == "data"
        and ":3: bad JSON" in classified.message
        and "--skip_bad_lines" in classified.hint
    )
