"""OAuth 1.0a verification the way the legacy Gallery API does it (one-legged, HMAC-SHA1, key ``secret&``).

Assumptions where no source says: a timestamp is accepted within ±300 s of the emulator's clock, and
a nonce reused inside that window is rejected with 401 (real clients send weak nonces, so a Server
that checked strictly would reject them; the window keeps a replayed request detectable).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import SimpleNamespace

from oauthlib.oauth1.rfc5849 import signature

TIMESTAMP_WINDOW_SECONDS = 300
INVALID_SIGNATURE = "The provided signature(oauth_signature) is invalid."


class OAuth1Verifier:
    """Checks the signature, key, method, version, timestamp and nonce of a signed request."""

    def __init__(self, secrets: Mapping[str, str]) -> None:
        """:param secrets: every API key the Server accepts, with its secret."""
        self._secrets = dict(secrets)
        self._nonces: dict[str, float] = {}

    def reset(self) -> None:
        self._nonces.clear()

    def problem(self, method: str, url: str, query: str, authorization: str | None) -> tuple[str | None, str]:
        """Why the request must be rejected (None when it is correctly signed), and the API key it was signed with.

        :param url: scheme, host, port and path as requested, without the query.
        :param query: the raw query string.
        :param authorization: the ``Authorization`` header, when it carries the OAuth parameters.
        """
        headers = (
            {"Authorization": authorization} if authorization and authorization.startswith("OAuth ") else {}
        )
        try:
            params = signature.collect_parameters(
                uri_query=query, headers=headers, exclude_oauth_signature=False
            )
        except ValueError:
            return "The OAuth parameters could not be read.", ""
        oauth = dict(p for p in params if p[0].startswith("oauth_"))
        missing = [
            k
            for k in (
                "oauth_consumer_key",
                "oauth_signature",
                "oauth_nonce",
                "oauth_timestamp",
                "oauth_signature_method",
            )
            if k not in oauth
        ]
        if missing:
            return f"Missing OAuth parameters: {', '.join(missing)}.", ""
        key = oauth["oauth_consumer_key"]
        return self._check(method, url, params, oauth, self._secrets.get(key)), key

    def _check(
        self, method: str, url: str, params: list[tuple[str, str]], oauth: dict[str, str], secret: str | None
    ) -> str | None:
        if secret is None:
            return "The provided API Key (oauth_consumer_key) is invalid."
        if oauth["oauth_signature_method"] != "HMAC-SHA1":
            return "The signature method(oauth_signature_method) must be HMAC-SHA1."
        if oauth.get("oauth_version", "1.0") != "1.0":
            return "The OAuth version(oauth_version) must be 1.0."
        if not self._fresh(oauth["oauth_timestamp"]):
            return "The provided timestamp(oauth_timestamp) is outside the accepted window."
        signed = [p for p in params if p[0] != "oauth_signature"]
        base = signature.signature_base_string(
            method.upper(), signature.base_string_uri(url), signature.normalize_parameters(signed)
        )
        # oauthlib signs with any object holding these two attributes; the key becomes "secret&".
        expected = signature.sign_hmac_sha1_with_client(
            base, SimpleNamespace(client_secret=secret, resource_owner_secret="")
        )
        if not signature.safe_string_equals(expected, oauth["oauth_signature"]):
            return INVALID_SIGNATURE
        # A nonce only counts as used once it came with a valid signature, so a forger cannot burn it.
        if self._replayed(oauth["oauth_nonce"] + "|" + oauth["oauth_timestamp"]):
            return "The provided nonce(oauth_nonce) has already been used."
        return None

    @staticmethod
    def _fresh(timestamp: str) -> bool:
        try:
            return abs(time.time() - int(timestamp)) <= TIMESTAMP_WINDOW_SECONDS
        except ValueError:
            return False

    def _replayed(self, nonce: str) -> bool:
        moment = time.time()
        if len(self._nonces) > 10_000:
            self._nonces = {
                n: t for n, t in self._nonces.items() if moment - t <= 2 * TIMESTAMP_WINDOW_SECONDS
            }
        if nonce in self._nonces:
            return True
        self._nonces[nonce] = moment
        return False
