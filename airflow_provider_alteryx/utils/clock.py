"""Where the provider reads time: one clock given to everything that waits, so tests can step a fake one."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Two readings: wall time for deadlines that travel between processes (a trigger's), monotonic for durations."""

    def time(self) -> float: ...
    def monotonic(self) -> float: ...


class SystemClock:
    """The real clocks."""

    @staticmethod
    def time() -> float:
        return time.time()

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()


SYSTEM_CLOCK = SystemClock()
