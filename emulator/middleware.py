"""Around every SSO request: the request log, the WAF knob and injected faults."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from . import pages
from .connections import connection_of
from .faults import Fault, FaultKind
from .records import RequestRecord
from .scenario import WafMode
from .urls import CONTROL_PREFIX
from .web_util import field_names, html_response, state_of

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MALFORMED_JSON_BODY = '{"data": {"valid": true, <!-- upstream error -->'


class DroppedResponse(web.Response):
    """Stands for "no answer": the connection was closed before it (aiohttp then writes nothing)."""


def _endpoint(request: web.Request) -> tuple[str | None, bool]:
    """The fault endpoint name of the route, and whether the WAF fronts it."""
    name = request.match_info.route.name
    if not name:
        return None, False
    group, _, rest = name.partition(".")
    return rest.partition(".")[0], group.startswith("sso_")


def waf_block(request: web.Request) -> web.Response:
    """Akamai's 403 answer."""
    return html_response(
        pages.waf_block_page(str(request.url)),
        status=403,
        headers={"Server": "AkamaiGHost"},
    )


def waf_challenge() -> web.Response:
    """The edge's JavaScript challenge page."""
    return html_response(pages.waf_challenge_page(), headers={"Server": "AkamaiGHost"})


def _drop(request: web.Request) -> DroppedResponse:
    """Close the connection; aiohttp finds it closed and quietly skips the answer."""
    if request.transport is not None:
        request.transport.close()
    return DroppedResponse(status=499)


async def _truncated(
    request: web.Request, response: web.StreamResponse
) -> web.StreamResponse:
    """Send the headers and half the body of `response`, then close the connection."""
    body = response.body if isinstance(response, web.Response) else b""
    data = body if isinstance(body, bytes) else b""
    broken = web.StreamResponse(status=response.status, headers=response.headers)
    broken.content_length = len(data)
    await broken.prepare(request)
    await broken.write(data[: len(data) // 2])
    _drop(request)
    return broken


async def _apply_fault(
    request: web.Request, handler: Handler, fault: Fault
) -> web.StreamResponse:
    kind = fault.kind
    if kind is FaultKind.STATUS:
        return html_response(
            pages.error_page("Error", f"The server answered {fault.status}."),
            status=fault.status,
        )
    if kind is FaultKind.RATE_LIMIT:
        headers = (
            {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        )
        return web.Response(status=429, text="Too Many Requests", headers=headers)
    if kind is FaultKind.DELAY:
        await asyncio.sleep(fault.delay)
        return await handler(request)
    if kind is FaultKind.DROP:
        return _drop(request)
    if kind is FaultKind.MALFORMED_JSON:
        return web.Response(text=MALFORMED_JSON_BODY, content_type="application/json")
    if kind is FaultKind.TRUNCATED:
        return await _truncated(request, await handler(request))
    if kind is FaultKind.WAF_BLOCK:
        return waf_block(request)
    return waf_challenge()


@web.middleware
async def emulator_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Log every non-control request (names only), then apply the WAF knob and faults."""
    if request.path.startswith(CONTROL_PREFIX):
        return await handler(request)
    state = state_of(request)
    body = await request.read() if request.can_read_body else b""
    connection = connection_of(request)  # before a dropped connection forgets it
    status = 0
    try:
        response = await _serve(request, handler)
    except web.HTTPException as exc:
        status = exc.status
        raise
    else:
        if not isinstance(response, DroppedResponse):
            status = response.status
        if "Server" not in response.headers:
            response.headers["Server"] = "nginx"
        return response
    finally:
        state.requests.append(
            RequestRecord(
                method=request.method,
                path=request.path,
                status=status,
                time=state.now(),
                query=tuple(dict.fromkeys(request.query)),
                form=field_names(body, request.content_type),
                connection=connection,
            )
        )


async def _serve(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = state_of(request)
    endpoint, behind_waf = _endpoint(request)
    if endpoint is None:
        return await handler(request)
    if behind_waf and state.scenario.waf == WafMode.BLOCK:
        return waf_block(request)
    if behind_waf and state.scenario.waf == WafMode.CHALLENGE:
        return waf_challenge()
    fault = state.faults.take(endpoint, request.method)
    if fault is None:
        return await handler(request)
    return await _apply_fault(request, handler, fault)
