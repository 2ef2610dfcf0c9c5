"""A trigger of "another provider" that blocks the triggerer's event loop once, as badly written triggers do.

Airflow notices the silent event loop after ``[triggerer] runner_health_check_threshold`` and skips the
triggerer's heartbeats, so its triggers go to the other triggerer once the heartbeat is stale too; when the
loop runs again, Airflow 3.3.0-3.3.2 call on_kill on the triggers it lost. The trigger blocks from when it
writes ``marker`` until the file ``release`` appears (the test writes it once the triggers moved), or
``seconds`` at most. Because ``marker`` exists by then, it blocks only on the first triggerer that runs it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from airflow.providers.common.compat.sdk import BaseOperator
from airflow.triggers.base import BaseTrigger, TriggerEvent

PAUSE = 0.5


class BlockingTrigger(BaseTrigger):
    """Wait ``delay`` seconds politely, then block the event loop until ``release`` exists (``seconds`` at most)."""

    def __init__(self, seconds: float, delay: float, marker: str, release: str) -> None:
        super().__init__()
        self.seconds = seconds
        self.delay = delay
        self.marker = marker
        self.release = release

    def serialize(self) -> tuple[str, dict[str, Any]]:
        kwargs = {
            "seconds": self.seconds,
            "delay": self.delay,
            "marker": self.marker,
            "release": self.release,
        }
        return f"{type(self).__module__}.{type(self).__qualname__}", kwargs

    async def run(self) -> AsyncIterator[TriggerEvent]:
        await asyncio.sleep(self.delay)
        # Blocking calls in async code are the point of this trigger.
        marker, release = Path(self.marker), Path(self.release)
        if not marker.exists():  # noqa: ASYNC240
            marker.write_text("blocked")  # noqa: ASYNC240
            self.log.warning("Blocking the event loop until %s exists (%s s at most)", release, self.seconds)
            deadline = time.monotonic() + self.seconds
            while not release.exists() and time.monotonic() < deadline:  # noqa: ASYNC240
                time.sleep(PAUSE)  # noqa: ASYNC251
        yield TriggerEvent({"blocked": True})


class BlockTheTriggerer(BaseOperator):
    """Defer to :class:`BlockingTrigger` with the DAG run's params ``seconds``, ``delay``, ``marker`` and ``release``."""

    def execute(self, context: Any) -> None:
        params = context["params"]
        trigger = BlockingTrigger(
            float(params["seconds"]), float(params["delay"]), str(params["marker"]), str(params["release"])
        )
        self.defer(trigger=trigger, method_name="execute_complete")

    def execute_complete(self, context: Any, event: dict[str, Any]) -> None:
        self.log.info("The blocking trigger finished: %s", event)
