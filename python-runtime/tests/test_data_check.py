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
