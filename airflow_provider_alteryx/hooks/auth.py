"""Request authentication: OAuth 1.0a signing and the process-wide OAuth 2.0 token cache."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_TYPE_AUTH_HEADER
from oauthlib.oauth1 import Client as OAuth1Client
from oauthlib.oauth2 import BackendApplicationClient

from airflow_provider_alteryx.hooks.api import ApiCall, ServerConfig

# Refresh a token this long before it expires, so a call never goes out with a token about to lapse.
TOKEN_REFRESH_LEAD_SECONDS = 60.0
# The documented lifetime, assumed when a token answer has no expires_in.
DEFAULT_TOKEN_LIFETIME_SECONDS = 3600.0


def oauth1_headers(config: ServerConfig, call: ApiCall) -> dict[str, str]:
    """Sign a legacy-API call (HMAC-SHA1, key ``secret&``); the signature travels in the ``Authorization`` header.

    The header form keeps the signature out of URLs, and so out of access and debug logs.
    """
    client = OAuth1Client(config.api_key, client_secret=config.api_secret, signature_method=SIGNATURE_HMAC_SHA1, signature_type=SIGNATURE_TYPE_AUTH_HEADER)
    _, headers, _ = client.sign(call.full_url, http_method=call.method)
    return dict(headers)


def token_call(config: ServerConfig) -> ApiCall:
    """The client-credentials token request, with the credentials as form fields."""
    body = BackendApplicationClient(client_id=config.api_key).prepare_request_body(include_client_id=True, client_secret=config.api_secret)
    return ApiCall("POST", config.token_url, form=dict(parse_qsl(body)), expect="bytes", authenticated=False)


@dataclass(frozen=True)
class Token:
    value: str = field(repr=False)
    expires_at: float  # time.monotonic()

    @classmethod
    def from_answer(cls, config: ServerConfig, body: bytes) -> Token:
        parsed = BackendApplicationClient(client_id=config.api_key).parse_request_body_response(body.decode("utf-8-sig"))
        lifetime = float(parsed.get("expires_in") or DEFAULT_TOKEN_LIFETIME_SECONDS)
        return cls(value=parsed["access_token"], expires_at=time.monotonic() + lifetime)

    @property
    def fresh(self) -> bool:
        return time.monotonic() < self.expires_at - TOKEN_REFRESH_LEAD_SECONDS


CacheKey = tuple[str, str, str]  # (token URL, API key, digest of the API secret)


def token_cache_key(config: ServerConfig) -> CacheKey:
    """Tokens are shared per Server and credentials; a changed secret must not reuse a token (a Test button would lie)."""
    return (config.token_url, config.api_key, hashlib.sha256(config.api_secret.encode()).hexdigest())


class TokenCache:
    """OAuth 2.0 tokens for every Server and key this process talks to.

    However many callers need a token at the same moment (threads, or triggers on one event loop),
    one of them fetches it and the others wait for that answer.
    """

    def __init__(self) -> None:
        self._tokens: dict[CacheKey, Token] = {}
        self._guard = threading.Lock()
        self._thread_locks: dict[CacheKey, threading.Lock] = {}
        self._loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[CacheKey, asyncio.Lock]] = weakref.WeakKeyDictionary()

    def _fresh(self, key: CacheKey) -> Token | None:
        token = self._tokens.get(key)
        return token if token is not None and token.fresh else None

    def get(self, key: CacheKey, fetch: Callable[[], Token]) -> Token:
        token = self._fresh(key)
        if token is not None:
            return token
        with self._guard:
            lock = self._thread_locks.setdefault(key, threading.Lock())
        with lock:
            token = self._fresh(key)
            if token is None:
                token = self._tokens[key] = fetch()
            return token

    async def aget(self, key: CacheKey, fetch: Callable[[], Awaitable[Token]]) -> Token:
        token = self._fresh(key)
        if token is not None:
            return token
        locks = self._loop_locks.setdefault(asyncio.get_running_loop(), {})
        async with locks.setdefault(key, asyncio.Lock()):
            token = self._fresh(key)
            if token is None:
                token = self._tokens[key] = await fetch()
            return token

    def discard(self, key: CacheKey, token: Token) -> None:
        """Forget a token the Server refused, unless another caller already replaced it."""
        if self._tokens.get(key) is token:
            del self._tokens[key]

    def clear(self) -> None:
        self._tokens.clear()


TOKENS = TokenCache()
