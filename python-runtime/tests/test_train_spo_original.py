"""The original scripts' real data file trains unchanged: spo_0.json has empty answers (line 58...),
which the originals trained on. They are trained by default (and named in the log);
--allow_empty_output stays accepted; --drop_empty_output leaves them out. A data error is printed
once, without a Python traceback."""

import json

from helpers.trainer_fixtures import base_args, read_events, run_train, subprocess_env


def _first_lines(spo_path: str, out_path, count: int = 64) -> str:
    with open(spo_path, encoding="utf-8") as src:
        lines = [next(src) for _ in range(count)]
    out_path.write_text("".join(lines), encoding="utf-8")
    return str(out_path)


def _logs(run_dir) -> str:
    return "\n".join(e.get("message", "") for e in read_events(str(run_dir)) if e.get("type") == "log")


def test_empty_answers_trained_by_default_named_and_droppable(spo_path, glm_demo_model_dir, tmp_path):
    data = _first_lines(spo_path, tmp_path / "spo_head.json")
    args = ["--mode", "glm2", "--train_type", "lora", "--max_steps", "1", "--max_len", "160", "--max_src_len", "128"]
    # --allow_empty_output (the old opt-in) is still accepted: it is what training does anyway
    for name, extra, expected in (
        ("default", ["--allow_empty_output"], "1 sample(s) with an empty answer trained (lines 58)"),
        ("dropped", ["--drop_empty_output"], "left out (--drop_empty_output)"),
    ):
        out = tmp_path / name
        result = run_train(base_args(glm_demo_model_dir, data, str(out), *args, *extra), env=subprocess_env())
        assert result.returncode == 0, result.stderr[-2000:]
        events = read_events(str(out))
        assert events[-1]["status"] == "completed"
        assert expected in _logs(out)
        started = next(e for e in events if e["type"] == "run_started")
        assert started["train_samples"] == (63 if name == "dropped" else 64)


def test_data_errors_are_listed_once_without_a_traceback(glm_demo_model_dir, tmp_path):
    data = tmp_path / "bad.jsonl"
    good = {"instruction": "q", "input": "", "output": "a"}
    data.write_text(json.dumps(good) + "\n{broken\n" + json.dumps({"instruction": "q"}) + "\n", encoding="utf-8")
    out = tmp_path / "run"
    result = run_train(base_args(glm_demo_model_dir, str(data), str(out), "--mode", "glm2", "--max_steps", "1"), env=subprocess_env())
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.count("bad.jsonl:2: bad JSON") == 1 and "bad.jsonl:3:" in result.stderr
    assert read_events(str(out))[-1]["error"]["kind"] == "data"
