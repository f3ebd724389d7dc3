"""`python -m tunedesk pull` against a local fake of the Hub (tests/helpers/fake_hub.py): what is
downloaded, progress, resume after a kill, refusals before anything is written."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.fake_hub import GATED_TOKEN, FakeHub

RUNTIME = Path(__file__).resolve().parents[1]


@pytest.fixture
def hub():
    with FakeHub() as server:
        yield server


def pull_env(hub: FakeHub, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HF_HUB_OFFLINE")}
    env.update(
        HF_ENDPOINT=hub.endpoint,
        HF_HOME=str(tmp_path / "hf-home"),
        TUNEDESK_DATA_DIR=str(tmp_path / "data"),
        PYTHONPATH=str(RUNTIME),
    )
    env.update(extra)
    return env


def run_pull(hub, tmp_path, *args: str, stdin: str | None = None, **env: str) -> tuple[int, list[dict], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "tunedesk", "pull", *args, "--json"],
        env=pull_env(hub, tmp_path, **env), capture_output=True, text=True, input=stdin, timeout=120,
    )  # fmt: skip
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return proc.returncode, lines, proc.stderr


def test_downloads_safetensors_and_config_only_at_a_pinned_commit(hub, tmp_path):
    code, lines, stderr = run_pull(hub, tmp_path, "tiny/model")
    assert code == 0, stderr
    result = lines[-1]
    model_dir = tmp_path / "data" / "models" / "tiny--model"
    assert result["ok"] and result["model_dir"] == str(model_dir)
    assert result["commit"] == "1" * 40
    on_disk = sorted(p.name for p in model_dir.iterdir())
    assert on_disk == sorted(
        [
            "config.json",
            "generation_config.json",
            "tokenizer.json",
            "tokenizer_config.json",
            "model.safetensors",
            "tunedesk-pull.json",
        ]
    )
    # Nothing pickled, no ONNX/original copies, not even requested from the server.
    fetched = {r["file"] for r in hub.downloads("tiny/model")}
    assert not any(name.endswith((".bin", ".pth", ".onnx")) for name in fetched)
    repo = hub.repos["tiny/model"]
    assert (model_dir / "model.safetensors").read_bytes() == repo.files["model.safetensors"]
    manifest = json.loads((model_dir / "tunedesk-pull.json").read_text())
    assert manifest["commit"] == "1" * 40 and manifest["revision"] == "main"
    assert "pytorch_model.bin" in manifest["skipped"]
    # Every file was asked for at the commit, never at the moving branch name.
    assert all("/resolve/main/" not in r["path"] for r in hub.requests)
    # Progress: bytes grow to the total, with speed and time left.
    progress = [e for e in lines if e.get("event") == "progress"]
    assert progress and progress[-1]["bytes_done"] == progress[-1]["bytes_total"] == sum(
        len(repo.files[n]) for n in manifest_names(manifest)
    )
    assert all(set(e) >= {"bytes_done", "bytes_total", "speed_bps", "eta_s"} for e in progress)
    assert [e["bytes_done"] for e in progress] == sorted(e["bytes_done"] for e in progress)
    # A second pull finds the complete folder and downloads nothing.
    before = len(hub.requests)
    code, lines, _ = run_pull(hub, tmp_path, "tiny/model")
    assert code == 0 and lines[-1]["already_complete"] is True
    assert len(hub.requests) == before


def manifest_names(manifest: dict) -> list[str]:
    return [f["name"] for f in manifest["files"]]


def test_resumes_after_a_kill_mid_download(hub, tmp_path):
    env = pull_env(hub, tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tunedesk", "pull", "tiny/big", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    staging = tmp_path / "data" / "models" / "tiny--big.partial"
    part = staging / ".incomplete" / "model.safetensors.part"
    deadline = time.monotonic() + 60
    # Kill (SIGKILL: no chance to clean up) once a good part of the 6 MiB file is on disk.
    while not (part.is_file() and part.stat().st_size > 1_000_000):
        assert time.monotonic() < deadline and proc.poll() is None, "the download did not start"
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    proc.stdout.close()
    kept = part.stat().st_size
    assert 0 < kept < len(hub.repos["tiny/big"].files["model.safetensors"])
    assert not (tmp_path / "data" / "models" / "tiny--big").exists(), (
        "a half download must not look like a model"
    )
    assert json.loads((staging / "pull-state.json").read_text())["commit"] == "2" * 40

    code, lines, stderr = run_pull(hub, tmp_path, "tiny/big")
    assert code == 0, stderr
    plan = next(e for e in lines if e.get("event") == "plan")
    assert plan["resumed_bytes"] >= kept
    ranges = [
        r["range"] for r in hub.downloads("tiny/big") if r["file"] == "model.safetensors" and r["range"]
    ]
    assert ranges and int(ranges[-1].split("=")[1].rstrip("-")) >= kept
    model_dir = tmp_path / "data" / "models" / "tiny--big"
    data = (model_dir / "model.safetensors").read_bytes()
    assert (
        hashlib.sha256(data).digest()
        == hashlib.sha256(hub.repos["tiny/big"].files["model.safetensors"]).digest()
    )
    assert not staging.exists()


def test_refuses_when_the_disk_is_too_small_before_downloading(hub, tmp_path):
    code, lines, _ = run_pull(hub, tmp_path, "tiny/huge")
    assert code == 1
    error = lines[-1]["error"]
    assert error["kind"] == "disk_full" and "Nothing was downloaded" in error["message"]
    assert hub.downloads("tiny/huge") == []
    assert not (tmp_path / "data" / "models").exists() or not any((tmp_path / "data" / "models").iterdir())


def test_gated_repo_asks_for_a_token_and_takes_it_from_stdin(hub, tmp_path):
    code, lines, _ = run_pull(hub, tmp_path, "tiny/gated")
    assert code == 1
    error = lines[-1]["error"]
    assert error["kind"] == "auth" and "gated" in error["message"] and "token" in error["hint"]
    assert not (tmp_path / "data" / "models").exists() or not any((tmp_path / "data" / "models").iterdir())

    code, lines, stderr = run_pull(hub, tmp_path, "tiny/gated", "--token-stdin", stdin=GATED_TOKEN + "\n")
    assert code == 0, stderr
    out = json.dumps(lines) + stderr
    assert GATED_TOKEN not in out
    model_dir = Path(lines[-1]["model_dir"])
    assert GATED_TOKEN not in "".join(p.read_text(errors="ignore") for p in model_dir.glob("*.json"))


def test_gated_repo_with_a_wrong_token_says_so(hub, tmp_path):
    code, lines, _ = run_pull(hub, tmp_path, "tiny/gated", HF_TOKEN="hf_wrong")
    assert code == 1 and lines[-1]["error"]["kind"] == "auth"
    assert "token given has no access" in lines[-1]["error"]["message"]


@pytest.mark.parametrize(
    ("repo", "args", "kind", "words"),
    [
        ("nobody/nothing", [], "not_found", "No model 'nobody/nothing'"),
        ("tiny/model", ["--revision", "v9"], "not_found", "no revision 'v9'"),
        ("../etc", [], "config", "not a Hub repo id"),
        ("a/b/c", [], "config", "not a Hub repo id"),
    ],
)
def test_bad_repo_ids_and_revisions(hub, tmp_path, repo, args, kind, words):
    code, lines, _ = run_pull(hub, tmp_path, repo, *args)
    assert code == 1
    assert lines[-1]["error"]["kind"] == kind and words in lines[-1]["error"]["message"]


def test_pickle_only_repo_needs_the_explicit_flag(hub, tmp_path):
    code, lines, _ = run_pull(hub, tmp_path, "tiny/pickle-only")
    assert (
        code == 1
        and "--allow-pickle" in lines[-1]["error"]["hint"]
        and "convert-weights" in lines[-1]["error"]["hint"]
    )
    assert hub.downloads("tiny/pickle-only") == []
    code, lines, _ = run_pull(hub, tmp_path, "tiny/pickle-only", "--allow-pickle")
    assert code == 0 and lines[-1]["weights"] == "pickle" and "convert-weights" in lines[-1]["next"]


def test_offline_mode_is_named(hub, tmp_path):
    code, lines, _ = run_pull(hub, tmp_path, "tiny/model", HF_HUB_OFFLINE="1")
    assert code == 1 and "HF_HUB_OFFLINE" in lines[-1]["error"]["message"]
    assert hub.downloads("tiny/model") == []


def test_existing_foreign_folder_is_never_overwritten(hub, tmp_path):
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    code, lines, _ = run_pull(hub, tmp_path, "tiny/model", "--dest", str(dest))
    assert code == 1 and "does not overwrite" in lines[-1]["error"]["message"]
    assert (dest / "notes.txt").read_text() == "mine"


def test_sigterm_stops_and_keeps_the_partial_file(hub, tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "tunedesk", "pull", "tiny/big", "--json"],
        env=pull_env(hub, tmp_path),
        stdout=subprocess.PIPE,
        text=True,
    )
    part = tmp_path / "data" / "models" / "tiny--big.partial" / ".incomplete" / "model.safetensors.part"
    deadline = time.monotonic() + 60
    # Half of the 6 MiB file at 2 MiB/s: over a second of progress, so speed and time left are known.
    while not (part.is_file() and part.stat().st_size > 3_000_000):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130
    events = [json.loads(line) for line in out.splitlines()]
    assert events[-1]["error"]["kind"] == "interrupted"
    # Progress came while the file was arriving (not one event at the end): speed and time left.
    moving = [e for e in events if e.get("event") == "progress" and 0 < e["bytes_done"] < e["bytes_total"]]
    assert moving and moving[-1]["speed_bps"] > 0 and moving[-1]["eta_s"] > 0
    assert part.stat().st_size > 3_000_000


def test_a_pulled_chatglm3_checkpoint_imports_with_import_chatglm(tmp_path):
    """The files pull keeps (tokenizer.model and the *.py that tell the generation, never run) are
    what import-chatglm needs; the licence and other extras stay behind."""
    from helpers.chatglm_helpers import (
        chatglm_config,
        corpus_lines,
        random_state_dict,
        train_sp_model,
        write_checkpoint,
    )
    from helpers.fake_hub import FakeRepo

    sp = train_sp_model(tmp_path / "sp.model", corpus_lines())
    config = chatglm_config(3, 448)
    source = write_checkpoint(tmp_path / "src", config, random_state_dict(config), sp, 3)
    files = {p.name: p.read_bytes() for p in source.iterdir()}
    with FakeHub({"THUDM/tiny-chatglm3": FakeRepo(files=files, commit="6" * 40)}) as server:
        code, lines, stderr = run_pull(server, tmp_path, "THUDM/tiny-chatglm3")
    assert code == 0, stderr
    model_dir = Path(lines[-1]["model_dir"])
    assert (model_dir / "tokenization_chatglm.py").is_file() and not (model_dir / "MODEL_LICENSE").exists()
    assert lines[-1]["remote_code"] == sorted(n for n in files if n.endswith(".py"))
    assert (model_dir / "tokenizer.model").is_file() and (model_dir / "model.safetensors").is_file()
    # --check: what import-chatglm sees in the folder (the conversion itself is tested in test_chatglm_*).
    proc = subprocess.run(
        [sys.executable, "-m", "tunedesk", "import-chatglm", str(model_dir), "--check", "--json"],
        env={**os.environ, "PYTHONPATH": str(RUNTIME)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check = json.loads(proc.stdout)["check"]
    assert check["generation"] == 3 and check["convertible"] is True


def test_progress_meter_speed_and_time_left_from_the_last_seconds():
    from tunedesk.hub.progress import ProgressMeter

    now = [0.0]
    events: list[dict] = []
    meter = ProgressMeter(total=1000, already=100, emit=events.append, interval_s=0.0, clock=lambda: now[0])
    for _ in range(4):  # 100 bytes per second
        now[0] += 1.0
        meter.add(100)
    assert events[-1]["bytes_done"] == 500 and events[-1]["speed_bps"] == 100 and events[-1]["eta_s"] == 5.0
    now[0] += 20.0  # a stall: the window forgets the old pace
    meter.add(10)
    assert events[-1]["speed_bps"] < 100 and events[-1]["eta_s"] > 5.0
    meter.rewind(510)  # the server ignored a Range request: counting starts again
    assert meter.done == 0
