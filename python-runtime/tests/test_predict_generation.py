"""predict: greedy is deterministic, uses the run's template, streams tokens in order, and
--file scores predictions against references."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.export_helpers import make_base_model, make_lora_checkpoint

from tunedesk import predict
from tunedesk.data import generation_prompt
from tunedesk.export import cli as export_cli


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("predict")
    return make_lora_checkpoint(root / "run-1", make_base_model(root / "base", "llama"))


def run(capsys, *args: str) -> tuple[int, list[dict]]:
    code = predict.main(list(args))
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return code, events


def test_greedy_is_deterministic_and_streams_in_order(checkpoint, capsys):
    args = ("--model", str(checkpoint), "--prompt", "Name a fruit.", "--greedy", "--max_new_tokens", "12")
    code, first = run(capsys, *args)
    assert code == 0
    tokens = [e for e in first if e["type"] == "predict_token"]
    finished = [e for e in first if e["type"] == "predict_finished"]
    assert len(finished) == 1 and first[-1]["type"] == "predict_finished"
    assert [t["index"] for t in tokens] == list(range(len(tokens))) and tokens
    assert "".join(t["text"] for t in tokens) == finished[0]["text"]
    assert all(a["ts"] <= b["ts"] for a, b in zip(first, first[1:]))
    _, second = run(capsys, *args)
    assert second[-1]["text"] == finished[0]["text"]


def test_prompt_is_laid_out_with_the_runs_template(checkpoint, monkeypatch):
    loaded = predict.load_for_predict(checkpoint)
    assert loaded.mode == "chat" and loaded.what == "checkpoint"
    seen = {}
    real_generate = loaded.model.generate

    def spy(**kwargs):
        seen["ids"] = kwargs["input_ids"][0].tolist()
        return real_generate(**kwargs)

    monkeypatch.setattr(loaded.model, "generate", spy)
    args = predict.parse_args(
        ["--model", str(checkpoint), "--prompt", "hi", "--greedy", "--max_new_tokens", "2"]
    )
    with predict.EventWriter(None) as events:
        predict.generate(loaded, [{"role": "user", "content": "hi"}], args, events)
    expected = generation_prompt(
        [{"role": "user", "content": "hi"}], loaded.tokenizer, mode="chat", max_src_len=1024
    )
    assert seen["ids"] == expected
    assert loaded.tokenizer.decode(seen["ids"]) == "<|user|>hi\n<|assistant|>"


def test_export_and_checkpoint_predict_the_same(checkpoint, tmp_path, capsys):
    out = tmp_path / "export"
    assert export_cli.main(["--checkpoint", str(checkpoint), "--out", str(out)]) == 0
    capsys.readouterr()
    args = ("--prompt", "Add two and two.", "--greedy", "--max_new_tokens", "10")
    _, from_checkpoint = run(capsys, "--model", str(checkpoint), *args)
    _, from_export = run(capsys, "--model", str(out), *args)
    assert from_export[-1]["text"] == from_checkpoint[-1]["text"]


def test_file_writes_predictions_and_scores_references(checkpoint, tmp_path, capsys):
    _, events = run(
        capsys,
        "--model",
        str(checkpoint),
        "--prompt",
        "Say the colour of the sky.",
        "--greedy",
        "--max_new_tokens",
        "6",
    )
    known = events[-1]["text"]
    data = tmp_path / "eval.jsonl"
    rows = [
        {"instruction": "Say the colour of the sky.", "input": "", "output": known},
        {"instruction": "Name a fruit.", "input": "", "output": "zzzz-not-this"},
        {"messages": [{"role": "user", "content": "no reference here"}]},
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "pred.jsonl"
    code, events = run(
        capsys,
        "--model",
        str(checkpoint),
        "--file",
        str(data),
        "--out",
        str(out),
        "--greedy",
        "--max_new_tokens",
        "6",
    )
    assert code == 0
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [w["reference"] for w in written] == [known, "zzzz-not-this", None]
    assert written[0]["prediction"] == known
    summary = [e for e in events if e["type"] == "log"][-1]
    assert summary["metrics"]["exact_match"] == 1 and summary["metrics"]["with_reference"] == 2
    assert len([e for e in events if e["type"] == "predict_finished"]) == 3


def test_bad_file_line_is_reported_with_its_line_number(checkpoint, tmp_path, capsys):
    data = tmp_path / "bad.jsonl"
    data.write_text('{"instruction": "ok", "output": "x"}\n{not json\n')
    code, events = run(capsys, "--model", str(checkpoint), "--file", str(data), "--greedy")
    assert code == 1
    assert f"{data}:2" in events[-1]["message"]


def test_prompts_are_read_from_a_json_array_with_line_numbers(tmp_path):
    data = tmp_path / "eval.json"
    data.write_text('[\n  {"instruction": "a", "output": "x"},\n\n  {"instruction": "b"}\n]\n')
    rows = predict.read_prompts(data)
    assert [(m[-1]["content"], ref, line) for m, ref, line in rows] == [("a", "x", 2), ("b", None, 4)]
    data.write_text('[{"instruction": 3, "output": "x"}]')
    with pytest.raises(predict.DataError, match=f"{data}:1"):
        predict.read_prompts(data)


def test_char_f1():
    assert predict.char_f1("abc", "abc") == 1.0
    assert predict.char_f1("abc", "xyz") == 0.0
    assert predict.char_f1("ab", "abcd") == pytest.approx(2 * 1 * 0.5 / 1.5)
    assert predict.char_f1("", "") == 1.0


def test_multi_turn_history_is_laid_out_before_the_new_question(checkpoint, monkeypatch, capsys):
    history = [{"role": "user", "content": "Name a fruit."}, {"role": "assistant", "content": "apple"}]
    loaded = predict.load_for_predict(checkpoint)
    monkeypatch.setattr(predict, "load_for_predict", lambda path: loaded)
    seen = {}
    real_generate = loaded.model.generate

    def spy(**kwargs):
        seen["ids"] = kwargs["input_ids"][0].tolist()
        return real_generate(**kwargs)

    monkeypatch.setattr(loaded.model, "generate", spy)
    code, events = run(
        capsys, "--model", str(checkpoint), "--prompt", "And another?", "--history", json.dumps(history),
        "--temperature", "0.7", "--top_p", "0.8", "--max_new_tokens", "5",
    )
    assert code == 0
    expected = generation_prompt(
        [*history, {"role": "user", "content": "And another?"}], loaded.tokenizer, mode="chat", max_src_len=1024
    )
    assert seen["ids"] == expected
    finished = events[-1]
    assert finished["type"] == "predict_finished"
    # The speed of the answer: new tokens (at most max_new_tokens) and the time generate() took.
    assert 1 <= finished["tokens"] <= 5 and finished["seconds"] > 0


@pytest.mark.parametrize(
    "history, problem",
    [
        ("not json", "not valid JSON"),
        ('{"role": "user"}', "JSON list"),
        ('[{"role": "assistant", "content": "hi"}]', "turn 1 must be"),
        ('[{"role": "user", "content": "hi"}]', "ends on a user turn"),
    ],
)
def test_bad_history_is_refused_with_what_to_do(checkpoint, capsys, history, problem):
    code, events = run(capsys, "--model", str(checkpoint), "--prompt", "hi", "--history", history, "--greedy")
    assert code == 1
    error = [e for e in events if e["type"] == "log" and e["level"] == "error"][0]
    assert problem in error["error"]["message"] and error["error"]["hint"]
