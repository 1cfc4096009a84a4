"""A tiny scripted browser for the emulator tests (PKCE, form parsing, the login conversation)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
import hashlib
from html.parser import HTMLParser
import json
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import aiohttp

from emulator import Emulator

PASSWORD = "tesla-demo-password"
REDIRECT_URI = "tesla://auth/callback"


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            named = dict(attrs)
            self.fields[named["name"] or ""] = named.get("value") or ""


def form_inputs(html: str) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(html)
    return parser.fields


def page_messages(html: str) -> dict[str, str]:
    match = re.search(r"var messages = ({.*});", html)
    assert match, "no messages script"
    return json.loads(match.group(1))


def claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


@dataclass
class Page:
    status: int
    text: str
    headers: dict[str, str]


@dataclass
class Browser:
    """One sign-in conversation against the emulator."""

    http: aiohttp.ClientSession
    base: str
    redirect_uri: str = REDIRECT_URI
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(64)[:86])
    state: str = field(default_factory=lambda: secrets.token_hex(8))
    form: dict[str, str] = field(default_factory=dict)

    def query(self, **extra: str) -> dict[str, str]:
        return {
            "client_id": "ownerapi",
            "code_challenge": challenge_of(self.verifier),
            "code_challenge_method": "S256",
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": "openid email offline_access",
            "state": self.state,
            **extra,
        }

    async def _page(self, response: aiohttp.ClientResponse) -> Page:
        return Page(response.status, await response.text(), dict(response.headers))

    async def open(self, email: str | None = None, **extra: str) -> Page:
        """GET /authorize (follows nothing; a region 303 is followed by hand)."""
        query = self.query(**({"login_hint": email} if email else {}), **extra)
        url = f"{self.base}/authorize?{urlencode(query)}"
        async with self.http.get(url, allow_redirects=False) as response:
            page = await self._page(response)
        if page.status == 303:
            self.base = page.headers["Location"].split("/authorize?")[0]
            async with self.http.get(
                page.headers["Location"], allow_redirects=False
            ) as response:
                page = await self._page(response)
        if page.status == 200:
            self.form = form_inputs(page.text)
        return page

    async def post(self, data: dict[str, str] | list[tuple[str, str]]) -> Page:
        url = f"{self.base}/authorize?{urlencode(self.query())}"
        async with self.http.post(url, data=data, allow_redirects=False) as response:
            page = await self._page(response)
        if page.status in (200, 401) and 'id="form"' in page.text:
            self.form = form_inputs(page.text)
        return page

    async def submit(
        self, email: str, password: str = PASSWORD, captcha: str | None = None
    ) -> Page:
        data = {**self.form, "identity": email, "credential": password}
        if captcha is not None:
            data["captcha"] = captcha
        return await self.post(data)

    async def captcha(self) -> bytes:
        async with self.http.get(f"{self.base}/captcha") as response:
            assert response.status == 200
            return await response.read()

    async def factors(self) -> list[dict[str, Any]]:
        async with self.http.get(
            f"{self.base}/authorize/mfa/factors",
            params={"transaction_id": self.form["transaction_id"]},
        ) as response:
            body = await response.json()
        return body["data"]

    async def verify(
        self, factor_id: str, passcode: str, **extra: str
    ) -> tuple[int, dict[str, Any]]:
        payload = {
            "transaction_id": self.form["transaction_id"],
            "factor_id": factor_id,
            "passcode": passcode,
            **extra,
        }
        async with self.http.post(
            f"{self.base}/authorize/mfa/verify", json=payload
        ) as response:
            return response.status, await response.json()

    async def backup(self, code: str, **extra: str) -> tuple[int, dict[str, Any]]:
        payload = {
            "transaction_id": self.form["transaction_id"],
            "backup_code": code,
            **extra,
        }
        async with self.http.post(
            f"{self.base}/authorize/mfa/backupcodes/attempt", json=payload
        ) as response:
            return response.status, await response.json()

    async def finish(self) -> Page:
        return await self.post({"transaction_id": self.form["transaction_id"]})

    async def token(
        self, code: str, issuer: str | None = None, **override: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        payload = {
            "grant_type": "authorization_code",
            "client_id": "ownerapi",
            "code": code,
            "code_verifier": self.verifier,
            "redirect_uri": self.redirect_uri,
            **override,
        }
        async with self.http.post(
            f"{issuer or self.base}/token", json=payload
        ) as response:
            return response.status, await response.json(), dict(response.headers)


def callback(page: Page) -> dict[str, str]:
    """The query of a 302 to the redirect_uri."""
    assert page.status == 302, page.status
    return {
        k: v[0] for k, v in parse_qs(urlparse(page.headers["Location"]).query).items()
    }


async def refresh(
    http: aiohttp.ClientSession, issuer: str, refresh_token: str
) -> tuple[int, dict[str, Any]]:
    payload = {
        "grant_type": "refresh_token",
        "client_id": "ownerapi",
        "refresh_token": refresh_token,
        "scope": "openid email offline_access",
    }
    async with http.post(f"{issuer}/token", json=payload) as response:
        return response.status, await response.json()


async def sign_in(
    http: aiohttp.ClientSession, emulator: Emulator, email: str = "owner@example.com"
) -> dict[str, Any]:
    """A complete plain sign-in; returns the token response."""
    browser = Browser(http, emulator.global_sso)
    await browser.open(email)
    result = callback(await browser.submit(email))
    status, body, _ = await browser.token(result["code"], result["issuer"])
    assert status == 200
    return body
