"""A small HTTP proxy in front of the emulator that fails chosen requests, one at a time.

The emulator's faults are random shares of all requests; a test of one failure class needs *this*
request to fail, *before* or *after* the Server processed it, and nothing else to. The proxy forwards
everything to the emulator, except requests matching a :class:`Rule`, and counts what it saw.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

import aiohttp
from aiohttp import web

from airflow_provider_alteryx.emulator.server import serving

HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}


@dataclass
class Rule:
    """Fail the next ``times`` requests of ``method`` whose path contains ``path``.

    :param when: ``before`` the emulator sees the request (nothing happens there) or ``after`` (it was processed).
    :param answer: an HTTP status to answer instead, or ``drop`` to close the connection without an answer.
    :param meanwhile: called (on the proxy's thread) after forwarding and before answering, e.g. to create
        another caller's job while this answer is being lost.
    """

    method: str
    path: str
    when: Literal["before", "after"]
    answer: int | Literal["drop"]
    times: int = 1
    meanwhile: Callable[[], object] | None = None


@dataclass
class FaultProxy:
    url: str
    rules: list[Rule] = field(default_factory=list)
    seen: Counter[str] = field(default_factory=Counter)
    #: Called (on a thread) with the method and path of each request before it is forwarded, e.g. to hold
    #: requests until others have arrived.
    hold: Callable[[str, str], object] | None = None

    def count(self, method: str, path_suffix: str) -> int:
        """How many requests of ``method`` to a path ending with ``path_suffix`` arrived."""
        return sum(
            n
            for key, n in self.seen.items()
            if key.startswith(method + " ") and key.rstrip("/").endswith(path_suffix)
        )


def _matching(proxy: FaultProxy, request: web.Request, when: str) -> Rule | None:
    for rule in proxy.rules:
        if (
            rule.times > 0
            and rule.when == when
            and rule.method == request.method
            and rule.path in request.path
        ):
            rule.times -= 1
            return rule
    return None


def _fail(request: web.Request, rule: Rule) -> web.StreamResponse:
    if rule.answer == "drop":
        assert request.transport is not None
        request.transport.close()
        return web.Response()  # never reaches the client: its connection is gone
    return web.Response(
        status=rule.answer,
        text=f"<html><title>{rule.answer}</title>injected by the test proxy</html>",
        content_type="text/html",
    )


def _app(proxy: FaultProxy, target: str) -> web.Application:
    async def forward(request: web.Request) -> web.StreamResponse:
        proxy.seen[f"{request.method} {request.path}"] += 1
        if proxy.hold is not None:
            await asyncio.to_thread(proxy.hold, request.method, request.path)
        before = _matching(proxy, request, "before")
        if before is not None:
            return _fail(request, before)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method,
                target + request.rel_url.raw_path_qs,
                headers=headers,
                data=await request.read(),
                allow_redirects=False,
            ) as answer,
        ):
            body = await answer.read()
            after = _matching(proxy, request, "after")
            if after is not None:
                if after.meanwhile is not None:
                    await asyncio.to_thread(after.meanwhile)
                return _fail(request, after)
            return web.Response(
                status=answer.status,
                body=body,
                headers={k: v for k, v in answer.headers.items() if k.lower() not in HOP_HEADERS},
            )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


@contextmanager
def fault_proxy(target: str) -> Iterator[FaultProxy]:
    """A proxy to ``target`` on a free loopback port, on its own thread, stopped on exit."""
    proxy = FaultProxy(url="")
    with serving(lambda: _app(proxy, target), "fault-proxy") as url:
        proxy.url = url
        yield proxy
