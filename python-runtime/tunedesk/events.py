"""The event stream (events.jsonl), schema version 1 — the trainer's half of the contract.

The TypeScript half is electron/shared/events.ts; both sides test themselves against the
golden files in tests/fixtures/golden-events/. Change one side, change the other.

Every line: {"v": 1, "ts": <unix seconds>, "type": <type>, ...fields}. Extra fields are
allowed (readers ignore what they do not know); required ones are checked here.
"""

from __future__ import annotations

import json
import math
import os
import time
from typing import IO, Any

SCHEMA_VERSION = 1

METHODS = ("freeze", "ptuning", "lora", "all")
RUN_STATUSES = ("completed", "cancelled", "failed")
LOG_LEVELS = ("info", "warning", "error")
ERROR_KINDS = ("oom", "data", "config", "nan", "disk_full", "dependency", "runtime", "interrupted", "verification")

_NUMBER = (int, float)

# type -> {field: python type(s)}. `bool` is excluded from ints below on purpose.
REQUIRED_FIELDS: dict[str, dict[str, Any]] = {
    # First line of a training run: what runs, on what, and how big.
    "run_started": {
        "run_id": str,
        "method": str,
        "engine": str,
        "model": str,
        "total_steps": int,
        "trainable_params": int,
        "total_params": int,
        "config": dict,
    },
    # Training metrics at one optimizer step; values holds loss, lr, grad_norm, tokens_per_s, mem_gb...
    "metrics": {"step": int, "epoch": _NUMBER, "values": dict},
    # Evaluation on the eval split at one step; values holds eval_loss...
    "eval": {"step": int, "values": dict},
    # A complete checkpoint (manifest written) at `path`, relative to the run directory.
    "checkpoint_saved": {"step": int, "path": str},
    # A human-readable message for the log panel.
    "log": {"level": str, "message": str},
    # Last line of a run; `error` {kind, message, hint} is present when status is failed.
    "run_finished": {"status": str},
    # Export progress: stage name and fraction done in [0, 1].
    "export_progress": {"stage": str, "fraction": _NUMBER},
    # Export result: status completed or failed, the output directory and the verification record.
    "export_finished": {"status": str, "out": str},
    # One streamed piece of generated text during predict.
    "predict_token": {"index": int, "text": str},
    # End of one prediction: the full text.
    "predict_finished": {"text": str},
}


class EventSchemaError(ValueError):
    """An event that does not follow schema version 1."""


def _is_type(value: Any, expected: Any) -> bool:
    if isinstance(value, bool):
        return expected is bool
    if expected is int:
        return isinstance(value, int)
    return isinstance(value, expected)


def validate_event(event: Any) -> None:
    """Raise EventSchemaError saying what is wrong with `event`; return None when valid."""
    if not isinstance(event, dict):
        raise EventSchemaError("an event must be a JSON object")
    if event.get("v") != SCHEMA_VERSION:
        raise EventSchemaError(f"v must be {SCHEMA_VERSION}, got {event.get('v')!r}")
    if not _is_type(event.get("ts"), _NUMBER):
        raise EventSchemaError("ts must be a number (unix seconds)")
    kind = event.get("type")
    if kind not in REQUIRED_FIELDS:
        raise EventSchemaError(f"unknown event type {kind!r}")
    for field, expected in REQUIRED_FIELDS[kind].items():
        if field not in event:
            raise EventSchemaError(f"{kind}: missing field {field!r}")
        if not _is_type(event[field], expected):
            raise EventSchemaError(f"{kind}: field {field!r} has the wrong type")
    if kind == "run_started" and event["method"] not in METHODS:
        raise EventSchemaError(f"run_started: method must be one of {METHODS}")
    if kind in ("metrics", "eval"):
        for key, value in event["values"].items():
            if value is not None and not _is_type(value, _NUMBER):
                raise EventSchemaError(f"{kind}: values.{key} must be a number or null")
    if kind == "log" and event["level"] not in LOG_LEVELS:
        raise EventSchemaError(f"log: level must be one of {LOG_LEVELS}")
    if kind == "run_finished":
        if event["status"] not in RUN_STATUSES:
            raise EventSchemaError(f"run_finished: status must be one of {RUN_STATUSES}")
        if event["status"] == "failed":
            _validate_error(event.get("error"), "run_finished")
    if kind == "export_finished":
        if event["status"] not in ("completed", "failed"):
            raise EventSchemaError("export_finished: status must be completed or failed")
        if event["status"] == "failed":
            _validate_error(event.get("error"), "export_finished")


def _validate_error(error: Any, kind: str) -> None:
    if not isinstance(error, dict):
        raise EventSchemaError(f"{kind}: a failure needs error {{kind, message, hint}}")
    for field in ("kind", "message", "hint"):
        if not isinstance(error.get(field), str):
            raise EventSchemaError(f"{kind}: error.{field} must be a string")
    if error["kind"] not in ERROR_KINDS:
        raise EventSchemaError(f"{kind}: error.kind must be one of {ERROR_KINDS}")


def _finite(value: Any) -> Any:
    """JSON has no NaN/inf: a non-finite metric is written as null (the NaN guard reports it)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def make_event(kind: str, **fields: Any) -> dict[str, Any]:
    return {"v": SCHEMA_VERSION, "ts": round(time.time(), 3), "type": kind, **_finite(fields)}


class EventWriter:
    """Appends validated events to a JSON-lines file, one flushed line per event.

    Flushing (not fsync) per line keeps the app's view live at a cost of microseconds;
    a reader only ever sees whole lines because each event is a single write call.
    """

    def __init__(self, path: str | os.PathLike[str] | None, echo: IO[str] | None = None):
        self._file = open(path, "a", encoding="utf-8") if path is not None else None  # noqa: SIM115
        self._echo = echo

    def emit(self, kind: str, **fields: Any) -> dict[str, Any]:
        event = make_event(kind, **fields)
        validate_event(event)
        line = json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n"
        if self._file is not None:
            self._file.write(line)
            self._file.flush()
        if self._echo is not None:
            self._echo.write(line)
            self._echo.flush()
        return event

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
