"""A scripted browser for a Fleet API app's sign-in (login, consent, callback) and its token calls."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import aiohttp

from emulator import Emulator

from .helpers import Browser, Page, callback

APP_ID = "my-fleet-app"
APP_SECRET = "my-fleet-app-secret-9c41"
APP_REDIRECT = "http://127.0.0.1:8123/auth/external/callback"
SCOPES = "openid offline_access user_data vehicle_device_data"
EMAIL = "owner@example.com"


def register(emulator: Emulator, **override: Any) -> None:
    """Register the test app (APP_ID) on the emulator."""
    emulator.register_app(
        **{
            "client_id": APP_ID,
            "client_secret": APP_SECRET,
            "redirect_uris": [APP_REDIRECT],
            **override,
        }
    )


class _Consent(HTMLParser):
    """The consent form: hidden fields, and each scope checkbox with whether it is fixed."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.boxes: dict[str, bool] = {}  # scope -> disabled (cannot be unticked)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag != "input":
            return
        if named.get("type") == "checkbox":
            self.boxes[named.get("value") or ""] = "disabled" in named
        elif named.get("type") == "hidden":
            self.hidden[named.get("name") or ""] = named.get("value") or ""


def consent_form(html: str) -> _Consent:
    parser = _Consent()
    parser.feed(html)
    assert 'id="consent-form"' in html, "not the consent page"
    return parser


@dataclass
class FleetBrowser(Browser):
    """A sign-in for the app `client_id` (PKCE S256, state), through login and consent."""

    redirect_uri: str = APP_REDIRECT
    client_id: str = APP_ID
    scope: str = SCOPES

    def query(self, **extra: str) -> dict[str, str]:
        return {
            **super().query(),
            "client_id": self.client_id,
            "scope": self.scope,
            **extra,
        }

    async def consent(
        self, page: Page, *, untick: tuple[str, ...] = (), deny: bool = False
    ) -> Page:
        """Answer the consent page as a person would: untick some boxes, Allow or Deny."""
        form = consent_form(page.text)
        # A browser sends the ticked boxes that are not disabled, and the button pressed.
        data: list[tuple[str, str]] = list(form.hidden.items())
        data += [
            ("scope", scope)
            for scope, fixed in form.boxes.items()
            if not fixed and scope not in untick
        ]
        data.append(("consent", "deny" if deny else "allow"))
        return await self.post(data)

    async def exchange(
        self, code: str, secret: str | None = APP_SECRET, **override: str
    ) -> tuple[int, dict[str, Any]]:
        """The code exchange at <global SSO>/token, as HA's OAuth2 helper sends it (form)."""
        payload = {
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "code": code,
            "code_verifier": self.verifier,
            "redirect_uri": self.redirect_uri,
            **({"client_secret": secret} if secret is not None else {}),
            **override,
        }
        async with self.http.post(f"{self.base}/token", data=payload) as response:
            return response.status, await response.json()

    async def code(self, email: str = EMAIL, untick: tuple[str, ...] = ()) -> str:
        """Login and allow everything asked (less `untick`); the callback's code."""
        await self.open(email)
        page = await self.consent(await self.submit(email), untick=untick)
        return callback(page)["code"]


async def app_refresh(
    http: aiohttp.ClientSession,
    base: str,
    refresh_token: str,
    *,
    client_id: str = APP_ID,
    secret: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """grant_type=refresh_token for an app (the secret is optional)."""
    payload = {
        "grant_type": "refresh_token",
        "client_id": client_id,
        "refresh_token": refresh_token,
        **({"client_secret": secret} if secret is not None else {}),
    }
    async with http.post(f"{base}/token", data=payload) as response:
        return response.status, await response.json()


async def fleet_tokens(
    http: aiohttp.ClientSession, emulator: Emulator, email: str = EMAIL, **kw: Any
) -> dict[str, Any]:
    """A complete sign-in for the app: the token response."""
    browser = FleetBrowser(http, emulator.global_sso, **kw)
    status, body = await browser.exchange(await browser.code(email))
    assert status == 200, body
    return body


async def api_get(
    http: aiohttp.ClientSession, url: str, token: str | None
) -> tuple[int, dict[str, Any]]:
    """GET a Fleet/Owner API URL with a Bearer token (None: no Authorization header)."""
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with http.get(url, headers=headers) as response:
        return response.status, await response.json()
