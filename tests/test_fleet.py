"""Fleet API entries (one's own Tesla app) are kept like Owner API entries.

Entries are made here as the contract between the two halves of issue 13 stores them (the Owner
API keys plus `auth_implementation`, `client_id`, `scopes_requested`, `scopes_granted`), with
tokens of a test app minted by the emulator through its authorize → consent → code exchange.
"""

from __future__ import annotations

from datetime import timedelta
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_token.connection import (
    ConnectionProfile,
    async_token_transport,
)
from custom_components.tesla_token.const import (
    DEFAULT_OPTIONS,
    DOMAIN,
    EVENT_TOKEN_REFRESHED,
)
from custom_components.tesla_token.sso import token_issued_at
from emulator import Emulator, Fault, FaultKind

from .helpers import (
    APP_ID,
    EMAIL,
    FLEET_SCOPES,
    STATUS,
    TOKEN_KIND,
    advance,
    fleet_entry_data,
    https_sso,
    mint_fleet_token_set,
    reauth_flows,
)

API_ACCESS = "sensor.owner_example_com_api_access"
LAST_CHECK = "sensor.owner_example_com_last_api_check"
RT_EXPIRES = "sensor.owner_example_com_refresh_token_expires"
SCOPES = "sensor.owner_example_com_granted_scopes"
USERS_ME = "/api/1/users/me"
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
pytestmark = pytest.mark.timeout(120)


async def set_up_fleet_entry(
    hass: HomeAssistant,
    emulator: Emulator,
    *,
    https: bool = False,
    accepted: Any = "any",
    minted_over: ConnectionProfile = ConnectionProfile.HTTP11,
    scopes: tuple[str, ...] = FLEET_SCOPES,
    data: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """A Fleet API entry of the test app (Tesla accepting `accepted`), set up."""
    emulator.state.scenario = emulator.state.scenario.updated(
        {"accepted_connections": accepted}
    )
    base = https_sso(emulator) if https else emulator.global_sso
    tokens = await mint_fleet_token_set(
        emulator,
        scopes=scopes,
        base=base,
        transport=await async_token_transport(hass, minted_over),
    )
    emulator.state.clear_requests()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id=tokens.subject,
        data=fleet_entry_data(
            tokens, auth_url=base, requested=scopes, connection=minted_over
        )
        | (data or {}),
        options=dict(DEFAULT_OPTIONS),
        version=1,
        minor_version=3,
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def token_requests(emulator: Emulator) -> list[tuple[int, tuple[str, ...]]]:
    """Status and form field names of each token request served."""
    return [
        (r.status, r.form)
        for r in emulator.state.requests
        if r.method == "POST" and r.path.endswith("/oauth2/v3/token")
    ]


def api_calls(emulator: Emulator) -> list[tuple[str, int]]:
    """The API requests served (path, status)."""
    return [
        (r.path, r.status)
        for r in emulator.state.requests
        if r.path.startswith("/api/1/")
    ]


def issue(
    hass: HomeAssistant, key: str, entry: MockConfigEntry
) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{key}_{entry.entry_id}")


def rt_expiry(entry: MockConfigEntry) -> str:
    """The stored refresh token's end as the sensor shows it: its issue + 90 days."""
    issued = token_issued_at(entry.data["refresh_token"])
    assert issued is not None
    return dt_util.utc_from_timestamp(issued + 90 * 86400).isoformat()


async def test_a_fleet_entry_refreshes_at_the_app_token_endpoint(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
) -> None:
    """Its client id, at the app token endpoint, stored before anyone hears of it; users/me."""
    entry = await set_up_fleet_entry(hass, emulator)
    # The new entry's token was checked at set-up, at the Fleet API, and nothing else.
    assert api_calls(emulator) == [(USERS_ME, 200)]
    assert token_requests(emulator) == []
    assert hass.states.get(STATUS).state == "valid"
    assert hass.states.get(TOKEN_KIND).state == "fleet_api"
    assert hass.states.get(API_ACCESS).state == "accepted"
    assert hass.states.get(RT_EXPIRES).state == rt_expiry(entry)
    scopes = hass.states.get(SCOPES)
    assert scopes.state == "4"
    assert scopes.attributes["scopes"] == list(FLEET_SCOPES)
    first_refresh_token = entry.data["refresh_token"]

    on_disk: list[str] = []

    @callback
    def refreshed(_event: Event) -> None:
        on_disk.append(
            hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]["refresh_token"]
        )

    hass.bus.async_listen(EVENT_TOKEN_REFRESHED, refreshed)
    emulator.state.clear_requests()
    await advance(hass, frozen_time, 6 * HOUR)

    # Tesla's documented app refresh: a form with the app's client id, no scope, no secret.
    assert token_requests(emulator) == [
        (200, ("grant_type", "client_id", "refresh_token"))
    ]
    minted = emulator.state.access_tokens[entry.data["access_token"]]
    assert (minted.client_id, minted.grant) == (APP_ID, "refresh_token")
    assert entry.data["refresh_token"] != first_refresh_token
    assert on_disk == [entry.data["refresh_token"]]
    assert api_calls(emulator) == [(USERS_ME, 200)]
    assert hass.states.get(RT_EXPIRES).state == rt_expiry(entry)
    assert hass.states.get(STATUS).state == "valid"

    # The spent token stays spent: the next refresh uses the stored one.
    emulator.state.clear_requests()
    await advance(hass, frozen_time, 6 * HOUR)
    assert [status for status, _ in token_requests(emulator)] == [200]


async def test_granted_scopes_follow_the_answer(
    hass: HomeAssistant, emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """An entry that knew no grant learns it from the next refresh's `scope`."""
    entry = await set_up_fleet_entry(hass, emulator, data={"scopes_granted": []})
    assert hass.states.get(SCOPES).state == "0"
    assert issue(hass, "scope_not_granted", entry) is not None

    await advance(hass, frozen_time, 6 * HOUR)

    assert entry.data["scopes_granted"] == list(FLEET_SCOPES)
    assert hass.states.get(SCOPES).state == "4"
    assert issue(hass, "scope_not_granted", entry) is None


async def test_a_scope_tesla_did_not_grant_is_a_repair_issue(
    hass: HomeAssistant, emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """The person ticked user_data off on Tesla's page: named in an issue; the token still
    works, though users/me answers 403 "missing scopes"."""
    emulator.state.scenario = emulator.state.scenario.updated(
        {"fleet_denied_scopes": ["user_data"]}
    )
    entry = await set_up_fleet_entry(hass, emulator)

    assert entry.data["scopes_granted"] == [
        "openid",
        "offline_access",
        "vehicle_device_data",
    ]
    assert api_calls(emulator) == [(USERS_ME, 403)]
    assert hass.states.get(API_ACCESS).state == "accepted"
    assert hass.states.get(SCOPES).state == "3"
    found = issue(hass, "scope_not_granted", entry)
    assert found is not None
    assert found.translation_key == "scope_not_granted"
    assert found.severity is ir.IssueSeverity.WARNING
    assert found.translation_placeholders is not None
    assert found.translation_placeholders["scopes"] == "user_data"
    assert found.translation_placeholders["account"] == EMAIL

    await hass.config_entries.async_unload(entry.entry_id)
    assert issue(hass, "scope_not_granted", entry) is None


async def test_the_refresh_token_expiring_is_a_repair_issue_until_a_refresh(
    hass: HomeAssistant, emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """Refreshing fails for weeks: 14 days before the 90 days end an issue says so; the next
    successful refresh brings a new refresh token and removes it."""
    entry = await set_up_fleet_entry(hass, emulator)
    expiry = rt_expiry(entry)
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=503, count=None))

    await advance(hass, frozen_time, 75 * DAY)
    await advance(hass, frozen_time, HOUR)  # the retry after the 75 days
    assert hass.states.get(STATUS).state == "expired"
    assert hass.states.get(RT_EXPIRES).state == expiry
    assert issue(hass, "refresh_token_expiring", entry) is None

    await advance(hass, frozen_time, DAY + HOUR)  # 76 days: within 14 days of the end
    found = issue(hass, "refresh_token_expiring", entry)
    assert found is not None
    assert found.severity is ir.IssueSeverity.ERROR
    assert found.translation_placeholders is not None
    assert found.translation_placeholders["expires"] == dt_util.as_local(
        dt_util.parse_datetime(expiry)
    ).strftime("%Y-%m-%d %H:%M")

    emulator.state.clear_faults()
    await advance(hass, frozen_time, HOUR)
    assert hass.states.get(STATUS).state == "valid"
    assert issue(hass, "refresh_token_expiring", entry) is None
    assert hass.states.get(RT_EXPIRES).state == rt_expiry(entry) != expiry


async def test_a_90_day_old_refresh_token_is_refused(
    hass: HomeAssistant, emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """Past its 90 days Tesla refuses it (401 login_required): sign in again."""
    entry = await set_up_fleet_entry(hass, emulator)
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=503, count=None))
    await advance(hass, frozen_time, 90 * DAY)
    await advance(hass, frozen_time, HOUR)
    assert issue(hass, "refresh_token_expiring", entry) is not None

    emulator.state.clear_faults()
    emulator.state.clear_requests()
    await advance(hass, frozen_time, HOUR)

    assert [status for status, _ in token_requests(emulator)] == [401]
    assert hass.states.get(STATUS).state == "reauth_required"
    assert reauth_flows(hass, entry)
    # Home Assistant's reauth issue says it now.
    assert issue(hass, "refresh_token_expiring", entry) is None


async def test_tesla_refusing_every_connection(
    hass: HomeAssistant, trust_emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """users/me answers Tesla's 403 to every profile's token: api_rejected and its issue."""
    entry = await set_up_fleet_entry(hass, trust_emulator, https=True, accepted="none")

    assert api_calls(trust_emulator) == [(USERS_ME, 403)] * 3
    assert hass.states.get(STATUS).state == "api_rejected"
    assert hass.states.get(API_ACCESS).state == "rejected"
    assert issue(hass, "api_rejected", entry) is not None


async def test_profile_fallback_works_for_fleet_entries(
    hass: HomeAssistant, trust_emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """A token minted over HTTP/1.1 that Tesla refuses is refreshed over HTTP/2, as the app."""
    emulator = trust_emulator
    entry = await set_up_fleet_entry(
        hass, emulator, https=True, accepted=[{"http": "2"}]
    )

    assert api_calls(emulator) == [(USERS_ME, 403), (USERS_ME, 200)]
    assert [s for s, _ in token_requests(emulator)] == [200]
    minted = emulator.state.access_tokens[entry.data["access_token"]]
    assert minted.client_id == APP_ID
    assert minted.connection is not None
    assert minted.connection.to_dict() == {"tls": "1.3", "http": "2"}
    assert entry.data["connection"] == "http2"
    assert hass.states.get(API_ACCESS).state == "accepted"
    assert hass.states.get(STATUS).state == "valid"


async def test_users_me_unauthorized_refreshes_once(
    hass: HomeAssistant, emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """401 from users/me: one more refresh (as the app), then the API accepts."""
    emulator.state.set_fault("users_me", Fault(FaultKind.STATUS, status=401))
    await set_up_fleet_entry(hass, emulator)

    assert api_calls(emulator) == [(USERS_ME, 401), (USERS_ME, 200)]
    assert [s for s, _ in token_requests(emulator)] == [200]
    assert hass.states.get(API_ACCESS).state == "accepted"


async def test_users_me_out_of_reach_keeps_the_verdict(
    hass: HomeAssistant, emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    entry = await set_up_fleet_entry(hass, emulator)
    checked_at = hass.states.get(LAST_CHECK).state
    emulator.state.set_fault(
        "users_me", Fault(FaultKind.STATUS, status=503, count=None)
    )
    emulator.state.clear_requests()

    await advance(hass, frozen_time, 6 * HOUR)

    assert api_calls(emulator) == [(USERS_ME, 503)]
    assert [s for s, _ in token_requests(emulator)] == [200]
    assert hass.states.get(API_ACCESS).state == "accepted"
    assert hass.states.get(LAST_CHECK).state == checked_at
    assert entry.state is ConfigEntryState.LOADED


async def test_owner_api_entries_have_no_fleet_sensors_or_issues(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    assert hass.states.get(TOKEN_KIND).state == "owner_api"
    assert hass.states.get(RT_EXPIRES) is None
    assert hass.states.get(SCOPES) is None
    assert issue(hass, "scope_not_granted", init_integration) is None
    assert "scopes_granted" not in init_integration.data


@pytest.mark.usefixtures("frozen_time")  # hass_client signs with the frozen clock
async def test_diagnostics_of_a_fleet_entry(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    snapshot: SnapshotAssertion,
) -> None:
    """Scopes are shown; the app's client id (and HA's id of its credential) redacted."""
    entry = await set_up_fleet_entry(hass, emulator)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert APP_ID not in json.dumps(diagnostics)
    data = diagnostics["entry"]["data"]
    for key in ("auth_url", "issuer"):
        data[key] = data[key].replace(emulator.base_url, "http://127.0.0.1:<port>")
    assert diagnostics == snapshot
