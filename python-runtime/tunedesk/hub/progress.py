"""Download progress as the app shows it: bytes done of total, speed over the last seconds, and
time left. Emitted at most a few times a second so a fast link does not flood the app."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

SPEED_WINDOW_S = 5.0
MIN_SPEED_WINDOW_S = 1.0


class ProgressMeter:
    def __init__(
        self,
        total: int,
        already: int,
        emit: Callable[[dict], None],
        interval_s: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.total = total
        self.done = already
        # Bytes that were already on disk when this pull started (a resumed download).
        self.resumed = already
        self.emit = emit
        self.interval_s = interval_s
        self.clock = clock
        self.samples: deque[tuple[float, int]] = deque([(clock(), already)])
        self.last_emit = 0.0
        self.file = ""

    def start_file(self, name: str) -> None:
        self.file = name

    def add(self, n: int) -> None:
        self.done += n
        now = self.clock()
        self.samples.append((now, self.done))
        while len(self.samples) > 2 and now - self.samples[0][0] > SPEED_WINDOW_S:
            self.samples.popleft()
        if now - self.last_emit >= self.interval_s:
            self.report(now)

    def rewind(self, n: int) -> None:
        """The server ignored a Range request and sent the file again from its start."""
        self.done -= n

    def speed(self) -> float:
        # Under a second of samples (connecting, small files) says nothing about the link yet.
        (t0, b0), (t1, b1) = self.samples[0], self.samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 - t0 >= MIN_SPEED_WINDOW_S else 0.0

    def report(self, now: float | None = None) -> None:
        self.last_emit = self.clock() if now is None else now
        speed = self.speed()
        left = max(self.total - self.done, 0)
        self.emit(
            {
                "event": "progress",
                "file": self.file,
                "bytes_done": self.done,
                "bytes_total": self.total,
                "speed_bps": round(speed),
                "eta_s": round(left / speed, 1) if speed > 0 else None,
            }
        )
