"""Driving the config flow in tests as a person does: accounts, forms, a scripted browser,
and the flow API the frontend uses.

Every result the driver (`FlowDriver`) gets is shown to the leak guard and checked for
translations; `start` and `submit` alone check nothing (the fuzz tests check the results they
keep).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from http import HTTPStatus
from pathlib import Path
import re
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
    ConfigFlowResult,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section

from custom_components.tesla_token.const import DOMAIN
from emulator import Emulator

from .conformance.translated import assert_translated
from .leak_guard import LeakGuard

PASSWORD = "tesla-demo-password"
OWNER = "owner@example.com"
CAPTCHA_ACCOUNT = "captcha@example.com"
MFA_ACCOUNT = "mfa@example.com"
CHINA_ACCOUNT = "china@example.com"
EN_JSON = (
    Path(__file__).parents[1]
    / "custom_components"
    / DOMAIN
    / "translations"
    / "en.json"
)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def server(emulator: Emulator, *, region: str = "global") -> dict[str, Any]:
    """The region and the emulator as the custom SSO server (the form's fields)."""
    return {"region": region, "advanced": {"auth_url": emulator.global_sso}}


def credentials(
    emulator: Emulator, email: str = OWNER, password: str = PASSWORD
) -> dict[str, Any]:
    """A filled-in `password` form."""
    return {"email": email, "password": password, **server(emulator)}


async def start(hass: HomeAssistant, method: str) -> ConfigFlowResult:
    """Open the config flow and choose a sign-in method (unchecked: see FlowDriver)."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    return await submit(hass, result, {"next_step_id": method})


async def submit(
    hass: HomeAssistant, result: ConfigFlowResult, user_input: Mapping[str, Any]
) -> ConfigFlowResult:
    """Submit the form of a flow step (unchecked: see FlowDriver)."""
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], dict(user_input)
    )


def account_sub(emulator: Emulator, email: str) -> str:
    """The stable account id the emulator puts into the tokens' `sub`."""
    account = emulator.state.scenario.account(email)
    assert account is not None
    return account.sub


def sso_requests(emulator: Emulator) -> list[tuple[str, str]]:
    """(method, path) of the requests the emulator served."""
    return [(record.method, record.path) for record in emulator.state.requests]


# --- A scripted browser: signs in on the emulator's own page -------------------------------


class _FormInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "input" and named.get("name") and named.get("type") != "checkbox":
            self.fields[named["name"] or ""] = named.get("value") or ""


async def browser_sign_in(
    authorize_url: str,
    email: str = OWNER,
    password: str = PASSWORD,
    *,
    recaptcha: bool = False,
) -> str:
    """Open the authorize URL, fill in the sign-in form, and return where Tesla redirects.

    With `recaptcha`, the form carries an answer as a person's browser would add it.
    """
    jar = aiohttp.CookieJar(unsafe=True)  # cookies of a 127.0.0.1 server
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(authorize_url, allow_redirects=False) as response:
            assert response.status == 200, response.status
            parser = _FormInputs()
            parser.feed(await response.text())
        form = {**parser.fields, "identity": email, "credential": password}
        if recaptcha:
            form["g-recaptcha-response"] = "answered-by-a-person"
        async with http.post(
            authorize_url, data=form, allow_redirects=False
        ) as response:
            assert response.status == 302, response.status
            return response.headers["Location"]


def suggested(result: ConfigFlowResult) -> dict[str, Any]:
    """The values a form shows prefilled (sections as nested dicts)."""

    def values(schema: Any) -> dict[str, Any]:
        shown: dict[str, Any] = {}
        for marker, validator in schema.schema.items():
            if isinstance(validator, section):
                shown[str(marker.schema)] = values(validator.schema)
            elif marker.description and "suggested_value" in marker.description:
                shown[str(marker.schema)] = marker.description["suggested_value"]
        return shown

    return values(result["data_schema"])


@dataclass
class FlowDriver:
    """Opens and submits flows; shows every result to the leak guard and checks its texts."""

    hass: HomeAssistant
    leak_guard: LeakGuard

    def shown(
        self, result: ConfigFlowResult, section_name: str = "config"
    ) -> ConfigFlowResult:
        """Check what a flow step shows: no secret in it, every text translated."""
        self.leak_guard.expose_flow_result(result)
        assert_translated(section_name, result)
        return result

    async def start(self, method: str) -> ConfigFlowResult:
        """Open the config flow and choose a sign-in method from its menu."""
        result = self.shown(
            await self.hass.config_entries.flow.async_init(
                DOMAIN, context={"source": SOURCE_USER}
            )
        )
        assert result["type"] is FlowResultType.MENU
        assert result["step_id"] == "user"
        return await self.submit(result, {"next_step_id": method})

    async def start_reauth(self, entry: ConfigEntry) -> ConfigFlowResult:
        """Open the flow that signs an entry in again (its menu)."""
        return self.shown(
            await self.hass.config_entries.flow.async_init(
                DOMAIN,
                context={"source": SOURCE_REAUTH, "entry_id": entry.entry_id},
                data=dict(entry.data),
            )
        )

    async def start_reconfigure(self, entry: ConfigEntry) -> ConfigFlowResult:
        """Open the flow that reconfigures an entry."""
        return self.shown(
            await self.hass.config_entries.flow.async_init(
                DOMAIN,
                context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id},
            )
        )

    async def submit(
        self, result: ConfigFlowResult, user_input: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Submit the form (or menu choice) of a config flow step.

        A flow that ends sets an entry up (or reloads one) in the background, and that may
        talk to Tesla (the API check): wait for it, as a person waits for the dialog to close,
        so that no test ends with a set-up still running.
        """
        result = self.shown(await submit(self.hass, result, user_input))
        if result["type"] in (FlowResultType.ABORT, FlowResultType.CREATE_ENTRY):
            await self.hass.async_block_till_done()
        return result

    async def start_options(self, entry: ConfigEntry) -> ConfigFlowResult:
        """Open the options flow of an entry."""
        result = await self.hass.config_entries.options.async_init(entry.entry_id)
        return self.shown(result, "options")

    async def submit_options(
        self, result: ConfigFlowResult, user_input: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Submit the options form."""
        return self.shown(
            await self.hass.config_entries.options.async_configure(
                result["flow_id"], dict(user_input)
            ),
            "options",
        )

    async def add_entry(self, emulator: Emulator, email: str = OWNER) -> ConfigEntry:
        """An entry added with email and password (accounts without MFA)."""
        result = await self.start("password")
        result = await self.submit(result, credentials(emulator, email))
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await self.hass.async_block_till_done()
        return result["result"]


# --- Over the REST API, as the frontend drives it ------------------------------------------

FLOWS = "/api/config/config_entries/flow"


@dataclass
class RestFlow:
    """The config flow over Home Assistant's REST API, as the frontend drives it.

    Every answer is shown to the leak guard, as the driver's results are.
    """

    client: TestClient
    leak_guard: LeakGuard

    async def post(self, path: str, payload: dict[str, Any]) -> Any:
        """POST to the flow API; the answer's JSON."""
        response = await self.client.post(path, json=payload)
        assert response.status == HTTPStatus.OK, await response.text()
        answer = await response.json()
        self.leak_guard.expose_flow_result(answer)
        return answer

    async def submit(self, form: dict[str, Any], payload: dict[str, Any]) -> Any:
        """Submit a form as the frontend does."""
        return await self.post(f"{FLOWS}/{form['flow_id']}", payload)

    async def open(self, method: str) -> Any:
        """A new flow's form for one sign-in method."""
        menu = await self.post(FLOWS, {"handler": DOMAIN})
        assert menu["type"] == "menu"
        assert menu["menu_options"] == ["password", "browser", "token", "fleet"]
        return await self.submit(menu, {"next_step_id": method})


def section_default(form: dict[str, Any]) -> Any:
    """The default the serialised form gives its Advanced section (None: no default)."""
    fields = {field["name"]: field for field in form["data_schema"]}
    return fields["advanced"].get("default")
