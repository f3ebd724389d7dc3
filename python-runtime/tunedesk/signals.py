"""Cooperative stop: a STOP file in the run directory, SIGTERM or SIGINT.

The training loop asks ``requested()`` once per micro-batch — one os.path.exists, microseconds —
and, when true, finishes cleanly: checkpoint, run_finished cancelled. A second signal falls back
to the default action, so a user can always force an exit.
"""

from __future__ import annotations

import os
import signal


class StopRequest:
    def __init__(self, run_dir: str):
        self.stop_file = os.path.join(run_dir, "STOP")
        self.reason: str | None = None
        self._previous: dict[int, object] = {}

    def install(self) -> StopRequest:
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self._previous[sig] = signal.signal(sig, self._on_signal)
            except ValueError:  # not the main thread (e.g. embedded in tests): the STOP file still works
                pass
        return self

    def uninstall(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def _on_signal(self, signum: int, _frame) -> None:
        name = signal.Signals(signum).name
        if self.reason is not None:
            # Second request: restore the default and re-raise it, so the process really ends.
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.reason = f"{name} received"

    def requested(self) -> bool:
        if self.reason is None and os.path.exists(self.stop_file):
            self.reason = "STOP file found in the run directory"
        return self.reason is not None
