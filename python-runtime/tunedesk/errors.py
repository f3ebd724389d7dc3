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


class OutOfMemory(TuneDeskError):
    kind = "oom"


@dataclass(frozen=True)
class Classified:
    kind: str
    message: str
    hint: str

    def as_event_error(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message, "hint": self.hint}


# Texts of a full disk in exceptions that carry no errno: safetensors (Rust io::Error: "No space
# left on device (os error 28)" / "code: 28, kind: StorageFull") and torch's zip writer, which
# reports a short write as "unexpected pos N vs M" or "PytorchStreamWriter failed writing file".
DISK_FULL_TEXTS = ("no space left on device", "os error 28", "code: 28", "storagefull", "disk quota exceeded")
SHORT_WRITE_TEXTS = ("unexpected pos", "pytorchstreamwriter failed writing file")
# CUDA: torch.OutOfMemoryError ("CUDA out of memory"); CPU: "DefaultCPUAllocator: can't allocate memory".
OOM_TEXTS = ("out of memory", "can't allocate memory", "cannot allocate memory")


def exception_chain(exc: BaseException) -> list[BaseException]:
    """exc and every exception it was raised from or during (__cause__ / __context__), once each."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def disk_full_link(exc: BaseException) -> BaseException | None:
    """The link of the chain that shows a full disk: ENOSPC/EDQUOT, or a full disk's text (incl.
    torch's short write); None when none does."""
    for link in exception_chain(exc):
        if isinstance(link, OSError) and link.errno in (errno.ENOSPC, errno.EDQUOT):
            return link
        text = str(link).lower()
        if any(marker in text for marker in DISK_FULL_TEXTS + SHORT_WRITE_TEXTS):
            return link
    return None


def is_disk_full(exc: BaseException) -> bool:
    return disk_full_link(exc) is not None


def is_out_of_memory(exc: BaseException) -> bool:
    for link in exception_chain(exc):
        if isinstance(link, MemoryError) or type(link).__name__ == "OutOfMemoryError":
            return True
        if any(marker in str(link).lower() for marker in OOM_TEXTS):
            return True
    return False


def _torch_compile_failure(exc: BaseException) -> BaseException | None:
    """The exception dynamo or inductor raised (a graph that does not compile, a missing C++
    compiler), following explicit causes only: dynamo handles its own exceptions internally, so an
    ordinary error raised while it did would carry one as its __context__."""
    current: BaseException | None = exc
    seen: list[BaseException] = []
    while current is not None and current not in seen:
        if type(current).__module__.startswith(("torch._dynamo", "torch._inductor")):
            return current
        seen.append(current)
        current = current.__cause__
    return None


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def classify(exc: BaseException) -> Classified:
    """Map any exception to a classified error with a one-line hint of what to change."""
    if isinstance(exc, TuneDeskError):
        return Classified(exc.kind, exc.message, exc.hint or "See train.log for details.")
    text = str(exc)
    name = type(exc).__name__
    if is_out_of_memory(exc):
        return Classified(
            "oom",
            f"Out of memory: {first_line(exc)}",
            "Turn on gradient checkpointing, lower per_device_train_batch_size or max_len, "
            "or choose a lighter method (LoRA, Freeze, P-Tuning).",
        )
    cause = disk_full_link(exc)
    if cause is not None:
        where = next(
            (link.filename for link in exception_chain(exc) if getattr(link, "filename", None)), None
        )
        detail = first_line(exc) if cause is exc else f"{first_line(exc)} ({first_line(cause)})"
        return Classified(
            "disk_full",
            f"The disk is full{f' (writing {where})' if where else ''}: {detail}",
            "Free disk space or choose another output_dir.",
        )
    compiler = _torch_compile_failure(exc)
    if compiler is not None:
        return Classified(
            "runtime",
            f"torch.compile failed ({type(compiler).__name__}): {first_line(compiler)}",
            "Train without --torch_compile (it needs a working C++ compiler on the CPU, Triton on an NVIDIA GPU).",
        )
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
