"""A scripted browser: signs in on the emulator's own pages (captcha and MFA included)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import aiohttp

from emulator import Emulator


class _Page(HTMLParser):
    """The inputs of a sign-in form, and the captcha image's address."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.captcha_src: str | None = None
        self.feed(html)
        self.is_mfa = "/authorize/mfa/verify" in html

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "input" and named.get("name") and named.get("type") != "checkbox":
            self.fields[named["name"] or ""] = named.get("value") or ""
        if tag == "img" and named.get("data-id") == "captcha":
            self.captcha_src = named.get("src")


async def _second_factor(
    http: aiohttp.ClientSession,
    emulator: Emulator,
    authorize_url: str,
    email: str,
    transaction_id: str,
) -> str:
    """Verify the passcode of the account's first device, then finish; return the callback."""
    base = authorize_url.partition("?")[0].removesuffix("/authorize")
    async with http.get(
        f"{base}/authorize/mfa/factors", params={"transaction_id": transaction_id}
    ) as response:
        factor = (await response.json())["data"][0]
    async with http.post(
        f"{base}/authorize/mfa/verify",
        json={
            "transaction_id": transaction_id,
            "factor_id": factor["id"],
            "passcode": emulator.state.totp(email, factor["name"]),
        },
    ) as response:
        assert (await response.json())["data"]["valid"] is True
    async with http.post(
        authorize_url, data={"transaction_id": transaction_id}, allow_redirects=False
    ) as response:
        assert response.status == 302, response.status
        return response.headers["Location"]


async def browser_sign_in(
    emulator: Emulator, authorize_url: str, email: str, password: str
) -> str:
    """Sign in as a person would in a browser; return the callback address it ends on.

    Solves a captcha whenever the form shows one, and takes the passcode of the account's first
    MFA device when a second factor is asked for.
    """
    assert urlsplit(authorize_url).hostname == "127.0.0.1"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(authorize_url, allow_redirects=False) as response:
            assert response.status == 200, response.status
            page = _Page(await response.text())
        for _ in range(3):
            form = {**page.fields, "identity": email, "credential": password}
            if page.captcha_src is not None:
                async with http.get(urljoin(authorize_url, page.captcha_src)):
                    pass
                form["captcha"] = emulator.state.latest_captcha_answer() or ""
            async with http.post(
                authorize_url, data=form, allow_redirects=False
            ) as response:
                if response.status == 302:
                    return response.headers["Location"]
                assert response.status == 200, response.status
                answer = _Page(await response.text())
            if answer.is_mfa:
                return await _second_factor(
                    http, emulator, authorize_url, email, form["transaction_id"]
                )
            page = answer
        raise AssertionError("the sign-in did not finish")
