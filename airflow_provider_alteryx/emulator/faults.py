"""Fault injection: the emulator misbehaves on purpose so clients can prove they cope."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from typing import Any

SERVER_ERRORS = (500, 502, 503)


@dataclass
class Faults:
    """What the emulator does wrong, settable at start (CLI flags) and at run time (``PUT /__emulator/faults``).

    :param error_rate: share of API requests answered 500, 502 or 503 instead of being served.
    :param throttle_rate: share of API requests answered 429 with a ``Retry-After`` header.
    :param retry_after: seconds sent in ``Retry-After``.
    :param drop_rate: share of API requests whose connection is closed without an answer.
    :param latency: seconds added before every API answer.
    :param drop_job_responses: the next N job creations create the job, then drop the connection
        instead of answering (a response lost on the way back).
    """

    error_rate: float = 0.0
    throttle_rate: float = 0.0
    retry_after: float = 1.0
    drop_rate: float = 0.0
    latency: float = 0.0
    drop_job_responses: int = 0

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update, refusing unknown names and out-of-range values before changing anything."""
        known = {f.name: f.type for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(known)}")
        checked = dict(changes)
        for name, value in changes.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"fault {name} must be a number >= 0, got {value!r}")
            if name.endswith("_rate") and value > 1:
                raise ValueError(f"fault {name} is a probability and must be between 0 and 1, got {value}")
            checked[name] = int(value) if name == "drop_job_responses" else float(value)
        for name, value in checked.items():
            setattr(self, name, value)

    def draw(self, rng: random.Random) -> str | int | None:
        """The fault for one request: ``"drop"``, an HTTP status, or None to serve it."""
        if self.drop_rate and rng.random() < self.drop_rate:
            return "drop"
        if self.throttle_rate and rng.random() < self.throttle_rate:
            return 429
        if self.error_rate and rng.random() < self.error_rate:
            return rng.choice(SERVER_ERRORS)
        return None

    def take_job_response_drop(self) -> bool:
        if self.drop_job_responses <= 0:
            return False
        self.drop_job_responses -= 1
        return True
