"""Classified failures. Every way a run can fail ends as one of these kinds, with a hint.

Commands raise ``TuneDeskError`` subclasses for the failures they understand; ``classify``
turns anything else (CUDA OOM, disk full, missing modules...) into the same shape, so the
run always ends with ``run_finished {status: failed, error: {kind, message, hint}}``.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass


class TuneDeskError(Exception):
    """A failure we can explain: ``kind`` is one of events.ERROR_KINDS."""

    kind = "runtime"

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigError(TuneDeskError):
    kind = "config"


class DataError(TuneDeskError):
    kind = "data"


class DependencyError(TuneDeskError):
    kind = "dependency"


class NonFiniteLossError(TuneDeskError):
    kind = "nan"


class DiskFullError(TuneDeskError):
    kind = "disk_full"


class VerificationError(TuneDeskError):
    kind = "verification"


@dataclass(frozen=True)
class Classified:
    kind: str
    message: str
    hint: str

    def as_event_error(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message, "hint": self.hint}


def classify(exc: BaseException) -> Classified:
    """Map any exception to a classified error with a one-line hint of what to change."""
    if isinstance(exc, TuneDeskError):
        return Classified(exc.kind, exc.message, exc.hint or "See train.log for details.")
    text = str(exc)
    name = type(exc).__name__
    if name == "OutOfMemoryError" or "out of memory" in text.lower():
        return Classified(
            "oom",
            f"Out of memory: {text.splitlines()[0] if text else name}",
            "Turn on gradient checkpointing, lower per_device_train_batch_size or max_len, "
            "or choose a lighter method (LoRA, Freeze, P-Tuning).",
        )
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return Classified("disk_full", f"The disk is full: {text}", "Free disk space or choose another output_dir.")
    if isinstance(exc, (ModuleNotFoundError, ImportError)):
        return Classified(
            "dependency",
            f"A Python package is missing or broken: {text}",
            "Re-create the trainer environment with `npm run setup:python`.",
        )
    return Classified("runtime", f"{name}: {text}", "See train.log for the full traceback.")


def report_command_failure(command: str, exc: BaseException, as_json: bool) -> int:
    """How a one-shot command (convert-weights, import-chatglm, legacy-env) ends on a failure:
    one JSON line for the app, or the message and what to do for a person; never a traceback. Returns 1."""
    import json
    import sys

    error = classify(exc)
    if as_json:
        print(json.dumps({"ok": False, "error": error.as_event_error()}, ensure_ascii=False))
    else:
        print(f"{command}: {error.message}\n  what to do: {error.hint}", file=sys.stderr)
    return 1
