"""The hook's tuning arguments, checked once, the same way whether a hook is built or a DAG file is parsed.

Operators, sensors and triggers take them as ``hook_params`` and check them with
:func:`check_hook_params` when constructed, so a wrong one fails when the DAG is parsed, without
building a hook (or importing anything that talks to the Server): this module imports nothing of the
hook's machinery, which is why the retry policy it builds lives here and its use in
:mod:`~airflow_provider_alteryx.hooks.retry`.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_alteryx.exceptions import AlteryxInputError
from airflow_provider_alteryx.validation import describe, seconds

if TYPE_CHECKING:
    from airflow_provider_alteryx.hooks.config import ServerConfig


# Tries per step: at a sustained 20 % failure rate, 10 fail a step with probability 0.2**10 (about 1 in 10 million).
DEFAULT_ATTEMPTS = 10


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures (connection errors, timeouts, 408, 429, 500, 502, 503, 504) are retried.

    The tries make a flaky Server's faults all but invisible (:data:`DEFAULT_ATTEMPTS`); the budget keeps a
    Server that stays down from holding a task for longer than it says.

    :param attempts: tries per step of an operation, the first included; None for as many as the budget
        allows (a wait given a budget of its own: then the budget alone says how long an outage it rides out).
    :param delay: base of the exponential backoff with full jitter, in seconds.
    :param max_delay: longest single wait, in seconds (a ``Retry-After`` asking for more is capped to it).
    :param budget: seconds from an operation's start (a wait's: from the Server's last answer) after which
        no further try starts.
    """

    attempts: int | None = DEFAULT_ATTEMPTS
    delay: float = 0.5
    max_delay: float = 30.0
    budget: float = 300.0

    @classmethod
    def build(cls, *, attempts: Any, delay: Any, budget: Any) -> RetryPolicy:
        """A policy from user-given values (a hook's ``retry_limit``, ``retry_delay``, ``retry_budget``).

        :raises AlteryxInputError: a value that cannot work, named as the hook's parameter.
        """
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise AlteryxInputError(
                f"retry_limit is {describe(attempts)}; use a whole number of tries >= 1 (the first try included)."
            )
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay < math.inf:
            raise AlteryxInputError(f"retry_delay is {describe(delay)}; use a finite number of seconds >= 0.")
        return cls(attempts=attempts, delay=float(delay), budget=seconds(budget, "retry_budget"))


@dataclass(frozen=True)
class HookSettings:
    """A hook's retry policies and the connection settings its arguments override.

    :param retry_policy: every operation's, waits' reads excepted.
    :param wait_policy: a wait's: the same by default; with ``wait_retry_budget``, that budget and no limit
        on the number of tries (the budget alone says how long an outage the wait rides out).
    :param overrides: :class:`~airflow_provider_alteryx.hooks.config.ServerConfig` fields to replace
        (``timeout``, ``pool_size``).
    """

    retry_policy: RetryPolicy
    wait_policy: RetryPolicy
    overrides: Mapping[str, Any]

    @classmethod
    def parse(
        cls,
        retry_limit: Any = DEFAULT_ATTEMPTS,
        retry_delay: Any = RetryPolicy.delay,
        retry_budget: Any = RetryPolicy.budget,
        request_timeout: Any = None,
        pool_size: Any = None,
        wait_retry_budget: Any = None,
    ) -> HookSettings:
        """Check the hook's arguments, naming the first wrong one and its fix.

        :raises AlteryxInputError: an argument that cannot work.
        """
        overrides: dict[str, Any] = {}
        if request_timeout is not None:
            overrides["timeout"] = seconds(request_timeout, "request_timeout")
        if pool_size is not None:
            from airflow_provider_alteryx.hooks.config import pool_size_of  # what DAG parsing needs, no more

            overrides["pool_size"] = pool_size_of(pool_size, "pool_size")
        policy = RetryPolicy.build(attempts=retry_limit, delay=retry_delay, budget=retry_budget)
        # A wait given a budget of its own rides out outages up to it, its tries limited by that time alone.
        waits = (
            policy
            if wait_retry_budget is None
            else dataclasses.replace(
                policy, attempts=None, budget=seconds(wait_retry_budget, "wait_retry_budget")
            )
        )
        return cls(retry_policy=policy, wait_policy=waits, overrides=overrides)

    def apply(self, config: ServerConfig) -> ServerConfig:
        """``config`` with this hook's overrides."""
        return dataclasses.replace(config, **self.overrides) if self.overrides else config


# The connection's Test button (and ``airflow connections test``) answers within about 15 s on any failure:
# its own budget and request timeout, through the same retries as every operation.
TEST_CONNECTION_POLICY = RetryPolicy(attempts=3, budget=8.0)
TEST_CONNECTION_TIMEOUT = 5.0


def connection_test_config(config: ServerConfig) -> ServerConfig:
    """``config`` as the Test button uses it: requests time out after :data:`TEST_CONNECTION_TIMEOUT` at most."""
    return dataclasses.replace(config, timeout=min(config.timeout, TEST_CONNECTION_TIMEOUT))


# What hook_params may set: exactly the arguments HookSettings.parse takes (the connection id is the task's own).
HOOK_PARAMS = frozenset(inspect.signature(HookSettings.parse).parameters)


def check_hook_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``hook_params`` of an operator, sensor or trigger, checked now so a wrong one fails when the DAG is parsed.

    :raises AlteryxInputError: an unknown name, or a value the hook would refuse.
    """
    params = dict(params or {})
    unknown = sorted(set(params) - HOOK_PARAMS)
    if unknown:
        raise AlteryxInputError(
            f"hook_params has unknown name(s) {', '.join(unknown)}; the hook takes {', '.join(sorted(HOOK_PARAMS))}."
        )
    HookSettings.parse(**params)
    return params
