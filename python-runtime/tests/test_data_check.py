"""``python -m tunedesk data-check --json``: what the app's wizard runs and reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tunedesk.data_check import length_histogram

PYTHON_RUNTIME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def data_check(*args: str) -> tuple[int, dict]:
    done = subprocess.run(
        [sys.executable, "-m", "tunedesk", "data-check", *args, "--json"],
        cwd=PYTHON_RUNTIME,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"},
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one JSON line on stdout, got {done.stdout!r}\n{done.stderr}"
    return done.returncode, json.loads(lines[0])


def test_valid_demo_data_with_the_demo_model(demo_model_dir, demo_train_path):
    code, report = data_check(
        "--train_path", demo_train_path, "--model_name_or_path", demo_model_dir,
        "--max_len", "14", "--max_src_len", "10", "--preview", "2",
    )  # fmt: skip
    with open(demo_train_path, encoding="utf-8") as handle:
        expected = sum(1 for line in handle if line.strip())
    assert code == 0 and report["ok"] is True
    assert report["samples"] == expected and report["format"] == "instruction-jsonl"
    assert report["problems"] == [] and report["problem_count"] == 0
    stats, histogram = report["stats"], report["histogram"]
    assert stats["samples"] == stats["kept"] == expected and stats["max_tokens"] <= 14
    assert sum(histogram["counts"]) == expected and len(histogram["bins"]) == len(histogram["counts"]) + 1
    # the longest demo samples are longer than 14 tokens: max_len 14 truncates them (max_src_len 10 may cut more)
    assert histogram["longest"] > 14 and stats["truncated"] >= histogram["over_max_len"] > 0
    assert histogram["share_over_max_len"] == round(histogram["over_max_len"] / expected, 4)
    assert len(report["preview"]) == 2
    first = report["preview"][0]
    assert first["line"] == 1 and {s["kind"] for s in first["segments"]} >= {"prompt", "answer", "special"}


def test_corrupted_file_lists_problems_and_exits_1(tmp_path):
    path = tmp_path / "bad.jsonl"
    good = json.dumps({"instruction": "a", "input": "", "output": "b"})
    path.write_text(
        "\n".join([good, "{oops", good, json.dumps({"instruction": "a"})]) + "\n", encoding="utf-8"
    )
    code, report = data_check("--train_path", str(path))
    assert code == 1 and report["ok"] is False
    assert report["samples"] == 2 and report["problem_count"] == 2
    assert [(p["line"], p["file"]) for p in report["problems"]] == [(2, str(path)), (4, str(path))]
    assert report["stats"] is None and report["preview"] == []


def test_unreadable_model_is_an_error_object(tmp_path, demo_train_path, capsys):
    from tunedesk.data_check import main

    code = main(["--train_path", demo_train_path, "--model_name_or_path", str(tmp_path / "none"), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["ok"] is False
    assert report["error"]["kind"] and "tokenizer" in report["error"]["message"]


def test_histogram_bins_and_share_over_max_len():
    histogram = length_histogram([1, 5, 9, 10, 30], max_len=10, bins=3)
    assert histogram["bins"] == [0, 10, 20, 30]
    assert histogram["counts"] == [3, 1, 1]  # 30 falls in the last bin
    assert histogram["over_max_len"] == 1 and histogram["share_over_max_len"] == 0.2
    assert length_histogram([], max_len=8)["counts"] == [0] * 10


def test_each_case_is_shown(tmp_path, demo_model_dir):
    """Empty answers (trained, named), Alpaca join, plain text, tool samples the template cannot lay out."""
    rows = [
        {"instruction": "q", "input": "x", "output": "a"},
        {"instruction": "q", "input": "", "output": ""},
        {"text": "plain text"},
        {
            "conversations": [
                {"from": "human", "value": "w?"},
                {"from": "function_call", "value": '{"name": "f", "arguments": {}}'},
                {"from": "observation", "value": "r"},
                {"from": "gpt", "value": "ok"},
            ],
            "tools": '[{"name": "f"}]',
        },
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, report = data_check("--train_path", str(path), "--model_name_or_path", demo_model_dir)
    assert code == 1 and report["ok"] is False
    assert report["empty_answers"] == {"count": 1, "lines": [2], "trained": True}
    notes = "\n".join(report["notes"])
    assert "1 sample(s) with an empty answer are trained" in notes and "lines 2" in notes
    assert "newline" in notes and "plain-text" in notes
    assert [p["line"] for p in report["problems"]] == [4] and "no tool support" in report["problems"][0]["reason"]
    assert report["skippable"] is True and report["stats"]["text_samples"] == 1


def test_text_mode_preview_and_no_skip_advice_when_nothing_remains(tmp_path, demo_model_dir, demo_train_path):
    done = subprocess.run(
        [sys.executable, "-m", "tunedesk", "data-check", "--train_path", demo_train_path,
         "--model_name_or_path", demo_model_dir, "--preview", "1"],
        cwd=PYTHON_RUNTIME, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0
    assert "preview (learned tokens in \u00ab\u00bb)" in done.stdout and "--- line 1:" in done.stdout
    assert "\u00ab" in done.stdout.split("--- line 1:")[1]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instruction": "q"}\n{"chosen": "a", "rejected": "b"}\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "tunedesk", "data-check", "--train_path", str(bad)],
        cwd=PYTHON_RUNTIME, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1 and "--skip_bad_lines" not in done.stdout
    assert "leave nothing to train on" in done.stdout and "supervised fine-tuning only" in done.stdout
