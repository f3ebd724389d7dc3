"""``python -m tunedesk pull <repo-id> [--revision R] [--dest DIR] [--json]``: a model from the
Hugging Face Hub into ``<data-dir>/models/<org>--<name>``.

- The revision is resolved to its commit first and every file is fetched at that commit; the
  commit is recorded, so the folder says exactly what it holds.
- Safetensors weights and the config/tokenizer files only (see repo_files); pickle-only repos are
  refused unless ``--allow-pickle`` (then convert-weights makes a safetensors copy).
- Free disk space is checked against the files' sizes before anything is downloaded.
- Files go to ``<dest>.partial/`` (``pull-state.json`` says what it is); a killed pull resumes
  where it stopped. ``tunedesk-pull.json`` is written LAST and the folder is then renamed to
  ``<dest>``: a folder named like a model is always complete.
- The endpoint is HF_ENDPOINT (mirrors); the token is HF_TOKEN or one line on stdin with
  ``--token-stdin`` -- never an argument, never written anywhere.

With --json every line on stdout is one JSON object: ``{"event": "plan"|"progress"|"file_done"}``
while it works, then ``{"ok": true, ...}`` or ``{"ok": false, "error": {kind, message, hint}}``.
Exit status: 0 done, 1 refused or failed, 2 bad command line, 130 interrupted (resumable).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..checkpoint import fsync_dir
from ..errors import ConfigError, DiskFullError, TuneDeskError, report_command_failure

MANIFEST = "tunedesk-pull.json"
STATE = "pull-state.json"
DEFAULT_ENDPOINT = "https://huggingface.co"
# Room left for everything else on the disk (and the file system's own rounding).
DISK_MARGIN_BYTES = 256 * 1024 * 1024
# Hub repo ids: an optional organisation and a name of letters, digits, '-', '_', '.'; never '--' or '..'.
_REPO_ID = re.compile(r"^(?:[A-Za-z0-9][\w.-]{0,95}/)?[A-Za-z0-9][\w.-]{0,95}$")


@dataclass
class PullRequest:
    repo_id: str
    revision: str
    dest: Path
    endpoint: str
    token: str | None
    allow_pickle: bool = False


def default_data_dir(env: dict[str, str] | None = None) -> Path:
    """The app's data folder (same rule as electron/services/settings/runs-root.ts)."""
    env = dict(os.environ) if env is None else env
    if env.get("TUNEDESK_DATA_DIR"):
        return Path(env["TUNEDESK_DATA_DIR"])
    home = Path.home()
    if sys.platform == "win32":
        return Path(env.get("APPDATA") or home / "AppData" / "Roaming") / "TuneDesk"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "TuneDesk"
    xdg = env.get("XDG_DATA_HOME", "")
    return (Path(xdg) if xdg.startswith("/") else home / ".local" / "share") / "TuneDesk"


def check_repo_id(repo_id: str) -> None:
    if not _REPO_ID.match(repo_id) or "--" in repo_id or ".." in repo_id:
        raise ConfigError(
            f"{repo_id!r} is not a Hub repo id.",
            "Write it as <organisation>/<name>, as in the address of the model's Hub page, e.g. Qwen/Qwen2.5-0.5B-Instruct.",
        )


def folder_name(repo_id: str) -> str:
    """org/name -> org--name (the Hub forbids '--' in names, so this is unambiguous)."""
    return repo_id.replace("/", "--")


def staging_dir(dest: Path) -> Path:
    return dest.with_name(dest.name + ".partial")


def read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def existing_ancestor(path: Path) -> Path:
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def check_disk(staging: Path, need: int) -> None:
    free = shutil.disk_usage(existing_ancestor(staging)).free
    if need + DISK_MARGIN_BYTES > free:
        raise DiskFullError(
            f"Not enough free disk for this model: it needs {need / 1e9:.2f} GB more (+{DISK_MARGIN_BYTES // 2**20} MB to spare), "
            f"{existing_ancestor(staging)} has {free / 1e9:.2f} GB free. Nothing was downloaded.",
            "Free disk space, or pull into a folder on a bigger disk (--dest, or the app's data folder).",
        )


def pull(req: PullRequest, emit) -> dict:
    """Downloads (or resumes) req.repo_id into req.dest; returns the final report."""
    from huggingface_hub import HfApi, get_hf_file_metadata
    from huggingface_hub.utils import disable_progress_bars

    from .fetch import bytes_on_disk, fetch_file, file_url
    from .hub_errors import translate
    from .progress import ProgressMeter
    from .repo_files import RepoFile, select_files

    check_repo_id(req.repo_id)
    disable_progress_bars()  # progress is ours (JSON lines), not tqdm's on stderr
    manifest = read_json(req.dest / MANIFEST)
    if (
        manifest
        and manifest.get("repo_id") == req.repo_id
        and req.revision in (manifest.get("revision"), manifest.get("commit"))
    ):
        return {"ok": True, "already_complete": True, **report_fields(req, manifest)}
    if req.dest.exists():
        what = (
            f"holds another download ({manifest.get('repo_id')} at {manifest.get('commit', '?')[:12]})"
            if manifest
            else "is not a TuneDesk download"
        )
        raise ConfigError(
            f"{req.dest} already exists and {what}; TuneDesk does not overwrite it.",
            "Remove that folder, or pull into another one (--dest).",
        )

    staging = staging_dir(req.dest)
    state = read_json(staging / STATE)
    # Resuming: stay on the commit the interrupted pull was fetching, even if the branch moved.
    pinned = (
        state["commit"]
        if state and state.get("repo_id") == req.repo_id and state.get("revision") == req.revision
        else None
    )
    try:
        info = HfApi(endpoint=req.endpoint).model_info(
            req.repo_id, revision=pinned or req.revision, files_metadata=True, token=req.token
        )
        commit = info.sha or ""
        listing = [
            RepoFile(
                s.rfilename,
                int(s.size or (s.lfs.size if s.lfs else 0)),
                s.lfs.sha256 if s.lfs else None,
                s.blob_id,
            )
            for s in info.siblings or []
        ]
        selection = select_files(listing)
        check_weights(req, selection.weights)
        if state and state.get("commit") != commit:
            shutil.rmtree(staging, ignore_errors=True)  # partial files of another commit
        total = sum(f.size for f in selection.files)
        have = sum(bytes_on_disk(staging, f) for f in selection.files)
        check_disk(staging, total - have)
        # One HEAD before anything is written: a gated repo's 401 leaves no folder behind.
        get_hf_file_metadata(
            file_url(req.repo_id, selection.files[0].name, commit, req.endpoint),
            token=req.token,
            endpoint=req.endpoint,
        )
        staging.mkdir(parents=True, exist_ok=True)
        write_json_atomic(
            staging / STATE,
            {
                "repo_id": req.repo_id,
                "revision": req.revision,
                "commit": commit,
                "endpoint": req.endpoint,
                "dest": str(req.dest),
                "total_bytes": total,
                "started_at": time.time(),
            },
        )
        emit({"event": "plan", "repo_id": req.repo_id, "revision": req.revision, "commit": commit, "dest": str(req.dest),
              "files": [{"name": f.name, "size": f.size} for f in selection.files], "skipped": selection.skipped,
              "total_bytes": total, "resumed_bytes": have, "weights": selection.weights})  # fmt: skip
        meter = ProgressMeter(total, have, emit)
        for f in selection.files:
            fetch_file(
                repo_id=req.repo_id,
                file=f,
                commit=commit,
                endpoint=req.endpoint,
                token=req.token,
                staging=staging,
                meter=meter,
            )
            emit({"event": "file_done", "file": f.name})
        meter.report()
    except TuneDeskError:
        raise
    except Exception as exc:
        translated = translate(exc, req.repo_id, req.revision, req.endpoint, req.token is not None)
        if translated is exc:
            raise
        raise translated from exc
    manifest = {
        "format": 1,
        "repo_id": req.repo_id,
        "revision": req.revision,
        "commit": commit,
        "endpoint": req.endpoint,
        "weights": selection.weights,
        "files": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in selection.files],
        "skipped": selection.skipped,
        "remote_code": selection.remote_code,
        "pulled_at": time.time(),
    }
    finish(staging, req.dest, manifest)
    return {"ok": True, "already_complete": False, "resumed_bytes": have, **report_fields(req, manifest)}


def check_weights(req: PullRequest, weights: str) -> None:
    if weights == "none":
        raise ConfigError(
            f"{req.repo_id} has no safetensors or PyTorch weights at its top level (GGUF, ONNX or adapters only?).",
            "Choose the repo of the full model in transformers format (it has config.json and *.safetensors).",
        )
    if weights == "pickle" and not req.allow_pickle:
        raise ConfigError(
            f"{req.repo_id} has only pickle weights (pytorch_model*.bin). Loading a pickle file can run code, so TuneDesk does not download them unasked.",
            "Pull again with --allow-pickle (the app: 'Download pickle weights'), then convert them: "
            "python -m tunedesk convert-weights <model folder> (tensors only, nothing in them runs).",
        )


def finish(staging: Path, dest: Path, manifest: dict) -> None:
    """Manifest last, then one rename: a folder at `dest` is a complete model."""
    shutil.rmtree(staging / ".incomplete", ignore_errors=True)
    (staging / STATE).unlink(missing_ok=True)
    write_json_atomic(staging / MANIFEST, manifest)
    fsync_dir(str(staging))
    os.replace(staging, dest)
    fsync_dir(str(dest.parent))


def report_fields(req: PullRequest, manifest: dict) -> dict:
    return {
        "repo_id": req.repo_id,
        "revision": manifest.get("revision"),
        "commit": manifest.get("commit"),
        "model_dir": str(req.dest),
        "weights": manifest.get("weights"),
        "files": [f["name"] for f in manifest.get("files", [])],
        "bytes": sum(f["size"] for f in manifest.get("files", [])),
        "skipped": manifest.get("skipped", []),
        "remote_code": manifest.get("remote_code", []),
        "next": "python -m tunedesk convert-weights " + str(req.dest)
        if manifest.get("weights") == "pickle"
        else "",
    }


def human_emit(event: dict, last: list[float]) -> None:
    if event["event"] == "plan":
        resumed = f", {event['resumed_bytes'] / 1e6:.1f} MB already here" if event["resumed_bytes"] else ""
        print(
            f"pull: {event['repo_id']} at {event['commit'][:12]}: {len(event['files'])} files, {event['total_bytes'] / 1e6:.1f} MB{resumed}",
            file=sys.stderr,
        )
    elif event["event"] == "progress" and time.monotonic() - last[0] >= 2:
        last[0] = time.monotonic()
        eta = f", {event['eta_s']:.0f} s left" if event["eta_s"] is not None else ""
        print(
            f"  {event['bytes_done'] / 1e6:.1f}/{event['bytes_total'] / 1e6:.1f} MB, {event['speed_bps'] / 1e6:.1f} MB/s{eta}",
            file=sys.stderr,
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tunedesk pull",
        description="Download a model from the Hugging Face Hub (safetensors + config/tokenizer files) into "
        "<data-dir>/models/<org>--<name>, at a pinned commit; resumes an interrupted pull. "
        "Endpoint: HF_ENDPOINT. Token for gated models: HF_TOKEN or --token-stdin.",
    )
    parser.add_argument("repo_id", help="e.g. Qwen/Qwen2.5-0.5B-Instruct")
    parser.add_argument(
        "--revision", default="main", help="branch, tag or commit (default: main); recorded as a commit"
    )
    parser.add_argument(
        "--dest", help="the model folder to create (default: <data-dir>/models/<org>--<name>)"
    )
    parser.add_argument("--data-dir", help="TuneDesk's data folder (default: TUNEDESK_DATA_DIR or the app's)")
    parser.add_argument(
        "--allow-pickle", action="store_true", help="download pickle weights when a repo has nothing else"
    )
    parser.add_argument(
        "--token-stdin", action="store_true", help="read the access token from the first line of stdin"
    )
    parser.add_argument("--json", action="store_true", help="JSON lines: progress events, then the result")
    args = parser.parse_args(argv)

    token = sys.stdin.readline().strip() if args.token_stdin else os.environ.get("HF_TOKEN") or None
    dest = (
        Path(args.dest)
        if args.dest
        else Path(args.data_dir or default_data_dir()) / "models" / folder_name(args.repo_id)
    )
    req = PullRequest(
        repo_id=args.repo_id,
        revision=args.revision,
        dest=dest.absolute(),
        endpoint=(os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/"),
        token=token or None,
        allow_pickle=args.allow_pickle,
    )
    last = [0.0]

    def emit(event: dict) -> None:
        if args.json:
            print(json.dumps(event), flush=True)
        else:
            human_emit(event, last)

    # The app cancels with SIGTERM: end like Ctrl-C, keeping what was downloaded.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        result = pull(req, emit)
    except KeyboardInterrupt:
        message = {
            "kind": "interrupted",
            "message": "Stopped; what was downloaded is kept.",
            "hint": "Pull the same repo again to resume.",
        }
        print(
            json.dumps({"ok": False, "error": message})
            if args.json
            else f"pull: {message['message']} {message['hint']}",
            flush=True,
        )
        return 130
    except (TuneDeskError, OSError) as exc:
        return report_command_failure("pull", exc, args.json)
    if args.json:
        print(json.dumps(result), flush=True)
    else:
        state = "already complete" if result["already_complete"] else "done"
        print(f"pull: {state}: {result['model_dir']} ({result['repo_id']} at commit {result['commit']})")
        if result["next"]:
            print(f"  next: {result['next']}")
    return 0
