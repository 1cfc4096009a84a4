"""The HTTP libraries under httpx log no secret, at any level.

httpx logs each URL with its query at INFO, httpcore and hpack the headers at DEBUG: the
Authorization header, Tesla's session cookie, the Location carrying the authorization code.
A whole sign-in, a refresh and an API check over HTTP/2, with every logger at DEBUG.
"""

from __future__ import annotations

import logging

from homeassistant.core import HomeAssistant
import httpx
import pytest

from custom_components.tesla_token.connection import (
    ConnectionProfile,
    async_flow_transport,
    async_token_transport,
)
from custom_components.tesla_token.library_logs import install_library_log_filters
from custom_components.tesla_token.sso import ApiAccess, Authorized, TeslaSso
from emulator import Emulator

from .helpers import EMAIL
from .leak_guard import Exposure, LeakGuard, find_leaks, format_log_record

PASSWORD = "tesla-demo-password"
pytestmark = pytest.mark.timeout(60)


async def test_a_sign_in_refresh_and_check_over_http2_log_no_secret(
    hass: HomeAssistant,
    trust_emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
    leak_guard: LeakGuard,
) -> None:
    caplog.set_level(logging.DEBUG)  # the root: every library logs at DEBUG
    base = f"{trust_emulator.https_url}/oauth2/v3"
    flow = await async_flow_transport(hass, ConnectionProfile.HTTP2)
    try:
        login = TeslaSso(flow.transport, base).password_sign_in()
        assert await login.start(EMAIL) is None
        assert isinstance(await login.submit_credentials(EMAIL, PASSWORD), Authorized)
        tokens = await login.fetch_tokens()
    finally:
        await flow.async_close()
    sso = TeslaSso(await async_token_transport(hass, ConnectionProfile.HTTP2), base)
    tokens = await sso.refresh(tokens.refresh_token)
    verdict = await sso.check_api_access(tokens.access_token, trust_emulator.https_url)
    assert verdict is ApiAccess.ACCEPTED

    records = caplog.get_records("call")
    # The libraries did log (the filters keep what holds no secret) …
    lines = [r.getMessage() for r in records if r.name == "httpx"]
    assert any("/oauth2/v3/authorize" in line for line in lines)
    assert any("/api/1/products" in line and "200 OK" in line for line in lines)
    assert all("?" not in line for line in lines)  # the query (state, hint) cut off
    assert any(r.name.startswith("httpcore.") for r in records)
    # … and no secret, whatever the logger.
    exposures = [Exposure(r.name, format_log_record(r)) for r in records]
    assert find_leaks(leak_guard.secrets, exposures) == []
    assert "Bearer" not in caplog.text
    assert "tesla-auth.sid" not in caplog.text


def shown(logger: str, msg: str, *args: object) -> str | None:
    """What a log shows of this record once the filters ran (None: dropped)."""
    record = logging.LogRecord(logger, logging.DEBUG, __file__, 1, msg, args, None)
    if not logging.getLogger(logger).filter(record):
        return None
    return record.getMessage()


def test_each_library_record_is_redacted_or_dropped() -> None:
    install_library_log_filters()
    install_library_log_filters()  # twice: still one filter per logger
    assert len(logging.getLogger("httpx").filters) == 1
    url = httpx.URL("https://user:pw@auth.tesla.com/oauth2/v3/authorize?state=s3cret#x")
    line = 'HTTP Request: %s %s "%s %d %s"'
    assert shown("httpx", line, "GET", url, "HTTP/2", 200, "OK") == (
        'HTTP Request: GET https://auth.tesla.com/oauth2/v3/authorize "HTTP/2 200 OK"'
    )
    assert shown("httpx", "%s", "https://x/?code=s3cret") is None
    assert shown("httpx", "no query here") == "no query here"
    assert shown("httpx", "a ?query") is None
    assert shown("httpx", "%(url)s", {"url": "https://x/?code=s3cret"}) is None
    assert shown("httpx", "%(n)s done", {"n": 1}) == "1 done"
    assert shown("httpx", "%d requests", "many") is None  # broken: not formatted
    headers = "receive_response_headers.complete return_value=(200, [(b'location', b'tesla://auth/callback?code=c')])"
    assert shown("httpcore.http2", headers) is None
    assert (
        shown(
            "httpcore.http11", "send_request_body.started request=<Request [b'POST']>"
        )
        is None
    )
    kept = "connect_tcp.started host='auth.tesla.com' port=443"
    assert shown("httpcore.connection", kept) == kept
    assert shown("hpack.hpack", "Decoded %s", "(b'set-cookie', b'sid')") is None
    assert shown("hpack.table", "Adding %s", "x") is None
