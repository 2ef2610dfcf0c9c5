"""OAuth 1.0a signing for the emulator tests: with oauthlib, and by hand from the documented steps."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from urllib.parse import quote, urlencode

from oauthlib.oauth1 import SIGNATURE_TYPE_QUERY, Client


def enc(text: str) -> str:
    return quote(text, safe="~")


def sign_by_hand(
    method: str, url: str, params: dict[str, str], key: str, secret: str, **overrides: str
) -> dict[str, str]:
    """Steps 1-5 of the reference: oauth params, normalise, base string, HMAC-SHA1 with ``secret&``."""
    oauth = {
        "oauth_consumer_key": key,
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_nonce": secrets.token_hex(8),
        "oauth_timestamp": str(int(time.time())),
        "oauth_version": "1.0",
        **overrides,
    }
    every = {**params, **oauth}
    normalized = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(every.items()))
    base = "&".join((method.upper(), enc(url), enc(normalized)))
    digest = hmac.new(f"{enc(secret)}&".encode(), base.encode(), hashlib.sha1).digest()
    return {**every, "oauth_signature": base64.b64encode(digest).decode()}


def signed_url_by_hand(
    method: str, url: str, key: str, secret: str, params: dict[str, str] | None = None, **overrides: str
) -> str:
    return f"{url}?{urlencode(sign_by_hand(method, url, params or {}, key, secret, **overrides), quote_via=quote)}"


def signed_url_by_oauthlib(method: str, url: str, key: str, secret: str) -> str:
    uri, _, _ = Client(key, client_secret=secret, signature_type=SIGNATURE_TYPE_QUERY).sign(
        url, http_method=method
    )
    return uri
