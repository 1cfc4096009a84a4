"""Redirects as the real (Express) server sends them, and callback URLs with their query."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from aiohttp import web


def callback_url(redirect_uri: str, params: dict[str, str | None]) -> str:
    """`redirect_uri` with the parameters that are not None added to its query."""
    query = urlencode(
        {k: v for k, v in params.items() if v is not None}, quote_via=quote, safe=""
    )
    return f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}"


def redirect(location: str, status: int = 302) -> web.Response:
    """The redirect the real (Express) server sends, with its plain-text body."""
    reason = "Found" if status == 302 else "See Other"
    return web.Response(
        status=status,
        text=f"{reason}. Redirecting to {location}",
        content_type="text/plain",
        charset="utf-8",
        headers={"Location": location},
    )
