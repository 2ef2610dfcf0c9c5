"""What the provider logs through: a stdlib logger, or Airflow's structlog one, whichever the caller has."""

from __future__ import annotations

from typing import Any, Protocol


class Log(Protocol):
    """The three levels the provider logs at; every task's ``self.log`` and any ``logging.Logger`` have them."""

    def info(self, msg: str, /, *args: Any) -> Any: ...
    def warning(self, msg: str, /, *args: Any) -> Any: ...
    def error(self, msg: str, /, *args: Any) -> Any: ...
