"""Small helpers shared by the route modules: origin, request fields, JSON answers, the session cookie."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qsl, unquote

from aiohttp import web

from .records import Session
from .state import State

STATE_KEY = web.AppKey("emulator_state", State)
SESSION_COOKIE = "tesla-auth.sid"
SESSION_MAX_AGE = 3 * 24 * 3600
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def state_of(request: web.Request) -> State:
    """The emulator state behind this request."""
    return request.app[STATE_KEY]


def origin(request: web.Request) -> str:
    """scheme://host[:port] as the client addressed us (issuers and redirects use it)."""
    return f"{request.scheme}://{request.host}"


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON answer with the content type the real server sends."""
    return web.Response(
        status=status,
        text=json.dumps(data),
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def html_response(
    text: str, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """An HTML answer."""
    return web.Response(
        status=status,
        text=text,
        content_type="text/html",
        charset="utf-8",
        headers=headers,
    )


def error_envelope(code: str, message: str, status: int) -> web.Response:
    """The SSO's JSON error envelope: {"error": {"code", "message"}}."""
    return json_response({"error": {"code": code, "message": message}}, status=status)


def field_names(body: bytes, content_type: str) -> tuple[str, ...]:
    """The names (never the values) of the fields of a form or JSON body."""
    if not body:
        return ()
    if content_type == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            return ()
        return tuple(data) if isinstance(data, dict) else ()
    if content_type == "application/x-www-form-urlencoded":
        return tuple(
            dict.fromkeys(
                name
                for name, _ in parse_qsl(
                    body.decode("utf-8", "replace"), keep_blank_values=True
                )
            )
        )
    return ()


async def read_fields(request: web.Request) -> dict[str, str] | None:
    """String fields of a JSON or form body; None when the body is neither."""
    if request.content_type == "application/json":
        try:
            data = json.loads(await request.read())
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        return {
            str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()
        }
    if request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "",
    ):
        form = await request.post()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    return None


def basic_auth(request: web.Request) -> tuple[str, str] | None:
    """The (user, password) of an HTTP Basic Authorization header, if any."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
    except binascii.Error, UnicodeDecodeError:
        return None
    user, _, password = decoded.partition(":")
    return unquote(user), unquote(password)


def _signature(session_id: str, key: bytes) -> str:
    digest = hmac.new(key, session_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def find_session(request: web.Request) -> Session | None:
    """The session named by the request's `tesla-auth.sid` cookie, if it is valid."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    value = unquote(raw)
    if not value.startswith("s:"):
        return None
    session_id, _, signature = value[2:].rpartition(".")
    state = state_of(request)
    if not hmac.compare_digest(signature, _signature(session_id, state.key)):
        return None
    return state.sessions.get(session_id)


def set_session_cookie(
    request: web.Request, response: web.StreamResponse, session: Session
) -> None:
    """Set `tesla-auth.sid` as express-session does (signed `s:` value, HttpOnly, ~3 days)."""
    value = f"s%3A{session.id}.{_signature(session.id, state_of(request).key)}"
    response.set_cookie(
        SESSION_COOKIE,
        value,
        path="/",
        max_age=SESSION_MAX_AGE,
        httponly=True,
        secure=request.secure,
    )
