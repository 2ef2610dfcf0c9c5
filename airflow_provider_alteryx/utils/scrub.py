"""Keeping secrets out of everything the provider raises, logs or emits.

Airflow's secrets masker redacts task logs, but exception texts travel further: into trigger events,
the UI's connection Test result, and whatever a caller does with them. Every :class:`AlteryxError`
passes its message through :func:`scrub`, so a Server that echoes a posted secret or token back in
an error body cannot leak it.
"""

from __future__ import annotations

import re
import threading
from collections import deque

REDACTED = "***"
# Values known to be secret: API secrets and the tokens issued for them. Bounded: tokens rotate.
_SECRETS: deque[str] = deque(maxlen=256)
_GUARD = threading.Lock()
# Secret-bearing fields by name, whatever their value (a token issued to another process, a signature).
_SECRET_FIELDS = re.compile(
    r"""(?P<name>client_secret|access_token|refresh_token|oauth_signature|password|api_secret)(?P<sep>["']?\s*[:=]\s*["']?)(?P<value>[^"'&,\s}]+)""",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<name>Bearer\s+)(?P<value>[A-Za-z0-9\-._~+/]+=*)", re.IGNORECASE)
# The user and password of a URL, as a library quotes one in its error text (a proxy's, in aiohttp's errors).
_URL_CREDENTIALS = re.compile(r"//[^@\s'\"]*@")


# Shorter values are not redacted by value: they would match ordinary words (real API secrets and tokens
# are far longer); the secret-named fields below are redacted whatever their length.
MIN_SECRET_LENGTH = 8


def register_secret(value: str | None) -> None:
    """Remember a value that must never be shown."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        with _GUARD:
            if value not in _SECRETS:
                _SECRETS.append(value)


def forget_secrets() -> None:
    """Forget every registered value (the transport's reset does, so tests start from nothing)."""
    with _GUARD:
        _SECRETS.clear()


def scrub(text: str) -> str:
    """``text`` with every registered secret, every secret-named field's value and every URL's user and password
    replaced by ``***``."""
    with _GUARD:
        known = sorted(_SECRETS, key=len, reverse=True)  # longest first: a secret may contain another
    for value in known:
        if value in text:
            text = text.replace(value, REDACTED)
    text = _SECRET_FIELDS.sub(lambda m: f"{m['name']}{m['sep']}{REDACTED}", text)
    text = _URL_CREDENTIALS.sub(f"//{REDACTED}@", text)
    return _BEARER.sub(lambda m: f"{m['name']}{REDACTED}", text)
