"""ChatGLM-6B trains in its legacy environment only by consent to exactly its current Python files.

The model is a tiny ChatGLM-6B-shaped checkpoint whose remote code runs on transformers 5, and
the legacy environment is a stand-in sharing the main venv's packages (see
helpers/legacy_chatglm_fixtures.py for both, and why: the real environment cannot be built offline).
What these tests do NOT show: that the real modeling_chatglm.py runs on transformers 4.33 with
this trainer -- that was never executed here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.legacy_chatglm_fixtures import (
    legacy_env,
    make_standin_env,
    run_tunedesk,
    write_legacy_chatglm_model,
)
from helpers.trainer_fixtures import base_args, read_events, write_data

FILES = ("configuration_chatglm.py", "modeling_chatglm.py", "tokenization_chatglm.py")


@pytest.fixture(scope="module")
def legacy(tmp_path_factory):
    """(model dir, stand-in env dir, data file, subprocess env); consent is NOT recorded yet."""
    root = tmp_path_factory.mktemp("legacy-chatglm")
    model = write_legacy_chatglm_model(root / "chatglm-6b-tiny")
    env_dir = make_standin_env(root / "venv-legacy-chatglm")
    data = write_data(str(root / "train.jsonl"))
    return model, env_dir, data, legacy_env(env_dir, root / "hf-modules")


def _train_args(model: Path, data: str, out: Path, *extra: str) -> list[str]:
    # Micro-batches of 4 (argparse keeps the last value) and 3 steps: enough to reach a checkpoint.
    small = ("--per_device_train_batch_size", "4", "--max_steps", "3", "--device", "cpu")
    return ["train", *base_args(str(model), data, str(out), *small, *extra)]


def _failure(out: Path) -> dict:
    final = read_events(str(out))[-1]
    assert final["type"] == "run_finished" and final["status"] == "failed", final
    return final["error"]


def _agree(model: Path, env: dict) -> subprocess.CompletedProcess:
    # The consent goes through legacy.py's own path: the stand-in env exists, so nothing is installed.
    args = ["legacy-env", "--model", str(model), "--create", "--i-agree-to-run", str(model), "--json"]
    return run_tunedesk(sys.executable, args, env)


def test_refused_without_consent_naming_the_files_and_the_command(legacy, tmp_path):
    model, env_dir, data, env = legacy
    result = run_tunedesk(str(env_dir / "bin" / "python"), _train_args(model, data, tmp_path / "run"), env)
    assert result.returncode == 1
    error = _failure(tmp_path / "run")
    assert error["kind"] == "config"
    assert "ChatGLM-6B" in error["message"] and "have not agreed" in error["message"]
    for name in FILES:
        assert name in error["message"]
    assert f"legacy-env --model {model} --create --i-agree-to-run {model}" in error["hint"]
    assert "Traceback" not in result.stderr  # a refusal is explained, not debugged


def test_with_consent_it_trains_with_remote_code_then_a_changed_file_revokes_it(legacy, tmp_path):
    model, env_dir, data, env = legacy
    # A copy, so that changing a file below does not touch the other tests' model.
    model = Path(shutil.copytree(model, tmp_path / "chatglm-6b-tiny"))
    agreed = _agree(model, env)
    assert agreed.returncode == 0, agreed.stderr
    report = json.loads(agreed.stdout)
    assert report["consent"] is True and report["created"] is False
    assert sorted(f["path"] for f in report["model"]["files"]) == list(FILES)

    python = str(env_dir / "bin" / "python")
    run = tmp_path / "run"
    result = run_tunedesk(python, _train_args(model, data, run, "--train_type", "lora"), env)
    assert result.returncode == 0, result.stderr[-3000:]
    events = read_events(str(run))
    assert events[-1]["status"] == "completed" and events[-1]["step"] == 3
    assert [e["step"] for e in events if e["type"] == "metrics"] == [1, 2, 3]
    logs = " ".join(e["message"] for e in events if e["type"] == "log")
    assert "running its own code with trust_remote_code, by your consent" in logs
    assert "--mode glm" in logs  # ChatGLM-6B's layout is the default
    checkpoint = run / "checkpoints" / "step-000003"
    assert (checkpoint / "manifest.json").is_file() and (checkpoint / "adapter").is_dir()
    # The checkpoint's own modeling file was what ran: transformers copied it into its module cache.
    assert list(Path(env["HF_MODULES_CACHE"]).rglob("modeling_chatglm.py"))

    # The main environment is not the legacy one: refused, pointing at the legacy interpreter.
    outside = tmp_path / "outside"
    result = run_tunedesk(sys.executable, _train_args(model, data, outside), env)
    error = _failure(outside)
    assert error["kind"] == "config" and "only inside its legacy environment" in error["message"]
    assert python in error["hint"]

    # One changed byte in the modeling file: the consent no longer covers it.
    with open(model / "modeling_chatglm.py", "a", encoding="utf-8") as handle:
        handle.write("# changed after the consent\n")
    changed = tmp_path / "changed"
    result = run_tunedesk(python, _train_args(model, data, changed), env)
    assert result.returncode == 1
    error = _failure(changed)
    assert error["kind"] == "config"
    assert "changed since you agreed: modeling_chatglm.py" in error["message"]
    assert "--i-agree-to-run" in error["hint"]
    assert not (changed / "checkpoints").exists()


def test_ptuning_and_later_layouts_are_refused_for_chatglm_6b(legacy, tmp_path):
    model, env_dir, data, env = legacy
    model = Path(shutil.copytree(model, tmp_path / "chatglm-6b-tiny"))
    assert _agree(model, env).returncode == 0
    python = str(env_dir / "bin" / "python")
    for extra, expected in ((("--train_type", "ptuning"), "ptuning"), (("--mode", "glm2"), "--mode glm2")):
        out = tmp_path / extra[1]
        assert run_tunedesk(python, _train_args(model, data, out, *extra), env).returncode == 1
        error = _failure(out)
        assert error["kind"] == "config" and expected in error["message"]


def test_the_glm_template_uses_the_models_own_tokenizer_in_the_original_layout(legacy):
    """[Round 1]\\n问：...\\n答： [gMASK] <sop> answer <eop>; labels from <sop> on, as GLMPromptDataSet."""
    model, env_dir, _, env = legacy
    code = (
        "import json, sys\n"
        "from tunedesk.model_loading import load_tokenizer\n"
        "from tunedesk.data.templates_glm import encode_glm\n"
        "tok = load_tokenizer(sys.argv[1], trust_remote_code=True)\n"
        "messages = [{'role': 'user', 'content': 'Capital of France?'}, {'role': 'assistant', 'content': 'Paris'}]\n"
        "out = encode_glm(messages, tok, mode='glm', max_len=64, max_src_len=32)\n"
        "ids = tok.convert_tokens_to_ids(['[gMASK]', 'sop', 'eop'])\n"
        "src = tok.encode('[Round 1]\\n问：Capital of France?\\n答：', add_special_tokens=False)\n"
        "ans = tok.encode('Paris', add_special_tokens=False)\n"
        "print(json.dumps({'cls': type(tok).__name__, 'ids': out.ids, 'labels': out.labels, 'special': ids,\n"
        "                  'src': src, 'ans': ans}))\n"
    )
    result = subprocess.run(
        [str(env_dir / "bin" / "python"), "-c", code, str(model)],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert got["cls"] == "ChatGLMTokenizer"  # the checkpoint's tokenizer class (remote code)
    gmask, sop, eop = got["special"]
    assert got["ids"] == got["src"] + [gmask, sop] + got["ans"] + [eop]
    context = len(got["src"]) + 1  # the originals' labels start AT <sop>
    assert got["labels"] == [-100] * context + got["ids"][context:]
