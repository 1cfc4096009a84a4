"""The Fleet API path of the config flow: Home Assistant's OAuth2 with the person's own app.

Home Assistant's own OAuth2 test helpers drive it (`current_request_with_host`, the callback
view through `hass_client_no_auth`, `async_import_client_credential`) against the emulator:
its app registry, Tesla's sign-in page (`browser_sign_in`) and its token endpoint.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import ConfigEntry, ConfigEntryState, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_token.const import CONF_API_CHECK, DEFAULT_OPTIONS, DOMAIN
from custom_components.tesla_token.sso import TokenKind, token_kind
from emulator import Emulator, Fault, FaultKind
from emulator.scenario import Account

from .emulator.helpers import claims
from .flow_helpers import (
    OWNER,
    FlowDriver,
    account_sub,
    browser_sign_in,
    server,
    suggested,
)
from .leak_guard import LeakGuard

APP_ID = "my-fleet-app"
APP_SECRET = "my-fleet-app-secret-9c41"
OTHER_APP_ID = "my-other-fleet-app"
OTHER_APP_SECRET = "my-other-fleet-app-secret-77d2"
# Home Assistant's callback behind the frontend base `current_request_with_host` sets.
REDIRECT = "https://example.com/auth/external/callback"
SECOND = "second@example.com"
# Every key of an Owner API entry (entry_data.build_entry_data), and the Fleet ones.
OWNER_KEYS = {
    "email",
    "region",
    "auth_url",
    "api_url",
    "issuer",
    "access_token",
    "refresh_token",
    "expires_at",
    "issued_at",
    "refresh_token_issued_at",
    "connection",
    "api_access",
    "api_checked_at",
    "api_round_failed_at",
}
FLEET_KEYS = {"auth_implementation", "client_id", "scopes_requested", "scopes_granted"}

pytestmark = pytest.mark.usefixtures("current_request_with_host")


@pytest.fixture
async def app(hass: HomeAssistant, emulator: Emulator) -> Emulator:
    """The emulator with the person's app registered, and its application credential."""
    emulator.register_app(APP_ID, APP_SECRET, [REDIRECT], name="My app")
    emulator.register_app(OTHER_APP_ID, OTHER_APP_SECRET, [REDIRECT])
    emulator.state.scenario.fleet_consent = "grant"
    emulator.state.scenario.accounts.append(Account(email=SECOND))
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(APP_ID, APP_SECRET, "My app")
    )
    return emulator


def fleet_form(emulator: Emulator, scopes: list[str] | None = None) -> dict[str, Any]:
    """The filled-in `fleet` form: scopes and the emulator as the sign-in server."""
    return {"scopes": scopes or ["user_data"], **server(emulator)}


async def authorize(
    flow: FlowDriver, emulator: Emulator, scopes: list[str] | None = None
) -> ConfigFlowResult:
    """Open the flow, choose the Fleet API and submit its form: Tesla's sign-in link."""
    result = await flow.start("fleet")
    result = await flow.submit(result, fleet_form(emulator, scopes))
    assert result["type"] is FlowResultType.EXTERNAL_STEP, result
    return result


async def come_back(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_client_no_auth: ClientSessionGenerator,
    result: ConfigFlowResult,
    email: str = OWNER,
) -> ConfigFlowResult:
    """Sign in on Tesla's page; its redirect reaches Home Assistant's callback; finish."""
    location = await browser_sign_in(result["url"], email)
    assert location.startswith(f"{REDIRECT}?")
    client = await hass_client_no_auth()
    # The test server's access log (aiohttp.access, INFO) would print the request line, code
    # included. That is Home Assistant's own callback view, the same for every OAuth2
    # integration, and silent at Home Assistant's log levels; the code is spent by then.
    access_log = logging.getLogger("aiohttp.access")
    level = access_log.level
    access_log.setLevel(logging.WARNING)
    try:
        response = await client.get(
            f"/auth/external/callback?{urlsplit(location).query}"
        )
    finally:
        access_log.setLevel(level)
    assert response.status == 200
    result = await flow.submit(result, {})
    await hass.async_block_till_done()
    return result


async def add_fleet_entry(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_client_no_auth: ClientSessionGenerator,
    emulator: Emulator,
    email: str = OWNER,
) -> ConfigEntry:
    """A Fleet API entry made through the whole flow."""
    result = await authorize(flow, emulator)
    result = await come_back(hass, flow, hass_client_no_auth, result, email)
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    entry: ConfigEntry = result["result"]
    return entry


async def test_menu_offers_the_fleet_api_and_its_form_the_scopes(
    flow: FlowDriver, app: Emulator
) -> None:
    result = await flow.start("fleet")

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "fleet"
    # Checking the token's health needs user_data; most tools read vehicle data.
    assert suggested(result)["scopes"] == ["user_data", "vehicle_device_data"]
    assert suggested(result)["region"] == "global"


async def test_sign_in_with_own_app_creates_a_fleet_entry(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_client_no_auth: ClientSessionGenerator,
    app: Emulator,
) -> None:
    result = await authorize(flow, app, ["user_data", "vehicle_location"])

    query = {k: v[0] for k, v in parse_qs(urlsplit(result["url"]).query).items()}
    assert result["url"].startswith(f"{app.global_sso}/authorize?")
    assert query["client_id"] == APP_ID
    assert query["redirect_uri"] == REDIRECT
    assert query["scope"] == "openid offline_access user_data vehicle_location"
    assert query["prompt_missing_scopes"] == "true"
    assert query["code_challenge_method"] == "S256"
    result = await come_back(hass, flow, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["data"]
    assert set(data) == OWNER_KEYS | FLEET_KEYS
    assert result["title"] == OWNER
    assert result["result"].unique_id == f"fleet:{APP_ID}:{account_sub(app, OWNER)}"
    assert data["email"] == OWNER
    assert data["auth_implementation"] == DOMAIN
    assert data["client_id"] == APP_ID
    assert data["scopes_requested"] == [
        "openid",
        "offline_access",
        "user_data",
        "vehicle_location",
    ]
    assert data["scopes_granted"] == data["scopes_requested"]
    # Refreshes go to the token endpoint that issued them (here: the custom server).
    assert data["issuer"] == app.global_sso
    assert data["auth_url"] == app.global_sso
    assert token_kind(data["access_token"]) is TokenKind.FLEET_API
    assert claims(data["access_token"])["azp"] == APP_ID
    assert data["expires_at"] - data["issued_at"] == 28800
    # The exchange carried the app's secret, the verifier and Tesla's audience.
    (exchange,) = [
        record
        for record in app.state.requests
        if record.path.endswith("/token") and "code_verifier" in record.form
    ]
    assert exchange.status == 200
    assert {"client_secret", "code_verifier", "audience"} <= set(exchange.form)


async def test_scopes_not_granted_are_stored_apart_from_the_chosen_ones(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_client_no_auth: ClientSessionGenerator,
    app: Emulator,
) -> None:
    app.state.scenario.fleet_denied_scopes = ["vehicle_cmds"]
    result = await authorize(flow, app, ["vehicle_cmds", "user_data"])

    result = await come_back(hass, flow, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["scopes_requested"] == [
        "openid",
        "offline_access",
        "user_data",
        "vehicle_cmds",
    ]
    assert result["data"]["scopes_granted"] == ["openid", "offline_access", "user_data"]


async def test_denied_consent_aborts_with_a_translated_reason(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_client_no_auth: ClientSessionGenerator,
    app: Emulator,
) -> None:
    app.state.scenario.fleet_consent = "deny"
    result = await authorize(flow, app)

    result = await come_back(hass, flow, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "user_rejected_authorize"
    # This integration's text (it says what to do), not Home Assistant's generic one.
    assert result.get("translation_domain") is None
    assert hass.config_entries.async_entries(DOMAIN) == []


async def test_wrong_client_secret_aborts_without_an_entry(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_client_no_auth: ClientSessionGenerator,
    emulator: Emulator,
) -> None:
    emulator.register_app(APP_ID, APP_SECRET, [REDIRECT])
    emulator.state.scenario.fleet_consent = "grant"
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(APP_ID, "not-the-app-secret-1234")
    )
    result = await authorize(flow, emulator)

    result = await come_back(hass, flow, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "oauth_unauthorized"
    assert [(r.path, r.status) for r in emulator.state.requests][-1] == (
        "/oauth2/v3/token",
        401,
    )
    assert hass.config_entries.async_entries(DOMAIN) == []


async def test_token_server_error_aborts_as_failed(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_client_no_auth: ClientSessionGenerator,
    app: Emulator,
) -> None:
    app.state.set_fault("token", Fault(FaultKind.STATUS, status=503))
    result = await authorize(flow, app)

    result = await come_back(hass, flow, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "oauth_failed"
    assert hass.config_entries.async_entries(DOMAIN) == []


async def test_without_an_application_credential_the_flow_asks_for_one(
    hass: HomeAssistant, flow: FlowDriver, emulator: Emulator
) -> None:
    assert await async_setup_component(hass, "application_credentials", {})
    result = await flow.start("fleet")

    result = await flow.submit(result, fleet_form(emulator))

    # The frontend opens its "add application credential" dialog on this reason.
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "missing_credentials"


async def test_a_wrong_server_url_is_shown_on_the_form_then_the_sign_in_works(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_client_no_auth: ClientSessionGenerator,
    app: Emulator,
) -> None:
    result = await flow.start("fleet")
    wrong = {
        "scopes": ["user_data"],
        "region": "global",
        "advanced": {"auth_url": "http://example.com/oauth2/v3"},
    }
    result = await flow.submit(result, wrong)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"advanced": "invalid_auth_url"}

    result = await flow.submit(result, fleet_form(app))
    result = await come_back(hass, flow, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_an_owner_api_entry_of_the_account_stays_beside_the_fleet_entry(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_client_no_auth: ClientSessionGenerator,
    app: Emulator,
) -> None:
    owner = await flow.add_entry(app)

    fleet = await add_fleet_entry(hass, flow, hass_client_no_auth, app)

    # Two kinds of token of one account: each entry keeps its own.
    assert owner.unique_id == account_sub(app, OWNER)
    assert fleet.unique_id == f"fleet:{APP_ID}:{owner.unique_id}"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2
    assert "client_id" not in owner.data


async def test_the_same_app_and_account_again_is_already_configured(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_client_no_auth: ClientSessionGenerator,
    app: Emulator,
) -> None:
    entry = await add_fleet_entry(hass, flow, hass_client_no_auth, app)
    kept = entry.data["refresh_token"]
    result = await authorize(flow, app)

    result = await come_back(hass, flow, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data["refresh_token"] == kept


async def test_another_app_of_the_same_account_is_another_entry(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_client_no_auth: ClientSessionGenerator,
    app: Emulator,
) -> None:
    first = await add_fleet_entry(hass, flow, hass_client_no_auth, app)
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(OTHER_APP_ID, OTHER_APP_SECRET), "other_app"
    )
    result = await flow.start("fleet")
    result = await flow.submit(result, fleet_form(app))
    # Two credentials: the person picks the app.
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pick_implementation"
    result = await flow.submit(result, {"implementation": "other_app"})

    result = await come_back(hass, flow, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["client_id"] == OTHER_APP_ID
    assert result["data"]["auth_implementation"] == "other_app"
    assert result["result"].unique_id != first.unique_id


# --- Signing in again, and reconfiguring -----------------------------------------------------


async def test_reauth_of_a_fleet_entry_signs_in_with_its_app_again(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_client_no_auth: ClientSessionGenerator,
    hass_storage: dict[str, Any],
    app: Emulator,
) -> None:
    entry = await add_fleet_entry(hass, flow, hass_client_no_auth, app)
    old = entry.data["refresh_token"]
    result = await flow.start_reauth(entry)
    # No menu: a Fleet entry signs in again with its app, the form shows its choice.
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "fleet"
    assert suggested(result)["scopes"] == ["user_data"]
    assert suggested(result)["advanced"]["auth_url"] == app.global_sso
    result = await flow.submit(result, fleet_form(app, ["user_data", "energy_cmds"]))

    result = await come_back(hass, flow, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["refresh_token"] != old
    assert entry.data["scopes_requested"][-1] == "energy_cmds"
    # The new single-use token is on disk at once.
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]
    assert stored["refresh_token"] == entry.data["refresh_token"]


async def test_reauth_with_another_app_keeps_the_entry(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_client_no_auth: ClientSessionGenerator,
    app: Emulator,
) -> None:
    entry = await add_fleet_entry(hass, flow, hass_client_no_auth, app)
    kept = entry.data["refresh_token"]
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(OTHER_APP_ID, OTHER_APP_SECRET), "other_app"
    )
    result = await flow.start_reauth(entry)
    result = await flow.submit(result, fleet_form(app))
    # The entry's own app is taken without asking; here the person picks the other.
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert parse_qs(urlsplit(result["url"]).query)["client_id"] == [APP_ID]
    hass.config_entries.flow.async_abort(result["flow_id"])
    entry_data = {**entry.data, "auth_implementation": "gone"}
    hass.config_entries.async_update_entry(entry, data=entry_data)
    result = await flow.start_reauth(entry)
    result = await flow.submit(result, fleet_form(app))
    assert result["step_id"] == "pick_implementation"
    result = await flow.submit(result, {"implementation": "other_app"})

    result = await come_back(hass, flow, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "fleet_app_mismatch"
    assert entry.data["refresh_token"] == kept


async def test_reconfigure_of_a_fleet_entry_changes_scopes_through_a_new_sign_in(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_client_no_auth: ClientSessionGenerator,
    app: Emulator,
) -> None:
    entry = await add_fleet_entry(hass, flow, hass_client_no_auth, app)
    result = await flow.start_reconfigure(entry)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "fleet"
    result = await flow.submit(
        result, fleet_form(app, ["user_data", "vehicle_location"])
    )

    result = await come_back(hass, flow, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert "vehicle_location" in entry.data["scopes_granted"]
    assert entry.data["email"] == OWNER
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("reauth", "reauth_account_mismatch"),
        ("reconfigure", "reconfigure_account_mismatch"),
    ],
)
async def test_another_account_keeps_the_entry(
    *,
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_client_no_auth: ClientSessionGenerator,
    app: Emulator,
    source: str,
    reason: str,
) -> None:
    """Signing in again or reconfiguring with another Tesla account changes nothing."""
    entry = await add_fleet_entry(hass, flow, hass_client_no_auth, app)
    kept = entry.data["refresh_token"]
    start = flow.start_reauth if source == "reauth" else flow.start_reconfigure
    result = await flow.submit(await start(entry), fleet_form(app))

    result = await come_back(hass, flow, hass_client_no_auth, result, SECOND)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert entry.data["refresh_token"] == kept


async def test_no_secret_of_the_sign_in_shows_anywhere(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_client_no_auth: ClientSessionGenerator,
    leak_guard: LeakGuard,
    app: Emulator,
) -> None:
    entry = await add_fleet_entry(hass, flow, hass_client_no_auth, app)

    # The guard knows what passed: the app's secret, the code, the verifier, the tokens …
    secrets = leak_guard.secrets
    assert APP_SECRET in secrets
    assert {entry.data["access_token"], entry.data["refresh_token"]} <= secrets
    assert any(len(secret) == 60 for secret in secrets)  # the authorization code
    assert any(len(secret) == 128 for secret in secrets)  # the PKCE verifier
    # … and none of it is in a log, a flow result, a state or an event so far.
    await leak_guard.async_expose_hass(hass)
    leak_guard.check()


async def test_a_fleet_entry_loads_with_the_api_check_off(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_client_no_auth: ClientSessionGenerator,
    monkeypatch: pytest.MonkeyPatch,
    app: Emulator,
) -> None:
    # The API check of Fleet tokens (users/me) comes with the coordinator's Fleet support;
    # until then an entry is made with the check off, as a person may set it.
    monkeypatch.setitem(DEFAULT_OPTIONS, CONF_API_CHECK, False)

    entry = await add_fleet_entry(hass, flow, hass_client_no_auth, app)

    assert entry.state is ConfigEntryState.LOADED
    assert entry.options[CONF_API_CHECK] is False
    assert entry.title == OWNER
