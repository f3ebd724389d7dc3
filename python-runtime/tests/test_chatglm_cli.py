"""The two commands as a user (or the app) runs them: import-chatglm and legacy-env."""

from __future__ import annotations

import json
import os
import stat

import pytest
from helpers.chatglm_helpers import (
    CHATGLM_6B,
    chatglm_config,
    corpus_lines,
    random_state_dict,
    train_sp_model,
    write_checkpoint,
)

from tunedesk.__main__ import main as tunedesk_main
from tunedesk.chatglm import legacy

VOCAB = 448


@pytest.fixture(scope="module")
def glm3_checkpoint(tmp_path_factory):
    root = tmp_path_factory.mktemp("glm3")
    sp = train_sp_model(root / "sp.model", corpus_lines())
    config = chatglm_config(3, VOCAB)
    return write_checkpoint(root / "chatglm3-6b", config, random_state_dict(config), sp, 3)


@pytest.fixture()
def chatglm_6b(tmp_path):
    folder = tmp_path / "chatglm-6b"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(CHATGLM_6B))
    (folder / "modeling_chatglm.py").write_text(
        "from .quantization import quantize\nraise SystemExit('never run')\n"
    )
    (folder / "quantization.py").write_text("raise SystemExit('never run')\n")
    (folder / "configuration_chatglm.py").write_text("raise SystemExit('never run')\n")
    return folder


def test_import_json_output(glm3_checkpoint, tmp_path, capsys):
    code = tunedesk_main(["import-chatglm", str(glm3_checkpoint), "--out", str(tmp_path / "out"), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["ok"]
    summary = result["summary"]
    assert summary["model"] == "ChatGLM3-6B" and summary["native_tensors"] == 25
    assert summary["rope"]["rope_theta"] == 10000.0 and summary["rope"]["partial_rotary_factor"] == 0.5


def test_import_text_output_states_what_it_converted(glm3_checkpoint, tmp_path, capsys):
    assert tunedesk_main(["import-chatglm", str(glm3_checkpoint), "--out", str(tmp_path / "out")]) == 0
    text = capsys.readouterr().out
    for words in (
        "Imported ChatGLM3-6B",
        "tensors: 18 read, 25 written",
        "parameters:",
        "<|user|>=426",
        "rotary:",
    ):
        assert words in text


def test_import_refusal_is_a_message_not_a_traceback(tmp_path, capsys):
    (tmp_path / "llama").mkdir()
    (tmp_path / "llama" / "config.json").write_text('{"model_type": "llama"}')
    assert (
        tunedesk_main(["import-chatglm", str(tmp_path / "llama"), "--out", str(tmp_path / "o"), "--json"])
        == 1
    )
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["kind"] == "config" and "not a ChatGLM checkpoint" in error["message"]
    assert tunedesk_main(["import-chatglm", str(tmp_path / "llama"), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "what to do:" in err and "Traceback" not in err


def test_check_tells_the_generation_and_the_next_step(chatglm_6b, glm3_checkpoint, capsys):
    assert tunedesk_main(["import-chatglm", str(chatglm_6b), "--check", "--json"]) == 0
    check = json.loads(capsys.readouterr().out)["check"]
    assert check["generation"] == 1 and not check["convertible"] and "legacy-env" in check["hint"]
    assert tunedesk_main(["import-chatglm", str(glm3_checkpoint), "--check", "--json"]) == 0
    check = json.loads(capsys.readouterr().out)["check"]
    assert check["generation"] == 3 and check["convertible"]


def test_help_mentions_ptuning_v2_and_chatglm_6b(capsys):
    with pytest.raises(SystemExit):
        tunedesk_main(["import-chatglm", "--help"])
    text = capsys.readouterr().out
    assert "pre_seq_len" in text and "P-Tuning v2" in text and "4.27-4.33" in text


def test_legacy_env_explains_and_lists_the_files_that_would_run(chatglm_6b, tmp_path, capsys):
    env_dir = tmp_path / "env"
    code = tunedesk_main(["legacy-env", "--model", str(chatglm_6b), "--env-dir", str(env_dir), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and "4.27-4.33" in result["explanation"]
    assert [f["path"] for f in result["model"]["files"]] == [
        "configuration_chatglm.py",
        "modeling_chatglm.py",
        "quantization.py",
    ]
    assert not result["env"]["exists"] and not result["consent"]
    assert "transformers==4.33.3" in result["env"]["pins"]
    assert "weights_note" not in result["model"]  # no weight files at all: nothing to say about them


def test_legacy_env_says_pickle_weights_need_convert_weights(chatglm_6b, tmp_path, capsys):
    (chatglm_6b / "pytorch_model-00001-of-00008.bin").write_bytes(b"pickle")  # as ChatGLM-6B is published
    code = tunedesk_main(["legacy-env", "--model", str(chatglm_6b), "--env-dir", str(tmp_path / "env")])
    text = capsys.readouterr().out
    assert code == 0
    assert "weights: its weights are pickle files (.bin)" in text
    assert f"python -m tunedesk convert-weights {chatglm_6b}" in text


def test_legacy_env_create_requires_consent_for_that_folder(chatglm_6b, tmp_path, capsys):
    env_dir = tmp_path / "env"
    args = ["legacy-env", "--model", str(chatglm_6b), "--env-dir", str(env_dir), "--create"]
    assert tunedesk_main(args) == 1
    err = capsys.readouterr().err
    assert "modeling_chatglm.py" in err and f"--i-agree-to-run {chatglm_6b}" in err
    assert tunedesk_main([*args, "--i-agree-to-run", str(tmp_path)]) == 1
    assert "Consent covers one folder" in capsys.readouterr().err
    assert not env_dir.exists()


def test_legacy_env_consent_is_to_the_files_the_user_was_shown(chatglm_6b, tmp_path, capsys):
    env_dir = tmp_path / "env"
    (env_dir / "bin").mkdir(parents=True)
    (env_dir / "bin" / "python").write_text("")  # a stand-in: the environment exists, only consent is at stake
    base = ["legacy-env", "--model", str(chatglm_6b), "--env-dir", str(env_dir), "--json"]
    assert tunedesk_main(base) == 0
    shown = {f["path"]: f["sha256"] for f in json.loads(capsys.readouterr().out)["model"]["files"]}
    (chatglm_6b / "quantization.py").write_text("# edited after the user looked\n")
    agree = [*base, "--create", "--i-agree-to-run", str(chatglm_6b), "--agreed-files", json.dumps(shown)]
    assert tunedesk_main(agree) == 1
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["message"].startswith("The model's Python files changed since you looked: quantization.py changed")
    assert not (env_dir / "tunedesk-consent.json").exists()
    assert tunedesk_main(base) == 0
    shown = {f["path"]: f["sha256"] for f in json.loads(capsys.readouterr().out)["model"]["files"]}
    agree = [*base, "--create", "--i-agree-to-run", str(chatglm_6b), "--agreed-files", json.dumps(shown)]
    assert tunedesk_main(agree) == 0
    assert json.loads(capsys.readouterr().out)["consent"] is True


def test_legacy_env_without_network_fails_cleanly(chatglm_6b, tmp_path, capsys, monkeypatch):
    # Force the offline path even on a machine with internet: no index, an empty wheel folder.
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(empty))
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "")
    env_dir = tmp_path / "env"
    args = [
        "legacy-env",
        "--model",
        str(chatglm_6b),
        "--env-dir",
        str(env_dir),
        "--create",
        "--i-agree-to-run",
        str(chatglm_6b),
    ]
    assert tunedesk_main(args) == 1
    err = capsys.readouterr().err
    assert "Could not install the legacy ChatGLM-6B packages" in err and "internet access" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chatglm-6b", "env-install.log", "no-wheels"]


def test_legacy_env_refuses_a_python_too_new_for_its_pins(chatglm_6b, tmp_path, capsys):
    fake = tmp_path / "python3.12"
    fake.write_text("#!/bin/sh\necho 3 12\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    args = ["legacy-env", "--model", str(chatglm_6b), "--env-dir", str(tmp_path / "env"), "--create"]
    assert tunedesk_main([*args, "--i-agree-to-run", str(chatglm_6b), "--python", str(fake), "--json"]) == 1
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["kind"] == "dependency" and "Python 3.8-3.11" in error["message"]


def test_consent_is_void_when_a_file_changes(chatglm_6b, tmp_path):
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    legacy.record_consent(env_dir, chatglm_6b.resolve(), legacy.files_that_would_run(chatglm_6b))
    assert legacy.has_consent(chatglm_6b, env_dir)
    (chatglm_6b / "quantization.py").write_text(os.linesep.join(["import os", "os.system('surprise')"]))
    assert not legacy.has_consent(chatglm_6b, env_dir)
