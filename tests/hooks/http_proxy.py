"""A small forwarding HTTP proxy on loopback, whose log shows every request that went through it.

Enough of a proxy for a Server served over plain http (the emulator): it takes requests in the absolute
form clients send to a proxy (``GET http://host:port/path HTTP/1.1``) and forwards them to that address;
a request in any other form is refused with 400, so a client that went to the Server directly never
passes for one that went through here. With ``credentials`` it asks for them as a corporate proxy does:
407 and ``Proxy-Authenticate`` for a request without the right ``Proxy-Authorization``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from airflow_provider_alteryx.emulator.server import serving

# Headers that concern one connection, or the proxy itself: never forwarded.
HOP_HEADERS = {
    "connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "transfer-encoding",
    "content-length",
}


@dataclass(frozen=True)
class Forwarded:
    """One request the proxy forwarded (or refused): its method, its absolute target, the proxy user it gave."""

    method: str
    target: str
    user: str | None
    status: int
    forwarded: (
        bool  # False: the proxy answered itself (400 for a direct request, 407 for missing credentials)
    )

    @property
    def path(self) -> str:
        return urlsplit(self.target).path


@dataclass
class HttpProxy:
    """The running proxy: where it listens, and what it saw."""

    address: str  # http://127.0.0.1:<port>
    credentials: tuple[str, str] | None
    log: list[Forwarded] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The proxy's URL as a client is given it: with the credentials it asks for."""
        if self.credentials is None:
            return self.address
        user, password = self.credentials
        return self.address.replace("://", f"://{user}:{password}@")

    def api_requests(self) -> list[Forwarded]:
        """What went to the Server's API (the emulator's own control endpoints left out)."""
        return [entry for entry in self.log if not entry.path.startswith("/__emulator/")]

    def forwarded(self, method: str | None = None, path_part: str = "") -> int:
        """How many API requests (of ``method``, whose path contains ``path_part``) reached the Server through here."""
        return sum(
            1
            for entry in self.api_requests()
            if entry.forwarded and method in (None, entry.method) and path_part in entry.path
        )


def _user(request: web.Request) -> tuple[str | None, str | None]:
    scheme, _, value = request.headers.get("Proxy-Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    user, _, password = base64.b64decode(value).decode().partition(":")
    return user, password


def _app(proxy: HttpProxy) -> web.Application:
    async def forward(request: web.Request) -> web.StreamResponse:
        target = request.raw_path  # the absolute form for a request sent to a proxy
        user, password = _user(request)
        if not target.startswith("http://"):
            status = 400
        elif proxy.credentials is not None and (user, password) != proxy.credentials:
            status = 407
        else:
            status = 0
        if status:
            proxy.log.append(Forwarded(request.method, target, user, status, forwarded=False))
            headers = {"Proxy-Authenticate": 'Basic realm="test"'} if status == 407 else {}
            return web.Response(status=status, text=f"refused by the test proxy ({status})", headers=headers)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        async with (
            aiohttp.ClientSession(auto_decompress=False) as session,
            session.request(
                request.method, target, headers=headers, data=await request.read(), allow_redirects=False
            ) as answer,
        ):
            body = await answer.read()
            proxy.log.append(Forwarded(request.method, target, user, answer.status, forwarded=True))
            return web.Response(
                status=answer.status,
                body=body,
                headers={k: v for k, v in answer.headers.items() if k.lower() not in HOP_HEADERS},
            )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


@contextmanager
def http_proxy(credentials: tuple[str, str] | None = None) -> Iterator[HttpProxy]:
    """A proxy on a free loopback port, on its own thread, stopped on exit."""
    proxy = HttpProxy(address="", credentials=credentials)
    with serving(lambda: _app(proxy), "http-proxy") as address:
        proxy.address = address
        yield proxy
