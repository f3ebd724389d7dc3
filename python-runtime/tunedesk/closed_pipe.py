"""A console that goes away (``... | head -1``, a closed terminal, the app's pipe) never ends a
command with a BrokenPipeError trace, and never stops a training run.

``guard_console`` wraps stdout and stderr once, at the entry point: the first write or flush that
finds the reader gone points the file descriptor at the null device (so later writes, the
interpreter's final flush and handlers that kept the raw stream all succeed), and the command
carries on with its real work and exit status. A run's contract is events.jsonl and train.log,
which do not depend on anyone reading the console.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from typing import IO, Any

_GONE = (errno.EPIPE, errno.EINVAL)  # EINVAL: Windows reports a closed pipe so on flush


class ConsoleStream:
    """A text stream that turns a vanished reader into silence."""

    def __init__(self, original: IO[str]):
        self._original = original
        self.reader_gone = False

    def _silence(self) -> None:
        self.reader_gone = True
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._original.fileno())
            os.close(null)
        except (OSError, ValueError, AttributeError):
            pass  # no descriptor to redirect: the writes below are dropped instead

    def _guarded(self, action, *args):
        if self.reader_gone and self._original.closed:
            return None
        try:
            return action(*args)
        except BrokenPipeError:
            self._silence()
        except OSError as exc:
            if exc.errno not in _GONE:
                raise
            self._silence()
        except ValueError:  # "I/O operation on closed file"
            if not self._original.closed:
                raise
            self.reader_gone = True
        try:  # the pending text now goes to the null device, so the buffer empties
            self._original.flush()
        except (OSError, ValueError):
            pass
        return None

    def write(self, text: str) -> int:
        self._guarded(self._original.write, text)
        return len(text)

    def flush(self) -> None:
        self._guarded(self._original.flush)

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding, buffer...
        return getattr(self._original, name)


def guard_console() -> Callable[[], None]:
    """Wrap sys.stdout and sys.stderr for one command; returns what puts the originals back (after
    flush_console: by then a vanished reader's descriptor already points at the null device)."""
    saved = (sys.stdout, sys.stderr)
    if sys.stdout is not None and not isinstance(sys.stdout, ConsoleStream):
        sys.stdout = ConsoleStream(sys.stdout)  # type: ignore[assignment]
    if sys.stderr is not None and not isinstance(sys.stderr, ConsoleStream):
        sys.stderr = ConsoleStream(sys.stderr)  # type: ignore[assignment]

    def restore() -> None:
        sys.stdout, sys.stderr = saved

    return restore


def flush_console() -> None:
    """The last flush before exit, inside the guard (the interpreter's own would print a trace)."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
