"""The original scripts' real data file trains unchanged: spo_0.json has empty answers (line 58...),
which the originals trained on. By default we refuse them with file:line; --allow_empty_output
restores the originals' behaviour."""

from trainer_fixtures import base_args, read_events, run_train, subprocess_env


def _first_lines(spo_path: str, out_path, count: int = 64) -> str:
    with open(spo_path, encoding="utf-8") as src:
        lines = [next(src) for _ in range(count)]
    out_path.write_text("".join(lines), encoding="utf-8")
    return str(out_path)


def test_empty_answers_refused_with_line_then_trained_when_allowed(spo_path, glm_demo_model_dir, tmp_path):
    data = _first_lines(spo_path, tmp_path / "spo_head.json")
    refused = tmp_path / "refused"
    args = ["--mode", "glm2", "--train_type", "lora", "--max_steps", "2"]
    result = run_train(base_args(glm_demo_model_dir, data, str(refused), *args), env=subprocess_env())
    assert result.returncode == 1
    finished = read_events(str(refused))[-1]
    assert finished["error"]["kind"] == "data"
    assert "spo_head.json:58" in finished["error"]["message"]

    allowed = tmp_path / "allowed"
    result = run_train(
        base_args(glm_demo_model_dir, data, str(allowed), *args, "--allow_empty_output"), env=subprocess_env()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert read_events(str(allowed))[-1]["status"] == "completed"
