"""Request authentication: OAuth 1.0a signing and the process-wide OAuth 2.0 token cache."""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import re
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from airflow_provider_alteryx.constants import ApiFamily, CallKind
from airflow_provider_alteryx.hooks.answers import unusable_answer
from airflow_provider_alteryx.hooks.config import ServerConfig
from airflow_provider_alteryx.hooks.steps import ApiCall
from airflow_provider_alteryx.utils.scrub import register_secret

# A token is refreshed in the last part of its life: this share of it, at most MAX_REFRESH_LEAD seconds and
# never more than half (a 20 s token is refreshed after 15 s, a one-hour token a minute before it lapses).
REFRESH_SHARE = 0.25
MAX_REFRESH_LEAD_SECONDS = 60.0
# A token is not sent in its last seconds (or last tenth of a short life): it could lapse on the way.
EXPIRY_MARGIN_SECONDS = 5.0
# A failed fetch is the answer for every caller that needs a token within this long: while the Server is
# down, callers retrying on their own (jittered) schedules share one token request per hold instead of one each.
FAILURE_HOLD_SECONDS = 1.0
# The documented lifetime, assumed when a token answer has no expires_in.
DEFAULT_TOKEN_LIFETIME_SECONDS = 3600.0
# What a bearer token may consist of (RFC 6750, section 2.1: b64token).
_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def oauth1_headers(config: ServerConfig, call: ApiCall) -> dict[str, str]:
    """Sign a legacy-API call (HMAC-SHA1, key ``secret&``); the signature travels in the ``Authorization`` header.

    The header form keeps the signature out of URLs, and so out of access and debug logs.
    """
    # Imported where used (as all HTTP and OAuth libraries here): DAG files that only build operators stay cheap to parse.
    from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_TYPE_AUTH_HEADER
    from oauthlib.oauth1 import Client as OAuth1Client

    client = OAuth1Client(
        config.api_key,
        client_secret=config.api_secret,
        signature_method=SIGNATURE_HMAC_SHA1,
        signature_type=SIGNATURE_TYPE_AUTH_HEADER,
    )
    _, headers, _ = client.sign(call.full_url, http_method=call.method)
    return dict(headers)


def token_call(config: ServerConfig) -> ApiCall:
    """The client-credentials token request, with the credentials as form fields."""
    from oauthlib.oauth2 import BackendApplicationClient

    body = BackendApplicationClient(client_id=config.api_key).prepare_request_body(
        include_client_id=True, client_secret=config.api_secret
    )
    return ApiCall(
        "POST",
        config.token_url,
        ApiFamily.TOKEN,
        kind=CallKind.REPEATABLE,
        form=dict(parse_qsl(body)),
        expect="bytes",
        authenticated=False,
    )


@dataclass(frozen=True)
class Token:
    """An OAuth 2.0 access token and, on the monotonic clock, when to refresh it and when it stops being usable."""

    value: str = field(repr=False)
    refresh_at: float
    expires_at: float

    @classmethod
    def from_answer(cls, config: ServerConfig, call: ApiCall, body: bytes, now: float | None = None) -> Token:
        """Read the token endpoint's answer.

        :raises AlteryxProtocolError: an answer without a usable ``access_token`` or ``expires_in``.
        """
        from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error

        try:
            parsed = BackendApplicationClient(client_id=config.api_key).parse_request_body_response(
                body.decode("utf-8-sig")
            )
            lifetime = float(parsed.get("expires_in") or DEFAULT_TOKEN_LIFETIME_SECONDS)
            value = str(parsed["access_token"])
        except (OAuth2Error, KeyError, TypeError, ValueError, UnicodeDecodeError) as problem:
            raise unusable_answer(
                call,
                "a JSON token answer with access_token and expires_in",
                type(problem).__name__,
                body=body,
            ) from None
        if not lifetime > 0:
            raise unusable_answer(call, "a positive expires_in", f"expires_in {lifetime:g}", body=body)
        if not _BEARER_TOKEN.fullmatch(value):
            # It goes into an Authorization header: a line break there would add headers of the Server's choosing.
            raise unusable_answer(
                call, "an access_token of RFC 6750 token characters", "other characters", body=body
            )
        register_secret(value)
        now = time.monotonic() if now is None else now
        lead = min(MAX_REFRESH_LEAD_SECONDS, lifetime * REFRESH_SHARE)
        return cls(
            value=value,
            refresh_at=now + lifetime - lead,
            expires_at=now + lifetime - min(EXPIRY_MARGIN_SECONDS, lifetime / 10),
        )


CacheKey = tuple[str, str, str]  # (token URL, API key, digest of the API secret)


def token_cache_key(config: ServerConfig) -> CacheKey:
    """Tokens are shared per Server and credentials; a changed secret must not reuse a token (a Test button would lie)."""
    return (config.token_url, config.api_key, hashlib.sha256(config.api_secret.encode()).hexdigest())


class TokenCache:
    """OAuth 2.0 tokens for every Server and key this process talks to: one fetch per token lifetime.

    However many callers need a token (threads, or triggers on one event loop), one fetches it and the
    others wait for that same answer: no lock is held while the fetch is on its way. While a token is
    due for refresh but still valid, the callers that do not fetch keep using it. A fetch is one
    request: when it fails, every caller waiting for it, and every caller that needs a token within
    :data:`FAILURE_HOLD_SECONDS` after, fails with it (each as a failed try of its own request), so a
    Server coming back is not met by a herd of token requests.

    :param clock: a monotonic clock; tests step a fake one.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.fetches = 0
        self._tokens: dict[CacheKey, Token] = {}
        self._failures: dict[CacheKey, tuple[float, BaseException]] = {}
        self._guard = threading.Lock()
        self._thread_fetches: dict[CacheKey, concurrent.futures.Future[Token]] = {}
        self._loop_fetches: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[CacheKey, asyncio.Future[Token]]
        ] = weakref.WeakKeyDictionary()

    def _cached(self, key: CacheKey) -> tuple[Token | None, bool]:
        """The token to use now (None if none is valid) and whether a refresh is due.

        :raises Exception: the failure of a fetch less than :data:`FAILURE_HOLD_SECONDS` ago, where no token is valid.
        """
        token, now = self._tokens.get(key), self.clock()
        if token is None or now >= token.expires_at:
            failed = self._failures.get(key)
            if failed is not None and now - failed[0] < FAILURE_HOLD_SECONDS:
                raise failed[1]
            return None, True
        return token, now >= token.refresh_at

    def get(self, key: CacheKey, fetch: Callable[[], Token]) -> Token:
        """The key's token, fetching it in this thread if no other thread is already doing so."""
        token, due = self._cached(key)
        if not due:
            assert token is not None
            return token
        with self._guard:
            pending = self._thread_fetches.get(key)
            leader = pending is None
            if leader:
                pending = self._thread_fetches[key] = concurrent.futures.Future()
        assert pending is not None
        if not leader:
            return token if token is not None else pending.result()
        try:
            fresh = self._store(key, fetch())
            pending.set_result(fresh)
            return fresh
        except BaseException as error:
            self._failures[key] = (self.clock(), error)
            pending.set_exception(error)
            if token is not None:  # the refresh failed, but the old token is still valid
                return token
            raise
        finally:
            with self._guard:
                del self._thread_fetches[key]

    async def aget(self, key: CacheKey, fetch: Callable[[], Awaitable[Token]]) -> Token:
        """:meth:`get` for callers on an event loop: one fetch per loop, awaited by the loop's other callers."""
        token, due = self._cached(key)
        if not due:
            assert token is not None
            return token
        fetches = self._loop_fetches.setdefault(asyncio.get_running_loop(), {})
        pending = fetches.get(key)
        if pending is not None:
            if token is not None:
                return token
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if (
                    pending.cancelled()
                ):  # the caller that was fetching was cancelled, not this one: fetch here
                    return await self.aget(key, fetch)
                raise
        pending = fetches[key] = asyncio.get_running_loop().create_future()
        try:
            fresh = self._store(key, await fetch())
            pending.set_result(fresh)
            return fresh
        except asyncio.CancelledError:
            pending.cancel()
            raise
        except BaseException as error:
            self._failures[key] = (self.clock(), error)
            pending.set_exception(error)
            pending.exception()  # retrieved here, so an unawaited failure is not reported as never retrieved
            if token is not None:
                return token
            raise
        finally:
            del fetches[key]

    def _store(self, key: CacheKey, token: Token) -> Token:
        self.fetches += 1
        self._tokens[key] = token
        self._failures.pop(key, None)
        return token

    def discard(self, key: CacheKey, token: Token) -> None:
        """Forget a token the Server refused, unless another caller already replaced it."""
        with self._guard:
            if self._tokens.get(key) is token:
                del self._tokens[key]

    def clear(self) -> None:
        self._tokens.clear()
        self._failures.clear()
