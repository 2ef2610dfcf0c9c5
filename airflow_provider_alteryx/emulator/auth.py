"""Who is calling: OAuth 1.0a signatures on the legacy API, OAuth 2.0 bearer tokens on ``/webapi``.

Assumption where no source says: the token answer is ``{"access_token", "token_type": "bearer",
"expires_in"}``. Refusals are 400 ``{"error", "error_description"}`` as OWIN's OAuth server writes them
(clients written against real Servers read both keys): ``invalid_client`` for a wrong key or secret,
``unsupported_grant_type`` for any grant but ``client_credentials``; the descriptions are the emulator's.
"""

from __future__ import annotations

import base64
import binascii

from aiohttp import web

from airflow_provider_alteryx.emulator.config import ApiUser
from airflow_provider_alteryx.emulator.errors import ApiError, denied
from airflow_provider_alteryx.emulator.state import ServerState
from airflow_provider_alteryx.emulator.versions import Api


class Authenticator:
    """Turns a request's credentials into the :class:`ApiUser` making it, or an :class:`ApiError` 401."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    def user(self, request: web.Request, api: Api) -> ApiUser:
        """The caller of an API route of family ``api``.

        :raises ApiError: 401 with the reason, in the family's envelope.
        """
        return self._signed(request) if api is Api.LEGACY else self._bearer(request)

    def _signed(self, request: web.Request) -> ApiUser:
        url = str(request.url.with_query(None))
        problem, key = self.state.oauth1.problem(
            request.method, url, request.rel_url.raw_query_string, request.headers.get("Authorization")
        )
        if problem:
            raise ApiError(401, problem)
        return self.state.users[key]

    def _bearer(self, request: web.Request) -> ApiUser:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        key = self.state.tokens.owner(token.strip()) if scheme.lower() == "bearer" else None
        if key is None:
            raise denied()
        return self.state.users[key]

    async def issue_token(self, request: web.Request) -> web.Response:
        """``POST /webapi/oauth2/token``: client credentials in the form or in HTTP Basic, as both occur in the wild."""
        form = await request.post()
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
            except (ValueError, binascii.Error):
                client_id = client_secret = None
        grant = form.get("grant_type", "")
        if grant != "client_credentials":
            return _refused(
                "unsupported_grant_type",
                f"The grant type {grant!r} is not supported; send grant_type=client_credentials.",
            )
        user = self.state.users.get(client_id) if isinstance(client_id, str) else None
        if user is None or client_secret != user.secret:
            return _refused(
                "invalid_client",
                "The client credentials are invalid; use the API access key and secret of a user with API "
                "access (My Profile > Keys).",
            )
        token = self.state.tokens.issue(user)
        self.state.counters.tokens_issued += 1
        self.state.save()
        return web.json_response(
            {"access_token": token, "token_type": "bearer", "expires_in": int(self.state.tokens.ttl)}
        )


def _refused(error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=400)
