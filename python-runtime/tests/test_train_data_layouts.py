"""The real trainer on the demo model takes every accepted layout in one file (issue 11)."""

import json

from helpers.trainer_fixtures import base_args, read_events, run_train, subprocess_env


def test_mixed_layouts_train_and_preference_data_is_refused_before_the_model(demo_model_dir, tmp_path):
    rows = [
        {"instruction": "Translate:", "input": "cat", "output": "猫"},
        {"instruction": "Say nothing", "input": "", "output": ""},
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "hi"}]}, {"role": "assistant", "content": "yo"}]},
        {"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}, {"from": "human", "value": "c"}, {"from": "gpt", "value": "d"}]},
        {"text": "plain text for continued pre-training"},
    ]
    data = tmp_path / "mixed.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "run"
    result = run_train(base_args(demo_model_dir, str(data), str(out), "--max_steps", "1"), env=subprocess_env())
    assert result.returncode == 0, result.stderr[-2000:]
    events = read_events(str(out))
    assert events[-1]["status"] == "completed" and events[0]["train_samples"] == 5

    preference = tmp_path / "dpo.jsonl"
    preference.write_text(json.dumps({"prompt": "q", "chosen": "a", "rejected": "b"}) + "\n", encoding="utf-8")
    refused = tmp_path / "refused"
    result = run_train(base_args(demo_model_dir, str(preference), str(refused)), env=subprocess_env())
    assert result.returncode == 1 and "Traceback" not in result.stderr
    error = read_events(str(refused))[-1]["error"]
    assert error["kind"] == "data" and "dpo.jsonl:1: preference pair" in error["message"]
    assert read_events(str(refused))[0]["total_params"] == 0  # refused during setup, before run_started
