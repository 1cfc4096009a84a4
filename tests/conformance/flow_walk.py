"""Open every step of every flow the integration has, against the emulator.

The walk collects what each step shows (the flow result), so that the tests can hold it against
en.json: the config flow (all four sign-in paths, captcha, MFA, reauth, reconfigure), the options
flow, and the fix flow of each fixable repair issue en.json describes. Each result also goes
to the leak guard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from emulator import Emulator
from tests.leak_guard import LeakGuard

from .integration_files import DOMAIN, translations

PASSWORD = "tesla-demo-password"
CAPTCHA_ACCOUNT = "captcha@example.com"
MFA_ACCOUNT = "mfa@example.com"
TOKEN_ACCOUNT = "owner@example.com"


def fix_flows() -> list[str]:
    """The repair issues en.json gives a fix flow, as the dotted path of their texts."""
    return [
        f"issues.{key}.fix_flow"
        for key, texts in translations().get("issues", {}).items()
        if "fix_flow" in texts
    ]


@dataclass
class Walk:
    """What the flows showed: (flow in en.json, result), in order."""

    leak_guard: LeakGuard
    shown: list[tuple[str, Any]] = field(default_factory=list)

    def record(self, flow: str, result: Any) -> Any:
        """Show the result to the leak guard; remember it when it shows a step."""
        self.leak_guard.expose_flow_result(result)
        if result["type"] in (FlowResultType.FORM, FlowResultType.MENU):
            self.shown.append((flow, result))
        return result

    def step_ids(self, flow: str) -> set[str]:
        """The steps of a flow that were shown."""
        return {result["step_id"] for name, result in self.shown if name == flow}


def _server(emulator: Emulator) -> dict[str, Any]:
    return {"region": "global", "advanced": {"auth_url": emulator.global_sso}}


async def _open(hass: HomeAssistant, walk: Walk, method: str) -> Any:
    """A new config flow, with a sign-in method chosen from its menu."""
    flows = hass.config_entries.flow
    menu = walk.record(
        "config", await flows.async_init(DOMAIN, context={"source": SOURCE_USER})
    )
    return walk.record(
        "config", await flows.async_configure(menu["flow_id"], {"next_step_id": method})
    )


async def _walk_sign_in(
    hass: HomeAssistant, emulator: Emulator, walk: Walk
) -> ConfigEntry:
    """The user steps of all three paths; the token path creates the entry."""
    flows = hass.config_entries.flow
    form = await _open(hass, walk, "password")
    captcha = {"email": CAPTCHA_ACCOUNT, "password": PASSWORD, **_server(emulator)}
    walk.record("config", await flows.async_configure(form["flow_id"], captcha))

    form = await _open(hass, walk, "password")
    mfa = {"email": MFA_ACCOUNT, "password": PASSWORD, **_server(emulator)}
    devices = walk.record("config", await flows.async_configure(form["flow_id"], mfa))
    (selector,) = devices["data_schema"].schema.values()
    second = selector.config["options"][1]["value"]
    walk.record(
        "config", await flows.async_configure(devices["flow_id"], {"device": second})
    )

    await _open(hass, walk, "browser")

    # The Fleet form; submitted without a browser's request, Home Assistant lets the person
    # pick the app even when there is one.
    form = await _open(hass, walk, "fleet")
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential("walk-app", "walk-app-secret-0000", "Walk app")
    )
    fleet = {"scopes": ["user_data"], **_server(emulator)}
    walk.record("config", await flows.async_configure(form["flow_id"], fleet))

    form = await _open(hass, walk, "token")
    token = emulator.state.mint_refresh_token(TOKEN_ACCOUNT)
    created = walk.record(
        "config",
        await flows.async_configure(
            form["flow_id"], {"refresh_token": token, **_server(emulator)}
        ),
    )
    assert created["type"] is FlowResultType.CREATE_ENTRY, created
    await hass.async_block_till_done()
    entry: ConfigEntry = created["result"]
    return entry


async def walk_all_flows(
    hass: HomeAssistant, emulator: Emulator, leak_guard: LeakGuard
) -> Walk:
    """Show every step once; close the flows left open."""
    walk = Walk(leak_guard)
    flows = hass.config_entries.flow
    entry = await _walk_sign_in(hass, emulator, walk)
    for source in (SOURCE_RECONFIGURE, SOURCE_REAUTH):
        context = {"source": source, "entry_id": entry.entry_id}
        walk.record(
            "config", await flows.async_init(DOMAIN, context=context, data=entry.data)
        )
    walk.record("options", await hass.config_entries.options.async_init(entry.entry_id))

    assert await async_setup_component(hass, "repairs", {})
    repairs = hass.data["repairs"]["flow_manager"]
    for flow in fix_flows():
        key = flow.split(".")[1]
        issue_id = f"{key}_{entry.entry_id}"
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            data={"entry_id": entry.entry_id},
            is_fixable=True,
            severity=ir.IssueSeverity.ERROR,
            translation_key=key,
        )
        walk.record(flow, await repairs.async_init(DOMAIN, data={"issue_id": issue_id}))

    for manager in (flows, hass.config_entries.options, repairs):
        for progress in manager.async_progress():
            manager.async_abort(progress["flow_id"])
    await hass.async_block_till_done(wait_background_tasks=True)
    return walk
