"""How to reach one Alteryx Server: an Airflow connection's fields, checked once and held as a value."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_alteryx.constants import AuthType
from airflow_provider_alteryx.exceptions import AlteryxInputError
from airflow_provider_alteryx.utils.scrub import register_secret
from airflow_provider_alteryx.validation import describe, seconds

# Connections one triggerer (one event loop) keeps open to one Server. Little's law sizes it: requests in
# flight = requests per second x seconds per answer. 5,000 waits read one by one every 5 s on a Server
# answering in 0.3 s need 1,000/s x 0.3 s = 300; coalesced polling needs one per workflow, plus one read per
# job when its wait starts and ends. Connection extra ``pool_size`` overrides it; requests beyond it queue
# for a connection (that queueing is not counted in their timeout).
DEFAULT_POOL_SIZE = 256
MAX_POOL_SIZE = 1024
DEFAULT_TIMEOUT = 60.0
# What an Airflow connection id may consist of.
CONN_ID = re.compile(r"[A-Za-z0-9_.-]{1,250}")

Problem = Callable[[str], AlteryxInputError]


@dataclass(frozen=True)
class ServerConfig:
    """How to reach and authenticate to one Alteryx Server, read from an Airflow connection.

    :param base_url: scheme, host and port, e.g. ``https://alteryx.example.com``.
    :param api_key: the API key (connection login).
    :param api_secret: the API secret (connection password); never shown in reprs.
    :param auth_type: OAuth 2.0 (Server 2021.4 and later) or OAuth 1.0a (up to 2021.4).
    :param timeout: seconds for one whole answer, connecting included.
    :param workflow_url_template: the workflow page, with ``{gallery_url}`` and ``{workflow_id}``.
    :param scheme_assumed: the host had no scheme and ``https`` was assumed (said in connection errors).
    :param pool_size: connections one event loop keeps to the Server (async path).
    :param coordination_conn_id: the Redis connection through which job creations take turns across hosts;
        None for this machine's own store (:mod:`~airflow_provider_alteryx.hooks.coordination`).
    :param proxy: the proxy every request goes through, credentials included (extra ``proxy``); None for the
        environment's (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``). Never shown in reprs: see :func:`shown_proxy`.
    """

    base_url: str
    api_key: str
    api_secret: str = field(repr=False)
    auth_type: AuthType = AuthType.OAUTH2
    webapi_path: str = "/webapi"
    gallery_path: str = "/gallery"
    verify: bool | str = True
    timeout: float = DEFAULT_TIMEOUT
    workflow_url_template: str = "{gallery_url}/app/workflow/{workflow_id}"
    scheme_assumed: bool = False
    pool_size: int = DEFAULT_POOL_SIZE
    coordination_conn_id: str | None = None
    proxy: str | None = field(default=None, repr=False)

    @classmethod
    def from_connection(
        cls,
        conn_id: str,
        *,
        host: str | None,
        port: int | None,
        login: str | None,
        password: str | None,
        extra: Mapping[str, Any],
    ) -> ServerConfig:
        """Check a connection's fields and build the config, naming the field and the fix on any problem.

        :raises AlteryxInputError: a field that cannot work.
        """

        def bad(problem: str) -> AlteryxInputError:
            return AlteryxInputError(f"Alteryx connection '{conn_id}': {problem}")

        base_url, scheme_assumed = _base_url(host, port, bad)
        if not login or not password:
            raise bad("the API key (login) and API secret (password) are both required")
        return cls(
            base_url=base_url,
            api_key=login.strip(),
            api_secret=password.strip(),
            auth_type=_auth_type(extra.get("auth_type"), bad),
            webapi_path=_path(extra.get("webapi_path") or "/webapi"),
            gallery_path=_path(extra.get("gallery_path") or "/gallery"),
            verify=_verify(extra.get("verify", True), bad),
            timeout=_timeout(extra.get("timeout"), bad),
            workflow_url_template=str(extra.get("workflow_url_template") or cls.workflow_url_template),
            scheme_assumed=scheme_assumed,
            pool_size=_pool_size(extra.get("pool_size"), bad),
            coordination_conn_id=_conn_id(extra.get("coordination_conn_id"), bad),
            proxy=_proxy(extra.get("proxy"), bad),
        )

    @classmethod
    def from_airflow(cls, conn_id: str, conn: Any, extra: Mapping[str, Any]) -> ServerConfig:
        """:meth:`from_connection` for an Airflow connection object, its secrets (the API secret, the proxy's
        password) registered to be masked in logs and scrubbed from errors.

        :raises AlteryxInputError: a field that cannot work.
        """
        from airflow.providers.common.compat.sdk import mask_secret

        config = cls.from_connection(
            conn_id, host=conn.host, port=conn.port, login=conn.login, password=conn.password, extra=extra
        )
        proxy_password = urlsplit(config.proxy).password if config.proxy else None
        for secret in (config.api_secret, proxy_password):
            if secret:
                mask_secret(secret)
                register_secret(secret)
        return config

    @property
    def legacy(self) -> bool:
        """Whether calls go to the legacy Gallery API (OAuth 1.0a)."""
        return self.auth_type is AuthType.OAUTH1

    @property
    def server_key(self) -> str:
        """What identifies this Server's API in process-wide caches."""
        return self.base_url + self.webapi_path

    @property
    def capability_key(self) -> str:
        """What identifies this Server's API *for this key*: on 2021.4 and 2022.1 V3 answers only a Curator's key."""
        return f"{self.server_key} {self.api_key}"

    @property
    def gallery_url(self) -> str:
        return self.base_url + self.gallery_path

    @property
    def token_url(self) -> str:
        return f"{self.base_url}{self.webapi_path}/oauth2/token"

    def workflow_url(self, workflow_id: str) -> str:
        return self.workflow_url_template.format(
            gallery_url=self.gallery_url, base_url=self.base_url, workflow_id=workflow_id
        )


def _base_url(host: str | None, port: int | None, bad: Problem) -> tuple[str, bool]:
    if not host or not host.strip():
        raise bad("the host is empty; set it to the Server's base URL, e.g. https://alteryx.example.com")
    base_url = host.strip().rstrip("/")
    scheme_assumed = "://" not in base_url
    if scheme_assumed:
        base_url = "https://" + base_url
    parts = urlsplit(base_url)
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise bad(f"the host {host!r} has a port that is not a number from 0 to 65535") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad(f"the host {host!r} is not a URL like https://alteryx.example.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise bad(
            f"the host {host!r} has a path; put only scheme, host and port there and use the webapi_path and gallery_path extras"
        )
    if port and parts.port is None:
        base_url = f"{base_url}:{port}"
    return base_url, scheme_assumed


def _auth_type(value: Any, bad: Problem) -> AuthType:
    try:
        return AuthType(str(value or AuthType.OAUTH2).strip().lower())
    except ValueError:
        raise bad(
            f'extra auth_type is {value!r}; use "oauth2" (Server 2021.4 and later) or "oauth1" (up to 2021.4)'
        ) from None


def _timeout(value: Any, bad: Problem) -> float:
    if value is None or value == "":
        return DEFAULT_TIMEOUT
    try:
        return seconds(value, "extra timeout")
    except AlteryxInputError as error:
        raise bad(str(error)) from None


def _pool_size(value: Any, bad: Problem) -> int:
    if value is None or value == "":
        return DEFAULT_POOL_SIZE
    try:
        return pool_size_of(value, "extra pool_size")
    except AlteryxInputError as error:
        raise bad(str(error)) from None


def _conn_id(value: Any, bad: Problem) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not CONN_ID.fullmatch(value.strip()):
        raise bad(
            f"extra coordination_conn_id is {value!r}; use the id of a Redis connection (letters, digits, "
            "'_', '-' and '.'), or leave it out to take turns on this machine only"
        )
    return value.strip()


def _proxy(value: Any, bad: Problem) -> str | None:
    """An http(s) proxy's URL: scheme, host, optional port and credentials, nothing else (both HTTP stacks take that)."""
    if value is None or value == "":
        return None
    text = value.strip() if isinstance(value, str) else ""
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 - parsing the port is the check
        port_ok = True
    except ValueError:
        port_ok = False
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or not port_ok
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        shown = describe(shown_proxy(text)) if isinstance(value, str) else describe(value)
        raise bad(
            f"extra proxy is {shown}; use the http:// or https:// URL of the proxy (SOCKS is not supported), "
            "http://proxy.example.com:3128, with its user and password if it needs them "
            "(http://user:password@proxy.example.com:3128), or leave it out to use HTTPS_PROXY, HTTP_PROXY and NO_PROXY"
        )
    return text


def shown_proxy(url: str) -> str:
    """A proxy's URL as it may be shown: without its user and password (a proxy's credentials are secrets).

    Everything before the last ``@`` goes, whatever the URL's shape: a wrong one (no scheme, a ``/`` or ``#``
    in the password) is shown in an error too, and must not carry the password there.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "", url
    if "@" not in rest:
        return url
    return f"{scheme}{separator}***@{rest.rpartition('@')[2]}"


def pool_size_of(value: Any, name: str) -> int:
    """A connection pool size: a whole number from 1 to :data:`MAX_POOL_SIZE`.

    :raises AlteryxInputError: anything else.
    """
    try:
        size = int(str(value).strip()) if not isinstance(value, (bool, float)) else 0
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_POOL_SIZE:
        raise AlteryxInputError(
            f"{name} is {value!r}; use a whole number of connections from 1 to {MAX_POOL_SIZE} (default {DEFAULT_POOL_SIZE})"
        )
    return size


def _path(value: Any) -> str:
    return "/" + str(value).strip().strip("/")


def _verify(value: Any, bad: Problem) -> bool | str:
    """True, False, or the path of an existing CA bundle (checked now: a missing one would fail after a job exists)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.lower() in ("true", "1", "yes", ""):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    if not Path(text).is_file():
        raise bad(
            f"extra verify is {value!r}, which is neither true/false nor an existing file; use true, false, or the path of a CA bundle (PEM)"
        )
    return text
