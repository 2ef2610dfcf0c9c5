"""OAuth 2.0 tokens, stepped with a fake clock: one fetch per lifetime however many callers, no waiting
behind a refresh while the old token is still good, and no secret in the token's repr."""

from __future__ import annotations

import asyncio
import threading

import pytest

from airflow_provider_alteryx.constants import ApiFamily, Received
from airflow_provider_alteryx.exceptions import AlteryxConnectionError, AlteryxProtocolError
from airflow_provider_alteryx.hooks.auth import FAILURE_HOLD_SECONDS, Token, TokenCache
from airflow_provider_alteryx.hooks.config import ServerConfig
from airflow_provider_alteryx.hooks.steps import ApiCall

CONFIG = ServerConfig(base_url="http://alteryx.invalid", api_key="k", api_secret="s3cret-value")
CALL = ApiCall("POST", CONFIG.token_url, ApiFamily.TOKEN)
KEY = ("url", "k", "digest")


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def token(lifetime: float, now: float, value: str = "tok-1") -> Token:
    return Token.from_answer(
        CONFIG,
        CALL,
        f'{{"access_token": "{value}", "token_type": "bearer", "expires_in": {lifetime}}}'.encode(),
        now=now,
    )


@pytest.mark.parametrize(("lifetime", "refresh_after"), [(20, 15), (3600, 3540), (4, 3)])
def test_refresh_is_a_share_of_the_lifetime_never_more_than_half(
    lifetime: float, refresh_after: float
) -> None:
    issued = token(lifetime, now=0.0)
    assert issued.refresh_at == refresh_after
    assert lifetime / 2 <= issued.refresh_at < issued.expires_at <= lifetime


def test_one_fetch_per_lifetime_for_many_threads() -> None:
    clock = Clock()
    cache = TokenCache(clock)
    fetched: list[float] = []

    def fetch() -> Token:
        fetched.append(clock.now)
        return token(20, clock.now, value=f"tok-{len(fetched)}")

    for clock.now in (0.0, 5.0, 14.9):
        threads = [threading.Thread(target=cache.get, args=(KEY, fetch)) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert fetched == [0.0]
    clock.now = 15.5  # due for refresh, still valid
    assert cache.get(KEY, fetch).value == "tok-2"
    assert fetched == [0.0, 15.5]


def test_while_one_caller_refreshes_the_others_use_the_still_valid_token() -> None:
    clock = Clock()
    cache = TokenCache(clock)
    cache.get(KEY, lambda: token(20, 0.0))
    clock.now = 16.0
    release, entered = threading.Event(), threading.Event()

    def slow_fetch() -> Token:
        entered.set()
        release.wait(10)
        return token(20, clock.now, value="tok-2")

    refresher = threading.Thread(target=cache.get, args=(KEY, slow_fetch))
    refresher.start()
    entered.wait(10)
    assert cache.get(KEY, slow_fetch).value == "tok-1"  # not blocked behind the refresh in flight
    release.set()
    refresher.join()
    assert cache.get(KEY, slow_fetch).value == "tok-2"


def test_a_failed_refresh_keeps_the_valid_token_and_a_failed_first_fetch_raises() -> None:
    clock = Clock()
    cache = TokenCache(clock)

    def failing() -> Token:
        raise AlteryxConnectionError("down", received=Received.NO)

    with pytest.raises(AlteryxConnectionError):
        cache.get(KEY, failing)
    clock.now = FAILURE_HOLD_SECONDS  # past the hold of that failure
    cache.get(KEY, lambda: token(20, 0.0))
    clock.now = 16.0
    assert cache.get(KEY, failing).value == "tok-1"


def test_a_failed_fetch_answers_every_caller_for_the_hold_without_another_request() -> None:
    clock = Clock()
    cache = TokenCache(clock)
    fetches: list[float] = []

    def failing() -> Token:
        fetches.append(clock.now)
        raise AlteryxConnectionError("down", received=Received.NO)

    for moment in (0.0, 0.2, 0.9, FAILURE_HOLD_SECONDS + 0.1):
        clock.now = moment
        with pytest.raises(AlteryxConnectionError):
            cache.get(KEY, failing)
    assert fetches == [0.0, FAILURE_HOLD_SECONDS + 0.1]  # the calls within the hold shared the first failure
    clock.now += FAILURE_HOLD_SECONDS
    assert cache.get(KEY, lambda: token(20, clock.now)).value == "tok-1"  # past the hold: fetched again


def test_one_fetch_for_many_callers_on_an_event_loop() -> None:
    clock = Clock()
    cache = TokenCache(clock)
    fetches = 0

    async def fetch() -> Token:
        nonlocal fetches
        fetches += 1
        await asyncio.sleep(0.01)
        return token(20, clock.now)

    async def many() -> set[str]:
        return {t.value for t in await asyncio.gather(*(cache.aget(KEY, fetch) for _ in range(200)))}

    assert asyncio.run(many()) == {"tok-1"}
    assert fetches == 1


@pytest.mark.parametrize(
    "body",
    [b"<html>login</html>", b'{"token_type": "bearer"}', b'{"access_token": "x", "expires_in": -5}', b""],
)
def test_an_unusable_token_answer_is_one_clear_error_without_the_secret(body: bytes) -> None:
    with pytest.raises(AlteryxProtocolError, match="token answer|expires_in") as caught:
        Token.from_answer(CONFIG, CALL, body)
    assert CONFIG.api_secret not in str(caught.value)


def test_the_token_value_is_not_in_its_repr() -> None:
    assert "tok-1" not in repr(token(20, 0.0))
