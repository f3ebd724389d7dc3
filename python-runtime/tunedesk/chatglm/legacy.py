"""``python -m tunedesk legacy-env``: the separate environment that ChatGLM-6B (generation 1) needs.

ChatGLM-6B has no native transformers implementation (2D positions, GLM's blank-infilling mask), so
it only runs with its own modeling_chatglm.py and transformers 4.27-4.33. This command explains that,
lists the checkpoint files that would run, and -- only with ``--i-agree-to-run <model dir>`` -- creates
python-runtime/.venv-legacy-chatglm from requirements-legacy-chatglm.txt and records the consent
(with the SHA-256 of each file, so a changed file needs a new consent). Creating is all-or-nothing:
the venv is built in a temporary folder and renamed; a failed install leaves nothing behind.
Training then runs in that environment by that consent: see legacy_run.py.

Exit status: 0 explained / created, 1 refused or failed (message + what to do, never a traceback),
2 bad command line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ..errors import ConfigError, DependencyError, TuneDeskError, report_command_failure
from .detect import detect_chatglm, remote_code_files

RUNTIME_DIR = Path(__file__).resolve().parents[2]  # python-runtime/
DEFAULT_ENV_DIR = RUNTIME_DIR / ".venv-legacy-chatglm"
REQUIREMENTS = RUNTIME_DIR / "requirements-legacy-chatglm.txt"
CONSENT_FILE = "tunedesk-consent.json"
ENV_VAR = "TUNEDESK_LEGACY_CHATGLM_ENV"  # another folder for the environment (tests point it at a stand-in)


def legacy_env_dir() -> Path:
    """The legacy environment's folder: $TUNEDESK_LEGACY_CHATGLM_ENV, else python-runtime/.venv-legacy-chatglm."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_ENV_DIR).expanduser().resolve()


EXPLANATION = (
    "ChatGLM-6B (the first generation) has no native implementation in today's transformers: it uses 2D "
    "positional encoding, GLM's blank-infilling attention mask and a [gMASK]/<sop> prefix layout. It runs "
    "only with its own Python code (modeling_chatglm.py, loaded with trust_remote_code) and transformers "
    "4.27-4.33, in a separate environment (python-runtime/.venv-legacy-chatglm). After you agree here, "
    "`python -m tunedesk train --model_name_or_path <dir>` (the app, `npx tunedesk train`) runs the trainer "
    "with that environment's Python and loads the model with trust_remote_code -- only while the listed "
    "files keep the SHA-256 you agreed to (a changed file needs a new consent); LoRA, Freeze and full "
    "training, --mode glm; the weights must be *.safetensors. ChatGLM2-6B and ChatGLM3-6B need none of "
    "this: convert them with `python -m tunedesk import-chatglm`."
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tunedesk legacy-env",
        description=EXPLANATION,
        epilog="Example: python -m tunedesk legacy-env --model ~/models/chatglm-6b --create "
        "--i-agree-to-run ~/models/chatglm-6b",
    )
    parser.add_argument("--model", help="the ChatGLM-6B folder: lists the files that would run")
    parser.add_argument("--create", action="store_true", help="create the legacy environment (needs consent)")
    parser.add_argument(
        "--i-agree-to-run",
        dest="agree",
        metavar="DIR",
        help="consent to run the Python files of this model folder (must be the --model folder)",
    )
    parser.add_argument("--env-dir", default=str(legacy_env_dir()), help=argparse.SUPPRESS)
    parser.add_argument("--python", default=sys.executable, help="interpreter for the environment (3.8-3.11)")
    parser.add_argument(
        "--agreed-files",
        metavar="JSON",
        help='with --create: the files the user was shown, {"path": "sha256", ...}; the consent is refused '
        "unless the folder's files are exactly these (the app passes what its screen listed)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return parser.parse_args(argv)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_that_would_run(model_dir: Path) -> list[dict]:
    return [
        {"path": str(p.relative_to(model_dir)), "bytes": p.stat().st_size, "sha256": sha256(p)}
        for p in remote_code_files(model_dir)
    ]


def env_status(env_dir: Path) -> dict:
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    pins = [
        line.strip()
        for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return {
        "path": str(env_dir),
        "exists": python.is_file(),
        "python": str(python),
        "requirements": str(REQUIREMENTS),
        "pins": pins,
    }


def has_consent(model_dir: Path, env_dir: Path = DEFAULT_ENV_DIR) -> bool:
    """True when the user agreed to run exactly the current Python files of ``model_dir``."""
    model_dir = Path(model_dir).resolve()
    try:
        record = json.loads((Path(env_dir) / CONSENT_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    agreed = record.get("models", {}).get(str(model_dir))
    if not agreed:
        return False
    current = {f["path"]: f["sha256"] for f in files_that_would_run(model_dir)}
    return current == agreed.get("files")


def _model_report(model_dir: Path) -> dict:
    if not (model_dir / "config.json").is_file():
        raise ConfigError(
            f"{model_dir} has no config.json.", "Point --model at the ChatGLM-6B checkpoint folder."
        )
    info = detect_chatglm(model_dir)
    report = {
        "path": str(model_dir),
        "generation": info.generation if info else None,
        "files": files_that_would_run(model_dir),
    }
    if not any(model_dir.glob("*.safetensors")) and any(model_dir.glob("*.bin")):
        # ChatGLM-6B is published as pickle shards only; the trainer loads safetensors only.
        report["weights_note"] = (
            "its weights are pickle files (.bin), which TuneDesk does not load: write a safetensors copy once "
            f"with `python -m tunedesk convert-weights {model_dir}` (reads tensors only, no code runs)"
        )
    if info is None:
        report["note"] = "Not a ChatGLM checkpoint: it needs no legacy environment."
    elif info.generation != 1:
        report["note"] = (
            f"{info.name} needs no legacy environment: use `python -m tunedesk import-chatglm {model_dir} --out <dir>`."
        )
    return report


def _check_consent(args: argparse.Namespace, model_dir: Path | None, files: list[dict]) -> None:
    if model_dir is None:
        raise ConfigError(
            "--create needs --model <ChatGLM-6B folder>.", "Name the checkpoint whose code will run."
        )
    listing = ", ".join(f["path"] for f in files) or "(no Python files found)"
    if not args.agree:
        raise ConfigError(
            f"Creating the legacy environment lets TuneDesk run these files of {model_dir} with "
            f"trust_remote_code: {listing}.",
            f"Read them; if you trust them, run again with --i-agree-to-run {model_dir}",
        )
    if Path(args.agree).expanduser().resolve() != model_dir:
        raise ConfigError(
            f"--i-agree-to-run names {args.agree}, but --model is {model_dir}.",
            "Consent covers one folder: pass the same folder to both options.",
        )
    if args.agreed_files is not None:
        _check_shown_files(args.agreed_files, files)


def _check_shown_files(agreed_json: str, files: list[dict]) -> None:
    """The consent is to what the user was shown: refuse when the folder's files differ from it.
    The same hashes are then recorded, so there is no moment where other contents are agreed to."""
    try:
        shown = json.loads(agreed_json)
        if not isinstance(shown, dict) or not all(isinstance(v, str) for v in shown.values()):
            raise ValueError("not an object of path -> sha256")
    except ValueError as exc:
        raise ConfigError(f"--agreed-files is not valid: {exc}.", 'Pass {"path": "sha256", ...}.') from exc
    current = {f["path"]: f["sha256"] for f in files}
    changes = [f"{path} changed" for path in current if path in shown and shown[path] != current[path]]
    changes += [f"{path} is new" for path in current if path not in shown]
    changes += [f"{path} is gone" for path in shown if path not in current]
    if changes:
        raise ConfigError(
            f"The model's Python files changed since you looked: {', '.join(changes)}. Nothing was agreed to.",
            "Read the files as they are now, then agree again.",
        )


def _python_version(python: str) -> tuple[int, int]:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.split()
        return int(out[0]), int(out[1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError) as exc:
        raise DependencyError(
            f"cannot run the interpreter {python}: {exc}", "Pass --python with a working Python 3.8-3.11."
        ) from exc


def create_env(env_dir: Path, python: str, log_path: Path) -> None:
    """Build the venv in a temporary folder, install the pins, rename; nothing is left on failure."""
    major, minor = _python_version(python)
    if not (3, 8) <= (major, minor) <= (3, 11):
        raise DependencyError(
            f"{python} is Python {major}.{minor}; the pinned torch 2.0.1 and transformers 4.33 need Python 3.8-3.11.",
            "Install Python 3.11 and pass it: --python /path/to/python3.11.",
        )
    tmp = env_dir.parent / f".{env_dir.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        # --without-pip: the host's pip installs into it (`pip --python`), which skips ensurepip's slow bootstrap.
        subprocess.run(
            [python, "-m", "venv", "--without-pip", str(tmp)], check=True, capture_output=True, timeout=300
        )
        venv_python = tmp / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        env = dict(os.environ)
        env.setdefault("PIP_RETRIES", "0")
        command = [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv_python),
            "install",
            "--no-input",
            "-r",
            str(REQUIREMENTS),
        ]
        with open(log_path, "w", encoding="utf-8") as log:
            result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env, check=False)
        if result.returncode != 0:
            raise DependencyError(
                "Could not install the legacy ChatGLM-6B packages (transformers 4.33.3, torch 2.0.1, cpm_kernels ...): "
                + _pip_reason(log_path),
                "This needs internet access (or a wheel mirror that has these versions). Connect, then run the same "
                f"command again. Nothing was changed; pip's full output is in {log_path}.",
            )
        if env_dir.exists():
            shutil.rmtree(env_dir)
        os.replace(tmp, env_dir)
    except subprocess.CalledProcessError as exc:
        raise DependencyError(
            f"could not create a virtual environment with {python}: {(exc.stderr or b'').decode(errors='replace').strip()}",
            "Install the venv module for that Python (Debian/Ubuntu: apt install python3-venv).",
        ) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _pip_reason(log_path: Path) -> str:
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    errors = [line.removeprefix("ERROR: ").strip() for line in lines if line.startswith("ERROR:")]
    return (
        "; ".join(errors[-2:]) if errors else (lines[-1].strip() if lines else f"pip failed (see {log_path})")
    )


def record_consent(env_dir: Path, model_dir: Path, files: list[dict]) -> None:
    path = env_dir / CONSENT_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        record = {"models": {}}
    record["models"][str(model_dir)] = {
        "files": {f["path"]: f["sha256"] for f in files},
        "agreed": int(time.time()),
    }
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def run(args: argparse.Namespace) -> dict:
    env_dir = Path(args.env_dir).expanduser().resolve()
    result: dict = {"ok": True, "explanation": EXPLANATION, "env": env_status(env_dir), "created": False}
    model_dir = Path(args.model).expanduser().resolve() if args.model else None
    if model_dir is not None:
        result["model"] = _model_report(model_dir)
        result["consent"] = has_consent(model_dir, env_dir)
    if args.create:
        files = result["model"]["files"] if model_dir else []
        _check_consent(args, model_dir, files)
        if not result["env"]["exists"]:
            log_path = env_dir.parent / f"{env_dir.name}-install.log"
            create_env(env_dir, args.python, log_path)
            result["created"] = True
        record_consent(env_dir, model_dir, files)
        result["env"] = env_status(env_dir)
        result["consent"] = True
    return result


def describe(result: dict) -> str:
    env = result["env"]
    lines = [
        result["explanation"],
        "",
        f"Legacy environment: {env['path']} ({'ready' if env['exists'] else 'not created'})",
    ]
    lines.append(f"  pins ({env['requirements']}): {', '.join(env['pins'])}")
    model = result.get("model")
    if model:
        lines.append(f"Model {model['path']}: files that would run with trust_remote_code:")
        lines += [
            f"  {f['path']} ({f['bytes']} bytes, sha256 {f['sha256'][:16]}...)" for f in model["files"]
        ] or ["  (none)"]
        if model.get("note"):
            lines.append(f"  note: {model['note']}")
        if model.get("weights_note"):
            lines.append(f"  weights: {model['weights_note']}")
        lines.append(f"  consent given: {'yes' if result.get('consent') else 'no'}")
    if result["created"]:
        lines.append("Created the legacy environment.")
    if not env["exists"]:
        lines.append("To create it: --model <dir> --create --i-agree-to-run <dir> (needs internet access).")
    elif model and result.get("consent"):
        lines.append(
            f"To train: {env['python']} -m tunedesk train --model_name_or_path {model['path']} --mode glm ... "
            "(the app and `npx tunedesk train` use this interpreter by themselves)."
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        result = run(args)
    except KeyboardInterrupt:
        print("legacy-env: interrupted; nothing was changed.", file=sys.stderr)
        return 1
    except (TuneDeskError, OSError) as exc:
        return report_command_failure("legacy-env", exc, args.json)
    print(json.dumps(result, ensure_ascii=False) if args.json else describe(result))
    return 0
