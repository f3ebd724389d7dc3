"""What a run writes besides checkpoints: train.log (tee of stdout/stderr) and the event stream.

``RunReporter`` guarantees the contract of events.jsonl: run_started is the first line and
run_finished the last, even when the run fails before the model is loaded.
"""

from __future__ import annotations

import os
import sys
import time
from typing import IO, Any

from tunedesk.errors import classify
from tunedesk.events import EventWriter


class Tee:
    """A text stream that writes to the original stream and to train.log."""

    def __init__(self, original: IO[str], log: IO[str]):
        self._original = original
        self._log = log

    def write(self, text: str) -> int:
        self._original.write(text)
        if not self._log.closed:  # a logging handler may outlive the run that created it
            self._log.write(text)
        return len(text)

    def flush(self) -> None:
        self._original.flush()
        if not self._log.closed:
            self._log.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self._original.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self._original, "encoding", "utf-8")


def _writes_to(stream: Any, target: os.stat_result) -> bool:
    try:
        return os.path.samestat(os.fstat(stream.fileno()), target)
    except (AttributeError, OSError, ValueError):
        return False


class TrainLog:
    """Tee stdout and stderr into <run>/train.log for the lifetime of the run."""

    def __init__(self, run_dir: str):
        path = os.path.join(run_dir, "train.log")
        self._file = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        self._saved = (sys.stdout, sys.stderr)
        log_stat = os.fstat(self._file.fileno())
        # The app launches the trainer with stdout/stderr already pointing at train.log; copying
        # them there again would write every line twice.
        if not _writes_to(sys.stdout, log_stat):
            sys.stdout = Tee(sys.stdout, self._file)  # type: ignore[assignment]
        if not _writes_to(sys.stderr, log_stat):
            sys.stderr = Tee(sys.stderr, self._file)  # type: ignore[assignment]

    def close(self) -> None:
        sys.stdout, sys.stderr = self._saved
        self._file.close()


def print_error(kind: str, message: str, hint: str) -> None:
    """The console's form of a failure (stderr, so train.log has it too): what went wrong, then what to do."""
    print(f"error ({kind}): {message}\nhint: {hint}", file=sys.stderr, flush=True)


class RunReporter:
    """Event stream of one run, with timing of its own cost (for the <1% overhead budget)."""

    def __init__(self, run_dir: str | None, run_id: str, enabled: bool = True):
        path = os.path.join(run_dir, "events.jsonl") if run_dir and enabled else None
        self._writer = EventWriter(path)
        self.run_id = run_id
        self.started = False
        self.finished = False
        self.event_seconds = 0.0
        self._early_logs: list[tuple[str, str]] = []

    def emit(self, kind: str, **fields: Any) -> None:
        began = time.perf_counter()
        self._writer.emit(kind, **fields)
        self.event_seconds += time.perf_counter() - began

    def start(self, **fields: Any) -> None:
        self.emit("run_started", run_id=self.run_id, **fields)
        self.started = True

    def log(self, message: str, level: str = "info") -> None:
        print(message, file=sys.stderr if level != "info" else sys.stdout, flush=True)
        if self.started:
            self.emit("log", level=level, message=message)
        else:
            self._early_logs.append((level, message))

    def console(self, line: str) -> None:
        """A progress line for the console and train.log only (the event stream has it as metrics)."""
        print(line, flush=True)

    def flush_early_logs(self) -> None:
        """Logs from before run_started (data checks...) go right after it, keeping run_started first."""
        for level, message in self._early_logs:
            self.emit("log", level=level, message=message)
        self._early_logs = []

    def finish(self, status: str, **fields: Any) -> None:
        self.emit("run_finished", status=status, **fields)
        self.finished = True

    def fail(self, exc: BaseException, placeholder_start: dict[str, Any]) -> None:
        """End the stream with a classified failure; write a minimal run_started first if none was."""
        classified = classify(exc)
        if not self.started:
            self.start(**placeholder_start)
            self.flush_early_logs()
        self.finish("failed", error=classified.as_event_error())
        print_error(classified.kind, classified.message, classified.hint)

    def close(self) -> None:
        self._writer.close()


def refuse_other_run(run_dir: str, resume_from: str | None) -> None:
    """Raise ConfigError when ``run_dir`` already holds another run (a second run would merge into it).

    A run directory holds another run once it has events or checkpoints. Resuming from a checkpoint
    of that same directory continues it and is allowed; run.json alone (the app writes it before
    launching) is not a run yet.
    """
    from tunedesk.errors import ConfigError

    events = os.path.join(run_dir, "events.jsonl")
    checkpoints = os.path.join(run_dir, "checkpoints")
    has_events = os.path.isfile(events) and os.path.getsize(events) > 0
    steps = sorted(os.listdir(checkpoints)) if os.path.isdir(checkpoints) else []
    if not has_events and not steps:
        return
    if resume_from:
        inside = os.path.commonpath([os.path.realpath(resume_from), os.path.realpath(run_dir)])
        if inside == os.path.realpath(run_dir):
            return
    latest = os.path.join(checkpoints, steps[-1]) if steps else None
    resume = (
        f"resume it with --resume_from {latest} --output_dir {run_dir}"
        if latest
        else "it saved no checkpoint to resume from"
    )
    raise ConfigError(
        f"--output_dir {run_dir} already holds another run ({'events.jsonl' if has_events else 'checkpoints'}); "
        "a second run would be merged into it",
        f"Choose a new --output_dir for a new run, or {resume}.",
    )
