"""A tiny SSO-shaped server on 127.0.0.1 that answers each sign-in step as a test scripts it.

Like tests/sso/odd_server.py, but the answers come from hypothesis: any status, headers and body,
delivered whole, cut short or not at all. It tells the steps apart the way Tesla's server does
(method, path, and for POST /authorize the form), so one script can take a client through a
whole sign-in and break it at any step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aiohttp import web

# Replaced, in a Location header or a body, by the `state` the request carries.
STATE_MARK = "%STATE%"


class Step(StrEnum):
    """One request of the sign-in conversation (or the refresh)."""

    PAGE = "page"  # GET /authorize
    CAPTCHA = "captcha"  # GET …/captcha
    CREDENTIALS = "credentials"  # POST /authorize with identity and credential
    FACTORS = "factors"  # GET /authorize/mfa/factors
    VERIFY = "verify"  # POST /authorize/mfa/verify
    BACKUP = "backup"  # POST /authorize/mfa/backupcodes/attempt
    FINISH = "finish"  # POST /authorize with only the transaction id
    CANCEL = "cancel"  # POST /authorize with cancel=1
    TOKEN = "token"  # POST /token


class Delivery(StrEnum):
    """How the answer reaches the client."""

    WHOLE = "whole"
    CUT_SHORT = "cut_short"  # headers and half the body, then the connection closes
    DROPPED = "dropped"  # the connection closes before any answer


@dataclass(frozen=True)
class Answer:
    """One scripted answer."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    delivery: Delivery = Delivery.WHOLE

    def __repr__(self) -> str:
        """Short enough to read in a failure report (a body may be 400 kB)."""
        body = self.body if len(self.body) <= 300 else self.body[:300] + b"..."
        return (
            f"Answer({self.status}, {self.headers!r}, {body!r} [{len(self.body)} bytes], "
            f"{self.delivery.value})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints failing examples through this (not through dataclass fields)."""
        printer.text(repr(self))


_NOT_FOUND = Answer(status=404, body=b"Not Found")


async def step_of(request: web.Request) -> Step | None:
    """Which step a request is, as Tesla's server would see it."""
    path = request.path.rstrip("/")
    if request.method == "POST" and path.endswith("/token"):
        return Step.TOKEN
    if path.endswith("/captcha"):
        return Step.CAPTCHA
    if path.endswith("/authorize/mfa/factors"):
        return Step.FACTORS
    if path.endswith("/authorize/mfa/verify"):
        return Step.VERIFY
    if path.endswith("/authorize/mfa/backupcodes/attempt"):
        return Step.BACKUP
    if not path.endswith("/authorize"):
        return None
    if request.method == "GET":
        return Step.PAGE
    form = await request.post()
    if "cancel" in form:
        return Step.CANCEL
    return Step.CREDENTIALS if "identity" in form else Step.FINISH


@dataclass
class AnswerServer:
    """Serves `script[step]` for each request (404 for steps it has no answer for)."""

    script: dict[Step, Answer] = field(default_factory=dict, repr=False)
    steps: list[Step | None] = field(default_factory=list, repr=False)
    base_url: str = ""
    state: str = field(default="", repr=False)
    _runner: web.AppRunner | None = field(default=None, repr=False)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """The script is reported with the example that drew it, not here."""
        printer.text(f"AnswerServer({self.base_url})")

    @property
    def sso(self) -> str:
        """The SSO base of this server."""
        return f"{self.base_url}/oauth2/v3"

    async def start(self) -> None:
        """Listen on 127.0.0.1, any free port."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        step = await step_of(request)
        self.steps.append(step)
        answer = self.script.get(step, _NOT_FOUND) if step else _NOT_FOUND
        # The state of the sign-in: the authorize requests carry it, /token echoes it.
        state = self.state = request.query.get("state", self.state)
        body = answer.body.replace(STATE_MARK.encode(), state.encode())
        headers = [
            (name, value.replace(STATE_MARK, state)) for name, value in answer.headers
        ]
        if answer.delivery is Delivery.DROPPED:
            return _drop(request)
        if answer.delivery is Delivery.CUT_SHORT:
            response = web.StreamResponse(status=answer.status, headers=headers)
            response.content_length = len(body) + 1
            await response.prepare(request)
            await response.write(body[: len(body) // 2])
            return _drop(request)
        return web.Response(status=answer.status, headers=headers, body=body)


class _Dropped(web.Response):
    """No answer: the connection is already closed, so aiohttp writes nothing."""


def _drop(request: web.Request) -> web.Response:
    if request.transport is not None:
        request.transport.close()
    return _Dropped(status=499)
