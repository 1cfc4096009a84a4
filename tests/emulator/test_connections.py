"""The HTTPS port, the connection each token request arrived over, and the Owner API's verdict.

Since June 2026 Tesla marks (`x-enc`) the access tokens it mints over a connection it does not
like, and the Owner API answers them 403. The emulator's knob `accepted_connections` names the
connections it likes; these tests reach it over the connections of the integration's profiles.
"""

from __future__ import annotations

import asyncio
import secrets
import ssl
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import aiohttp
from cryptography import x509
import httpx
import pytest

from emulator import Emulator, Fault, FaultKind, WafMode

from .helpers import PASSWORD, REDIRECT_URI, challenge_of, claims, form_inputs
from .tls_clients import PROFILES, Client, client

FORBIDDEN = {
    "response": None,
    "error": "forbidden, see https://developer.tesla.com/docs/fleet-api",
    "error_description": "",
}
INVALID_TOKEN = {
    "response": None,
    "error": "invalid bearer token",
    "error_description": "",
}

# knob name -> (the knob's value, the profiles whose tokens it accepts)
KNOBS: dict[str, tuple[Any, set[str]]] = {
    "any": ("any", set(PROFILES)),
    "none": ("none", set()),
    "only HTTP/2": ([{"http": "2"}], {"http2", "h2_tls12"}),
    "only TLS 1.2": ([{"tls": "1.2"}], {"tls12", "h2_tls12"}),
    "HTTP/2 over TLS 1.3, or plain HTTP": (
        [{"http": "2", "tls": "1.3"}, {"tls": "none"}],
        {"http2", "plain"},
    ),
    "HTTP/1.1 over TLS 1.3": ([{"http": "1.1", "tls": "1.3"}], {"http11"}),
}


async def set_knob(emulator: Emulator, value: Any) -> None:
    """Set `accepted_connections` through the control API, as the demo does."""
    async with (
        aiohttp.ClientSession() as http,
        http.patch(
            f"{emulator.base_url}/__emulator__/scenario",
            json={"accepted_connections": value},
        ) as response,
    ):
        assert response.status == 200
        assert (await response.json())["accepted_connections"] == value


async def token_log(emulator: Emulator) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{emulator.base_url}/__emulator__/tokens") as response,
    ):
        assert response.status == 200
        log: list[dict[str, Any]] = await response.json()
        return log


async def minted_record(emulator: Emulator, access_token: str) -> dict[str, Any]:
    """The control API's record of the access token (matched by its `jti`)."""
    jti = claims(access_token)["jti"]
    [record] = [r for r in await token_log(emulator) if r["jti"] == jti]
    return record


@pytest.mark.parametrize("profile", list(PROFILES))
@pytest.mark.parametrize("knob", list(KNOBS))
async def test_refresh_over_a_refused_connection_mints_a_forbidden_token(
    emulator: Emulator, knob: str, profile: str
) -> None:
    value, accepting = KNOBS[knob]
    await set_knob(emulator, value)
    refresh_token = emulator.state.mint_refresh_token("owner@example.com")
    tls, http_version = PROFILES[profile]
    good = profile in accepting
    async with client(emulator, profile) as refresher:
        refreshed = await refresher.refresh(refresh_token)
        assert refreshed.status == 200  # the refresh itself always succeeds
        assert refreshed.http_version == http_version
        access = refreshed.body["access_token"]
        assert ("x-enc" in claims(access)) is not good
        products = await refresher.products(access)
    if good:
        assert products.status == 200
        assert products.body["count"] == len(products.body["response"]) == 1
        assert products.body["response"][0]["state"] == "asleep"
    else:
        assert (products.status, products.body) == (403, FORBIDDEN)
    # The verdict belongs to the token, not to the connection that asks the Owner API.
    async with client(emulator, "plain") as other:
        assert (await other.products(access)).status == products.status
    record = await minted_record(emulator, access)
    assert record["connection"] == {"tls": tls, "http": http_version}
    assert record["accepted"] is good
    assert (record["email"], record["grant"]) == ("owner@example.com", "refresh_token")


async def sign_in_over(
    emulator: Emulator, refresher: Client, email: str = "owner@example.com"
) -> dict[str, Any]:
    """A whole sign-in (form, cookies, redirect, code exchange) over the client's connection."""
    verifier = secrets.token_urlsafe(64)[:86]
    query = urlencode(
        {
            "client_id": "ownerapi",
            "code_challenge": challenge_of(verifier),
            "code_challenge_method": "S256",
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": "openid email offline_access",
            "state": "s1",
            "login_hint": email,
        }
    )
    page = await refresher.request("GET", f"/oauth2/v3/authorize?{query}", raw=True)
    assert page.status == 200
    form = {**form_inputs(page.body), "identity": email, "credential": PASSWORD}
    posted = await refresher.request(
        "POST", f"/oauth2/v3/authorize?{query}", data=form, raw=True
    )
    assert posted.status == 302, posted.body
    location = posted.headers["location"]
    assert location.startswith(REDIRECT_URI)
    code = parse_qs(urlparse(location).query)["code"][0]
    answer = await refresher.request(
        "POST",
        "/oauth2/v3/token",
        json={
            "grant_type": "authorization_code",
            "client_id": "ownerapi",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": REDIRECT_URI,
        },
    )
    assert answer.status == 200
    tokens: dict[str, Any] = answer.body
    return tokens


@pytest.mark.parametrize(("profile", "good"), [("http2", False), ("tls12", True)])
async def test_sign_in_over_https_is_judged_by_its_code_exchange(
    emulator: Emulator, profile: str, good: bool
) -> None:
    await set_knob(emulator, [{"tls": "1.2"}])
    async with client(emulator, profile) as refresher:
        tokens = await sign_in_over(emulator, refresher)
        products = await refresher.products(tokens["access_token"])
    assert products.status == (200 if good else 403)
    record = await minted_record(emulator, tokens["access_token"])
    assert record["grant"] == "authorization_code"
    assert record["accepted"] is good
    # The issuer is the HTTPS origin the client addressed.
    assert claims(tokens["access_token"])["iss"] == f"{emulator.https_url}/oauth2/v3"


async def test_china_refresh_is_judged_the_same_way(emulator: Emulator) -> None:
    await set_knob(emulator, [{"http": "2"}])
    refresh_token = emulator.state.mint_refresh_token("china@example.com")
    verdicts = {}
    for profile in ("http2", "tls12"):
        async with client(emulator, profile) as refresher:
            refreshed = await refresher.refresh(refresh_token, region_prefix="/cn")
            assert refreshed.status == 200
            verdicts[profile] = (
                await refresher.products(refreshed.body["access_token"])
            ).status
    assert verdicts == {"http2": 200, "tls12": 403}


async def test_owner_api_refuses_missing_unknown_expired_and_revoked_tokens(
    emulator: Emulator, freezer: Any
) -> None:
    await set_knob(emulator, [{"http": "2"}])
    refresh_token = emulator.state.mint_refresh_token("owner@example.com")
    async with client(emulator, "http2") as good, client(emulator, "http11") as bad:
        assert (await good.products(None)).body == INVALID_TOKEN
        unknown = await good.products("eyJ" + "x" * 40)
        assert (unknown.status, unknown.body) == (401, INVALID_TOKEN)
        accepted = (await good.refresh(refresh_token)).body["access_token"]
        refused = (await bad.refresh(refresh_token)).body["access_token"]
        assert (await good.products(accepted)).status == 200
        assert (await good.products(refused)).status == 403
        freezer.tick(28801)
        # Expired: 401 for both, the refused one too.
        assert (await good.products(accepted)).status == 401
        assert (await good.products(refused)).status == 401
        fresh = (await good.refresh(refresh_token)).body["access_token"]
        assert (await good.products(fresh)).status == 200
        emulator.state.revoke("owner@example.com")
        assert (await good.products(fresh)).status == 401


async def test_connections_are_logged_and_tokens_never(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    refresh_token = emulator.state.mint_refresh_token("owner@example.com")
    minted = []
    for profile in ("http2", "tls12", "http11", "plain"):
        async with client(emulator, profile) as refresher:
            minted.append((await refresher.refresh(refresh_token)).body)
    async with http.get(f"{emulator.base_url}/__emulator__/requests") as response:
        log = await response.json()
    assert [(r["path"], r["connection"]) for r in log] == [
        ("/oauth2/v3/token", {"tls": "1.3", "http": "2"}),
        ("/oauth2/v3/token", {"tls": "1.2", "http": "1.1"}),
        ("/oauth2/v3/token", {"tls": "1.3", "http": "1.1"}),
        ("/oauth2/v3/token", {"tls": "none", "http": "1.1"}),
    ]
    tokens = await token_log(emulator)
    assert [r["connection"] for r in tokens] == [r["connection"] for r in log]
    assert all(r["accepted"] for r in tokens)  # the default knob accepts any
    text = str(tokens)
    for body in minted:
        for name in ("access_token", "refresh_token", "id_token"):
            assert body[name] not in text


async def test_the_https_certificate_is_verified(emulator: Emulator) -> None:
    # A context that does not trust the throw-away CA (nothing but a test's hook does).
    context = await asyncio.to_thread(ssl.create_default_context)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await http.get(f"{emulator.https_url}/api/1/products", ssl=context)
    async with client(emulator, "http11") as trusting:
        assert (await trusting.products(None)).status == 401
    # The certificate also names localhost (the demo may use either).
    port = int(emulator.https_url.rsplit(":", 1)[1])
    pem = await asyncio.to_thread(ssl.get_server_certificate, ("127.0.0.1", port))
    names = (
        x509.load_pem_x509_certificate(pem.encode())
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value
    )
    assert "localhost" in names.get_values_for_type(x509.DNSName)


@pytest.mark.parametrize("profile", ["http2", "http11", "plain"])
async def test_owner_api_faults(emulator: Emulator, profile: str) -> None:
    access = await mint_access(emulator)
    state = emulator.state
    async with client(emulator, profile) as caller:
        state.set_fault("products", Fault(FaultKind.RATE_LIMIT, retry_after=60))
        assert (await caller.products(access)).status == 429
        state.set_fault("products", Fault(FaultKind.STATUS, status=503))
        assert (await caller.products(access)).status == 503
        state.set_fault("products", Fault(FaultKind.MALFORMED_JSON))
        answer = await caller.products(access)
        assert (answer.status, type(answer.body)) == (200, str)
        # The WAF knob fronts the SSO, not the Owner API.
        state.scenario.waf = WafMode.BLOCK
        assert (await caller.products(access)).status == 200
        state.scenario.waf = WafMode.OFF
        for kind in (FaultKind.DROP, FaultKind.TRUNCATED):
            state.set_fault("products", Fault(kind, count=2))
            with pytest.raises((httpx.TransportError, aiohttp.ClientError)):
                await caller.products(access)
            state.clear_faults()
        # The connection (or, for HTTP/2, the other streams) still works.
        assert (await caller.products(access)).status == 200


async def mint_access(emulator: Emulator) -> str:
    refresh_token = emulator.state.mint_refresh_token("owner@example.com")
    async with client(emulator, "plain") as refresher:
        access: str = (await refresher.refresh(refresh_token)).body["access_token"]
        return access


async def test_large_bodies_over_http2(emulator: Emulator) -> None:
    # More than HTTP/2's initial 64 KiB window each way: flow control in both directions.
    accounts = [{"email": f"person{i:04d}@example.com"} for i in range(900)]
    async with client(emulator, "http2") as caller:
        put = await caller.request(
            "PUT", "/__emulator__/scenario", json={"accounts": accounts}
        )
        assert put.status == 200
        got = await caller.request("GET", "/__emulator__/scenario", raw=True)
    assert got.status == 200
    assert len(got.body) > 200_000
    assert got.body.count("@example.com") == 900
    assert emulator.state.scenario.account("person0899@example.com") is not None


async def test_plain_and_https_share_one_state(emulator: Emulator) -> None:
    browser_tokens = await sign_in_plain(emulator)
    async with client(emulator, "http2") as caller:
        products = await caller.products(browser_tokens["access_token"])
    assert products.status == 200


async def sign_in_plain(emulator: Emulator) -> dict[str, Any]:
    async with client(emulator, "plain") as caller:
        return await sign_in_over(emulator, caller)


async def test_concurrent_streams_on_one_http2_connection(emulator: Emulator) -> None:
    await set_knob(emulator, [{"http": "2"}])
    refresh_token = emulator.state.mint_refresh_token("owner@example.com")
    # One answer is delayed while the other streams are served on the same connection.
    emulator.state.set_fault("products", Fault(FaultKind.DELAY, delay=0.5))
    async with client(emulator, "http2") as caller:
        refreshed = await asyncio.gather(
            *(caller.refresh(refresh_token) for _ in range(6))
        )
        tokens = [answer.body["access_token"] for answer in refreshed]
        verdicts = await asyncio.gather(*(caller.products(t) for t in tokens))
    assert {answer.http_version for answer in refreshed} == {"2"}
    assert [answer.status for answer in verdicts] == [200] * 6
    assert len({claims(t)["jti"] for t in tokens}) == 6
    log = await token_log(emulator)
    assert [r["connection"] for r in log] == [{"tls": "1.3", "http": "2"}] * 6
