"""Training ChatGLM-6B (generation 1) in its legacy environment, by the user's recorded consent.

``python -m tunedesk train`` comes here when the model folder is a ChatGLM-6B checkpoint. The run
goes ahead only when all of these hold, else a ConfigError says what is missing, which files would
run and the exact command that fixes it:

1. consent was recorded (``legacy-env --create --i-agree-to-run``) for exactly the current contents
   of the Python files that would run (a changed, added or removed file needs a new consent);
2. this interpreter is the legacy environment's (python-runtime/.venv-legacy-chatglm, or the folder
   named by TUNEDESK_LEGACY_CHATGLM_ENV): the app and ``tunedesk train`` start it there;
3. the method is one whose code path avoids transformers-5-only APIs (not P-Tuning, see below).

Then the model and tokenizer load with trust_remote_code: the consent *is* the explicit agreement.

The model is called as the original scripts called it: ``input_ids`` and ``labels`` only. ChatGLM-6B
builds its own blank-infilling mask and 2D positions from ``input_ids`` (it looks for ``<sop>``); the
2D padding mask our batches carry would be misread, so ``drop_padding_mask`` removes it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .legacy import CONSENT_FILE, DEFAULT_ENV_DIR, ENV_VAR, files_that_would_run, legacy_env_dir


def env_python(env_dir: Path) -> Path:
    return Path(env_dir) / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def running_in(env_dir: Path) -> bool:
    """True when this interpreter is the virtual environment at ``env_dir`` (its sys.prefix)."""
    return Path(sys.prefix).resolve() == Path(env_dir).resolve()


def consent_changes(model_dir: Path, env_dir: Path, files: list[dict]) -> list[str] | None:
    """None when no consent is recorded for ``model_dir``; else the files that differ from it ([] = valid)."""
    try:
        record = json.loads((Path(env_dir) / CONSENT_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    agreed = (record.get("models") or {}).get(str(Path(model_dir).resolve()))
    if not agreed:
        return None
    agreed_files: dict = agreed.get("files") or {}
    current = {f["path"]: f["sha256"] for f in files}
    changed = [path for path, digest in current.items() if agreed_files.get(path) != digest]
    removed = [f"{path} (removed)" for path in agreed_files if path not in current]
    return changed + removed


def _listing(files: list[dict]) -> str:
    return (
        ", ".join(f"{f['path']} (sha256 {f['sha256'][:12]}...)" for f in files) or "(no Python files found)"
    )


def consent_command(model_dir: Path, env_dir: Path) -> str:
    command = f"python -m tunedesk legacy-env --model {model_dir} --create --i-agree-to-run {model_dir}"
    return f"{ENV_VAR}={env_dir} {command}" if env_dir != Path(DEFAULT_ENV_DIR).resolve() else command


def check_consent_and_env(model_dir: str) -> None:
    """Raise ConfigError unless the user agreed to the current files and this is the legacy environment."""
    model_dir_path = Path(model_dir).resolve()
    env_dir = legacy_env_dir()
    files = files_that_would_run(model_dir_path)
    agree = consent_command(model_dir_path, env_dir)
    changes = consent_changes(model_dir_path, env_dir, files)
    if changes is None:
        raise ConfigError(
            f"{model_dir}: ChatGLM-6B (the first generation) trains only with its own Python code, run with "
            f"trust_remote_code in its legacy environment ({env_dir}), and you have not agreed to run these "
            f"files: {_listing(files)}.",
            f"Read those files; if you trust them, run `{agree}` (creates the environment with transformers "
            "4.33 if it is missing -- that needs internet access -- and records your consent for exactly "
            "these file contents), then start the run again.",
        )
    if changes:
        raise ConfigError(
            f"{model_dir}: your consent to run ChatGLM-6B's own code covers other file contents: changed since "
            f"you agreed: {', '.join(changes)}. Files that would run now: {_listing(files)}.",
            f"Read the changed files; if you trust them, agree again: `{agree}`.",
        )
    python = env_python(env_dir)
    if not python.is_file():
        raise ConfigError(
            f"{model_dir}: ChatGLM-6B's legacy environment {env_dir} has no interpreter ({python} is missing).",
            f"Create it: `{agree}` (needs internet access).",
        )
    if not running_in(env_dir):
        raise ConfigError(
            f"{model_dir}: ChatGLM-6B trains only inside its legacy environment {env_dir} (transformers "
            f"4.27-4.33); this trainer runs in {sys.prefix}.",
            f"Start it with {python} -m tunedesk train ... (the app and `npx tunedesk train` choose that "
            "interpreter by themselves).",
        )


def check_legacy_settings(model_dir: str, train_type: str, mode: str | None) -> list[str]:
    """Refuse settings whose code path needs a newer transformers; return notes for the run log."""
    if train_type == "ptuning":
        raise ConfigError(
            "--train_type ptuning is not available for ChatGLM-6B: TuneDesk's P-Tuning needs transformers "
            "4.42 or newer, and the legacy environment has 4.33.",
            "Use --train_type lora, freeze or all for ChatGLM-6B.",
        )
    if mode not in (None, "glm"):
        raise ConfigError(
            f"--mode {mode} is a later ChatGLM's prompt layout; ChatGLM-6B was trained with --mode glm.",
            "Use --mode glm (or leave --mode out) for ChatGLM-6B.",
        )
    env_dir = legacy_env_dir()
    files = files_that_would_run(Path(model_dir).resolve())
    notes = [
        f"ChatGLM-6B: running its own code with trust_remote_code, by your consent recorded in "
        f"{env_dir / CONSENT_FILE}: {_listing(files)}"
    ]
    import transformers

    major_minor = tuple(int(part) for part in transformers.__version__.split(".")[:2])
    if not (4, 27) <= major_minor <= (4, 33):
        notes.append(
            f"ChatGLM-6B's code was written for transformers 4.27-4.33; this environment has "
            f"{transformers.__version__} (the legacy environment pins 4.33.3)"
        )
    return notes


def is_legacy_chatglm(model_config: dict[str, Any], model_dir: str) -> bool:
    if model_config.get("model_type") != "chatglm":
        return False
    from .detect import detect_chatglm

    info = detect_chatglm(Path(model_dir))
    return info is not None and info.generation == 1


def auto_class_name(model_config: dict[str, Any]) -> str:
    """ChatGLM-6B maps its LM-head class under AutoModel (and AutoModelForSeq2SeqLM), not AutoModelForCausalLM."""
    auto_map = model_config.get("auto_map") or {}
    for name in ("AutoModelForCausalLM", "AutoModel", "AutoModelForSeq2SeqLM"):
        if name in auto_map:
            return name
    return "AutoModelForCausalLM"


def drop_padding_mask(model) -> None:
    """Call the model with input_ids + labels only, as the originals did (see the module docstring)."""

    def hook(_module, args, kwargs):
        kwargs.pop("attention_mask", None)
        return args, kwargs

    model.register_forward_pre_hook(hook, with_kwargs=True)
