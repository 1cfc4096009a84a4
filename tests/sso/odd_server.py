"""A tiny HTTP server on 127.0.0.1 for answers the faithful emulator never gives.

Tesla may change its pages and JSON at any time; these tests prove that the client then fails
loudly (UNEXPECTED_RESPONSE naming what is missing) instead of guessing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import inspect
import json
from typing import Any

from aiohttp import web

type Answer = Callable[
    [web.Request], web.StreamResponse | Awaitable[web.StreamResponse]
]

SIGN_IN_PAGE = """<html><body><form method="post" id="form">
<input type="hidden" name="_csrf" value="c1" />
<input type="hidden" name="transaction_id" value="t1" />
<input type="text" name="identity" /><input type="password" name="credential" />
</form></body></html>"""
MFA_PAGE = '<html><script>post("/oauth2/v3/authorize/mfa/verify")</script></html>'


def html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    """Always answer this HTML."""
    return lambda _: web.Response(
        text=body, status=status, content_type="text/html", headers=headers
    )


def json_answer(data: Any, status: int = 200) -> Answer:
    """Always answer this JSON."""
    return lambda _: web.json_response(data, status=status, dumps=json.dumps)


def redirect(location: str, status: int = 302) -> Answer:
    """Always redirect there."""
    return lambda _: web.Response(status=status, headers={"Location": location})


@dataclass
class EndlessPage:
    """An answer that keeps sending a page (then stalls, as a slow server would)."""

    limit: int  # bytes sent before it stalls
    sent: int = 0

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        """Send 64 KiB chunks until the limit or until the client hangs up."""
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        try:
            while self.sent < self.limit:
                await response.write(b"<p>" + b" " * (64 * 1024))
                self.sent += 64 * 1024
            await asyncio.sleep(30)
        except ConnectionError:
            pass  # the client hung up: what the tests want
        return response


class OddServer:
    """Answers each (method, path) with a canned answer; anything else is 404."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], Answer] = {}
        self.requests: list[tuple[str, str]] = []
        self.bodies: list[bytes] = []  # the body of each request, in order
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def on(self, method: str, path: str, answer: Answer) -> None:
        self.answers[(method, path)] = answer

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        self.bodies.append(await request.read())
        answer = self.answers.get((request.method, request.path))
        if answer is None:
            return web.Response(status=404)
        response = answer(request)
        return await response if inspect.isawaitable(response) else response

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    @property
    def sso(self) -> str:
        return f"{self.base_url}/oauth2/v3"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
