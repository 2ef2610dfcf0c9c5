"""Checks of what users pass in, run before anything is sent to the Server, so no job exists when one fails.

Each error names the parameter, what was given (its type, and its value where that is not secret) and
the fix. The operator, the sensor and the trigger check their arguments when constructed, and their
templated ones again once rendered; the hook checks ids before building any URL from them.
"""

from __future__ import annotations

import math
import re
from typing import Any

from airflow_provider_alteryx.exceptions import AlteryxInputError

# Workflow, job, output and credential ids on every Server generation are 24 hexadecimal characters
# (MongoDB ObjectIds). Anything else cannot be an id, and may be a path ("A/../B") that would reach
# another resource once put in a URL.
_SERVER_ID = re.compile(r"[0-9a-fA-F]{24}")
# Polling faster than this gains nothing (the Server's own status updates are slower) and floods it.
MIN_POLL_INTERVAL = 0.05


def describe(value: Any) -> str:
    """A value as errors show it: its repr and type, shortened."""
    text = repr(value)
    return f"{text[:80]}{'...' if len(text) > 80 else ''} ({type(value).__name__})"


def server_id(value: Any, name: str) -> str:
    """``value`` if it is a Server id (24 hexadecimal characters), else an error naming ``name``.

    :raises AlteryxInputError: not a string, or not an id (e.g. a name, or a path such as ``A/../B``).
    """
    if isinstance(value, str) and _SERVER_ID.fullmatch(value.strip()):
        return value.strip()
    hint = (
        "pass the id as a string"
        if not isinstance(value, str)
        else "ids are 24 hexadecimal characters, as in the workflow's or job's URL on the Server"
    )
    raise AlteryxInputError(f"{name} is {describe(value)}, which is not an Alteryx Server id: {hint}.")


def optional_text(value: Any, name: str) -> str | None:
    """A free-text setting such as a worker tag: a string or None.

    :raises AlteryxInputError: any other type.
    """
    if value is None or isinstance(value, str):
        return value or None
    raise AlteryxInputError(f"{name} is {describe(value)}; pass a string, or None to leave it unset.")


def seconds(value: Any, name: str, *, minimum: float = 0.0) -> float:
    """A positive, finite number of seconds, at least ``minimum``.

    :raises AlteryxInputError: not a number, zero, negative, below ``minimum``, NaN or infinite.
    """
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or number <= 0 or number < minimum:
        floor = f" of at least {minimum:g}" if minimum else ""
        raise AlteryxInputError(f"{name} is {describe(value)}; use a finite number of seconds > 0{floor}.")
    return number


def optional_seconds(value: Any, name: str) -> float | None:
    """:func:`seconds`, or None where that means "no limit".

    :raises AlteryxInputError: as :func:`seconds`; the message also offers None.
    """
    if value is None:
        return None
    try:
        return seconds(value, name)
    except AlteryxInputError as error:
        raise AlteryxInputError(f"{str(error).rstrip('.')}, or None for no limit.") from None
