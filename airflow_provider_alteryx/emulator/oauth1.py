"""OAuth 1.0a verification the way the legacy Gallery API does it (one-legged, HMAC-SHA1, key ``secret&``)."""

from __future__ import annotations

import time
from types import SimpleNamespace

from oauthlib.oauth1.rfc5849 import signature

# The window the Server accepts a timestamp in, and remembers nonces for (reference, section 8).
TIMESTAMP_WINDOW_SECONDS = 300
INVALID_SIGNATURE = "The provided signature(oauth_signature) is invalid."


class OAuth1Verifier:
    """Checks the signature, key, method, version, timestamp and nonce of a signed request."""

    def __init__(self, api_key: str, api_secret: str) -> None:
        self._api_key = api_key
        self._api_secret = api_secret
        self._nonces: dict[str, float] = {}
        # oauthlib signs with any object holding these two attributes; the key becomes "secret&".
        self._signing_key = SimpleNamespace(client_secret=api_secret, resource_owner_secret="")

    def reset(self) -> None:
        self._nonces.clear()

    def problem(self, method: str, url: str, query: str, authorization: str | None) -> str | None:
        """Why the request must be rejected, or None when it is correctly signed.

        :param url: scheme, host, port and path as requested, without the query.
        :param query: the raw query string.
        :param authorization: the ``Authorization`` header, when it carries the OAuth parameters.
        """
        headers = {"Authorization": authorization} if authorization and authorization.startswith("OAuth ") else {}
        try:
            params = signature.collect_parameters(uri_query=query, headers=headers, exclude_oauth_signature=False)
        except ValueError:
            return "The OAuth parameters could not be read."
        oauth = dict(p for p in params if p[0].startswith("oauth_"))
        missing = [k for k in ("oauth_consumer_key", "oauth_signature", "oauth_nonce", "oauth_timestamp", "oauth_signature_method") if k not in oauth]
        if missing:
            return f"Missing OAuth parameters: {', '.join(missing)}."
        if oauth["oauth_consumer_key"] != self._api_key:
            return "The provided consumer key(oauth_consumer_key) is invalid."
        if oauth["oauth_signature_method"] != "HMAC-SHA1":
            return "The signature method(oauth_signature_method) must be HMAC-SHA1."
        if oauth.get("oauth_version", "1.0") != "1.0":
            return "The OAuth version(oauth_version) must be 1.0."
        if not self._fresh(oauth["oauth_timestamp"]):
            return "The provided timestamp(oauth_timestamp) is outside the accepted window."
        signed = [p for p in params if p[0] != "oauth_signature"]
        base = signature.signature_base_string(method.upper(), signature.base_string_uri(url), signature.normalize_parameters(signed))
        expected = signature.sign_hmac_sha1_with_client(base, self._signing_key)
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
            self._nonces = {n: t for n, t in self._nonces.items() if moment - t <= 2 * TIMESTAMP_WINDOW_SECONDS}
        if nonce in self._nonces:
            return True
        self._nonces[nonce] = moment
        return False
