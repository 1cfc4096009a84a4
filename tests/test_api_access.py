"""Whether Tesla's API accepts the token, and the connection Tesla accepts (coordinator).

Against the emulator over verified HTTPS (its CA trusted through `trust_emulator` only): its
`accepted_connections` knob says which connections Tesla accepts; tokens minted over others
are refused by its Owner API (`GET /api/1/products`) with Tesla's 403.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_token.connection import ConnectionProfile
from custom_components.tesla_token.const import DEFAULT_OPTIONS, DOMAIN
from custom_components.tesla_token.diagnostics import async_get_config_entry_diagnostics
from custom_components.tesla_token.entry_data import build_entry_data
from custom_components.tesla_token.flow_input import ServerChoice
from custom_components.tesla_token.sso import Region
from emulator import Emulator, Fault, FaultKind, RefreshRotation

from .helpers import EMAIL, advance, https_sso, mint_over

STATUS = "sensor.owner_example_com_status"
API_ACCESS = "sensor.owner_example_com_api_access"
LAST_CHECK = "sensor.owner_example_com_last_api_check"
CONNECTION = "sensor.owner_example_com_connection_to_tesla"
PRODUCTS = "/api/1/products"
# The connection (TLS, HTTP version) each profile makes.
MADE_BY = {
    ConnectionProfile.HTTP2: {"tls": "1.3", "http": "2"},
    ConnectionProfile.TLS12: {"tls": "1.2", "http": "1.1"},
    ConnectionProfile.HTTP11: {"tls": "1.3", "http": "1.1"},
}
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
pytestmark = pytest.mark.timeout(60)


async def set_up_entry(
    hass: HomeAssistant,
    emulator: Emulator,
    *,
    accepted: Any = "any",
    minted_over: ConnectionProfile = ConnectionProfile.HTTP11,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """An entry of tokens minted over `minted_over`, with Tesla accepting `accepted`; loaded."""
    emulator.state.scenario = emulator.state.scenario.updated(
        {"accepted_connections": accepted}
    )
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    tokens = await mint_over(hass, emulator, minted_over)
    emulator.state.clear_requests()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id=tokens.subject,
        data=build_entry_data(
            tokens,
            email=EMAIL,
            server=ServerChoice(Region.GLOBAL, auth_url=https_sso(emulator)),
            connection=minted_over,
        ),
        options={**DEFAULT_OPTIONS, **(options or {})},
        version=1,
        minor_version=3,
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def token_connections(emulator: Emulator) -> list[dict[str, str]]:
    """The connection of each token request since the entry was set up (all answered 200)."""
    requests = [r for r in emulator.state.requests if r.path.endswith("/token")]
    # A spent single-use token would have been refused: every refresh spent a fresh one.
    assert [r.status for r in requests] == [200] * len(requests)
    return [r.connection.to_dict() for r in requests if r.connection is not None]


def checks(emulator: Emulator) -> list[int]:
    """The statuses the Owner API answered the checks with."""
    return [r.status for r in emulator.state.requests if r.path == PRODUCTS]


def api_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"api_rejected_{entry.entry_id}")


@pytest.mark.parametrize(
    ("accepted", "refreshed_over", "lands_on"),
    [
        ("any", [], "http11"),
        ([{"http": "2"}], ["http2"], "http2"),
        ([{"tls": "1.2"}], ["http2", "tls12"], "tls12"),
        ([{"http": "1.1", "tls": "1.3"}], [], "http11"),
    ],
    ids=["any", "only-http2", "only-tls12", "only-http11"],
)
async def test_automatic_mode_lands_on_a_connection_tesla_accepts(
    *,
    hass: HomeAssistant,
    trust_emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    accepted: Any,
    refreshed_over: list[str],
    lands_on: str,
) -> None:
    """A token of an earlier release (HTTP/1.1) is checked at start; refused, the next
    profiles are tried, one refresh each, and the one Tesla accepts is kept, also after a
    restart."""
    emulator = trust_emulator
    entry = await set_up_entry(hass, emulator, accepted=accepted)

    assert token_connections(emulator) == [
        MADE_BY[ConnectionProfile(p)] for p in refreshed_over
    ]
    assert entry.data["connection"] == lands_on
    assert hass.states.get(API_ACCESS).state == "accepted"
    assert hass.states.get(CONNECTION).state == lands_on
    assert hass.states.get(STATUS).state == "valid"
    assert api_issue(hass, entry) is None

    # After a restart the next refresh goes over the kept profile, once, and is checked.
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    emulator.state.clear_requests()
    await advance(hass, frozen_time, 6 * HOUR)
    assert token_connections(emulator) == [MADE_BY[ConnectionProfile(lands_on)]]
    assert checks(emulator) == [200]
    assert hass.states.get(API_ACCESS).state == "accepted"


async def test_every_connection_refused(
    hass: HomeAssistant, trust_emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """Each profile once, then the status, an event and a repair issue say so; a person's
    refresh tries again at once, and Tesla accepting again clears it all."""
    emulator = trust_emulator
    refused = async_capture_events(hass, f"{DOMAIN}_api_rejected")
    entry = await set_up_entry(hass, emulator, accepted="none")

    # The stored HTTP/1.1 token was checked, then one refresh over each other profile.
    assert token_connections(emulator) == [
        MADE_BY[ConnectionProfile.HTTP2],
        MADE_BY[ConnectionProfile.TLS12],
    ]
    assert checks(emulator) == [403, 403, 403]
    assert hass.states.get(STATUS).state == "api_rejected"
    assert hass.states.get(API_ACCESS).state == "rejected"
    assert [event.data["connections"] for event in refused] == ["http11, http2, tls12"]
    issue = api_issue(hass, entry)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["connections"] == "http11, http2, tls12"

    # Tesla changes its mind; a person presses refresh (a new round, no pause).
    emulator.state.scenario = emulator.state.scenario.updated(
        {"accepted_connections": [{"http": "2"}]}
    )
    emulator.state.clear_requests()
    await advance(hass, frozen_time, MINUTE)  # presses ask Tesla once a minute at most
    await hass.services.async_call(
        DOMAIN, "refresh", {"config_entry_id": entry.entry_id}, blocking=True
    )
    await hass.async_block_till_done()
    # The profile known refused (tls12, the stored token's) comes last: http2 is first.
    assert token_connections(emulator) == [MADE_BY[ConnectionProfile.HTTP2]]
    assert hass.states.get(STATUS).state == "valid"
    assert entry.data["connection"] == "http2"
    assert api_issue(hass, entry) is None


async def test_after_a_refused_round_the_next_waits(
    hass: HomeAssistant,
    trust_emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A round in which Tesla refused every profile is not repeated before a pause: the
    regular refresh in between uses one profile; the refusal is told once."""
    emulator = trust_emulator
    refused = async_capture_events(hass, f"{DOMAIN}_api_rejected")
    entry = await set_up_entry(
        hass,
        emulator,
        accepted="none",
        options={"refresh_mode": "before_expiry", "refresh_minutes_before": 420},
    )
    assert hass.states.get(STATUS).state == "api_rejected"
    emulator.state.clear_requests()

    await advance(
        hass, frozen_time, HOUR + MINUTE
    )  # the regular refresh, inside the pause
    assert len(token_connections(emulator)) == 1
    assert checks(emulator) == [403]
    assert hass.states.get(STATUS).state == "api_rejected"
    # Said once, when it began: not again at each refresh.
    assert len(refused) == 1
    assert caplog.text.count("Tesla's API refuses the token") == 1

    emulator.state.clear_requests()
    await advance(hass, frozen_time, 4 * HOUR)  # the pause is over: a whole round again
    assert len(token_connections(emulator)) == 3
    assert entry.state is ConfigEntryState.LOADED


async def test_a_fixed_profile_is_not_changed(
    hass: HomeAssistant, trust_emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """With "TLS 1.2" chosen and Tesla accepting only HTTP/2, it stays on TLS 1.2 and says so."""
    emulator = trust_emulator
    entry = await set_up_entry(
        hass,
        emulator,
        accepted=[{"http": "2"}],
        minted_over=ConnectionProfile.TLS12,
        options={"connection_choice": "tls12"},
    )
    assert token_connections(emulator) == []  # the check alone
    assert hass.states.get(STATUS).state == "api_rejected"

    emulator.state.clear_requests()
    await advance(hass, frozen_time, 6 * HOUR)
    assert token_connections(emulator) == [MADE_BY[ConnectionProfile.TLS12]]
    assert entry.data["connection"] == "tls12"
    assert hass.states.get(STATUS).state == "api_rejected"


@pytest.mark.parametrize(
    ("fault", "sent"),
    [
        (Fault(FaultKind.STATUS, status=500, count=None), 1),
        (Fault(FaultKind.RATE_LIMIT, count=None), 1),
        (Fault(FaultKind.MALFORMED_JSON, count=None), 1),
        # aiohttp sends an idempotent request again once when a kept-alive connection closes.
        (Fault(FaultKind.DROP, count=None), 2),
        (Fault(FaultKind.WAF_BLOCK, count=None), 1),
    ],
    ids=["500", "429", "malformed", "dropped", "waf"],
)
async def test_an_api_out_of_reach_keeps_the_last_verdict(
    hass: HomeAssistant,
    trust_emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    fault: Fault,
    sent: int,
) -> None:
    """No answer is no verdict: the last one stays, nothing is retried until the next refresh."""
    emulator = trust_emulator
    entry = await set_up_entry(hass, emulator)
    checked_at = hass.states.get(LAST_CHECK).state
    emulator.state.set_fault("products", fault)
    emulator.state.clear_requests()

    await advance(hass, frozen_time, 6 * HOUR)

    assert len(token_connections(emulator)) == 1
    assert len([r for r in emulator.state.requests if r.path == PRODUCTS]) == sent
    assert hass.states.get(API_ACCESS).state == "accepted"
    assert hass.states.get(LAST_CHECK).state == checked_at
    assert hass.states.get(STATUS).state == "valid"
    assert entry.data["connection"] == "http11"


async def test_a_token_the_api_does_not_know_is_refreshed_once(
    hass: HomeAssistant, trust_emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """401 from the API: one more refresh and check; still 401, the sensor says so."""
    emulator = trust_emulator
    await set_up_entry(hass, emulator)
    emulator.state.set_fault(
        "products", Fault(FaultKind.STATUS, status=401, count=None)
    )
    emulator.state.clear_requests()

    await advance(hass, frozen_time, 6 * HOUR)

    assert len(token_connections(emulator)) == 2
    assert checks(emulator) == [401, 401]
    assert hass.states.get(API_ACCESS).state == "unauthorized"

    emulator.state.clear_faults()
    emulator.state.clear_requests()
    await advance(hass, frozen_time, 6 * HOUR)
    assert len(token_connections(emulator)) == 1
    assert hass.states.get(API_ACCESS).state == "accepted"


async def test_only_the_check_between_refreshes(
    hass: HomeAssistant, trust_emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """Nothing is sent between scheduled refreshes; each refresh brings one check."""
    emulator = trust_emulator
    await set_up_entry(hass, emulator)
    assert [r.path for r in emulator.state.requests] == [PRODUCTS]
    emulator.state.clear_requests()

    await advance(hass, frozen_time, 6 * HOUR - MINUTE)
    assert emulator.state.requests == []
    await advance(hass, frozen_time, 2 * MINUTE)
    assert [r.path.rsplit("/", 1)[-1] for r in emulator.state.requests] == [
        "token",
        "products",
    ]


async def test_without_the_check_nothing_is_asked(
    hass: HomeAssistant, trust_emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """With the check off the sensor says so and the API is never asked."""
    emulator = trust_emulator
    await set_up_entry(hass, emulator, accepted="none", options={"api_check": False})
    await advance(hass, frozen_time, 6 * HOUR)

    assert checks(emulator) == []
    assert len(token_connections(emulator)) == 1
    assert hass.states.get(API_ACCESS).state == "not_checked"
    assert hass.states.get(STATUS).state == "valid"


async def test_diagnostics_show_the_checks(
    hass: HomeAssistant,
    trust_emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    snapshot: SnapshotAssertion,
) -> None:
    """The check history (time, connection, outcome) is in the diagnostics; no token."""
    entry = await set_up_entry(hass, trust_emulator, accepted=[{"tls": "1.2"}])

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)

    assert [
        (check["connection"], check["outcome"])
        for check in diagnostics["state"]["api_checks"]
    ] == [("http11", "rejected"), ("http2", "rejected"), ("tls12", "accepted")]
    assert diagnostics["state"]["api_checks"] == snapshot


async def test_a_refusal_found_by_the_first_check_asks_for_a_sign_in(
    hass: HomeAssistant, trust_emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """Signed out everywhere while Home Assistant was off: the API does not know the token
    (401), the one refresh it earns is refused, and the person is asked to sign in."""
    emulator = trust_emulator
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    tokens = await mint_over(hass, emulator, ConnectionProfile.HTTP11)
    emulator.state.revoke(EMAIL)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id=tokens.subject,
        data=build_entry_data(
            tokens,
            email=EMAIL,
            server=ServerChoice(Region.GLOBAL, auth_url=https_sso(emulator)),
            connection=ConnectionProfile.HTTP11,
        ),
        options=dict(DEFAULT_OPTIONS),
        version=1,
        minor_version=3,
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert checks(emulator) == [401]
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert [
        flow["context"]["source"]
        for flow in entry.async_get_active_flows(hass, {"reauth"})
    ] == ["reauth"]
