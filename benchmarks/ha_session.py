"""Measurements inside a real Home Assistant instance, run as a pytest session by the bench.

pytest-homeassistant-custom-component gives each measurement a fresh `HomeAssistant`, lets
sockets reach 127.0.0.1 only, and moves the clock for the simulated week. These are figures,
not tests: each "test" records numbers (into the JSON file named by TESLA_TOKEN_BENCH_RESULTS)
and fails only when the integration does not work at all. asyncio's debug mode, which the
harness turns on, is off while measuring: Home Assistant does not run with it.

    .venv/bin/python -m pytest benchmarks/ha_session.py -o addopts= -p no:cacheprovider
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
import contextlib
import gc
import json
import math
import os
from pathlib import Path
import statistics
import time
import tracemalloc
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.tesla_token.connection import (
    PROFILE_ORDER,
    ConnectionProfile,
    async_token_transport,
)
from custom_components.tesla_token.const import (
    CONF_EXPIRES_AT,
    CONF_ISSUED_AT,
    CONF_ISSUER,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from custom_components.tesla_token.coordinator import TeslaTokenCoordinator
from custom_components.tesla_token.entry_data import build_entry_data
from custom_components.tesla_token.flow_input import ServerChoice
from custom_components.tesla_token.refresh_schedule import refresh_due_at
from custom_components.tesla_token.sso import (
    REDIRECT_URI,
    SSO_BASES,
    ApiAccess,
    Region,
    TeslaSso,
    TeslaSsoLoginError,
    TokenSet,
)
from custom_components.tesla_token.sso.callback import parse_callback
from custom_components.tesla_token.sso.const import CLIENT_ID, SCOPE
from emulator import Emulator, Scenario
from tests.ha_trust import trust_emulator_ca

RESULTS_ENV = "TESLA_TOKEN_BENCH_RESULTS"
REFRESH_RUNS = int(os.environ.get("TESLA_TOKEN_BENCH_REFRESH_RUNS", "200"))
ENTRY_COUNTS = (1, 10, 100)
WEEK_SECONDS = 7 * 24 * 3600
WEEK_STEP_SECONDS = 5 * 60
WEEK_START = "2026-03-02 08:00:00+00:00"
FLOWS = "/api/config/config_entries/flow"
PASTE_RUNS = 10
PROFILE_RUNS = int(os.environ.get("TESLA_TOKEN_BENCH_PROFILE_RUNS", "20"))
PASTE_BYTES = 4 * 1024 * 1024
# What the console shows, before the megabytes of blanks of a runaway paste.
PASTED = "Failed to launch 'tesla://auth/callback?code=c0de&state=s1'"


def account_email(number: int) -> str:
    """The email of the n-th benchmark account."""
    return f"account-{number:03d}@example.com"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture(scope="session")
def results() -> Iterator[dict[str, Any]]:
    """The figures of this session, written out at its end."""
    figures: dict[str, Any] = {}
    yield figures
    if path := os.environ.get(RESULTS_ENV):
        Path(path).write_text(json.dumps(figures, indent=2), encoding="utf-8")


@pytest.fixture
async def quiet_loop() -> AsyncIterator[None]:
    """Turn asyncio's debug mode off while measuring (the harness turns it on)."""
    loop = asyncio.get_running_loop()
    debug = loop.get_debug()
    loop.set_debug(False)
    yield
    loop.set_debug(debug)


@pytest.fixture
async def emulator(socket_enabled: None) -> AsyncIterator[Emulator]:
    """The emulator in this process (its clock is the frozen one in the simulated week)."""
    accounts = [{"email": account_email(n)} for n in range(max(ENTRY_COUNTS))]
    server = Emulator(Scenario.default().updated({"accounts": accounts}))
    await server.start(host="127.0.0.1", port=0)
    yield server
    await server.stop()


async def fresh_tokens(emulator: Emulator, email: str) -> TokenSet:
    """Tokens as a sign-in leaves them: a minted refresh token, refreshed once."""
    async with aiohttp.ClientSession() as session:
        return await TeslaSso(session, emulator.global_sso).refresh(
            emulator.state.mint_refresh_token(email)
        )


def config_entry(
    emulator: Emulator, email: str, tokens: TokenSet, *, api_check: bool = True
) -> MockConfigEntry:
    """A config entry as the config flow creates it, after its first check (on or off)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=email,
        unique_id=tokens.subject,
        data=build_entry_data(
            tokens,
            email=email,
            server=ServerChoice(region=Region.GLOBAL, auth_url=emulator.global_sso),
            connection=ConnectionProfile.HTTP11,
        )
        # Checked once already (as after its first start): a restart sends nothing.
        | {"api_access": "accepted", "api_checked_at": tokens.issued_at},
        options={**DEFAULT_OPTIONS, "api_check": api_check},
        version=1,
        minor_version=3,
    )


async def entries_for(emulator: Emulator, count: int) -> list[MockConfigEntry]:
    """`count` entries of different accounts, with fresh tokens."""
    return [
        config_entry(emulator, email, await fresh_tokens(emulator, email))
        for email in map(account_email, range(count))
    ]


async def set_up(hass: HomeAssistant, entries: list[MockConfigEntry]) -> None:
    """Add and set up the entries, and wait until everything they started is done."""
    for entry in entries:
        entry.add_to_hass(hass)
        if not await hass.config_entries.async_setup(entry.entry_id):
            raise RuntimeError(f"the entry of {entry.title} did not set up")
    await hass.async_block_till_done()


# --- c. Refresh overhead -------------------------------------------------------------------


async def test_refresh_overhead(
    hass: HomeAssistant,
    emulator: Emulator,
    quiet_loop: None,
    results: dict[str, Any],
) -> None:
    """A coordinator refresh, with and without the API check, against a bare POST, interleaved."""
    (checked,) = await entries_for(emulator, 1)
    email = account_email(1)
    unchecked = config_entry(
        emulator, email, await fresh_tokens(emulator, email), api_check=False
    )
    await set_up(hass, [checked, unchecked])
    session = async_get_clientsession(hass)
    url = f"{checked.data[CONF_ISSUER]}/token"
    payload = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "refresh_token": emulator.state.mint_refresh_token(account_email(2)),
        "scope": SCOPE,
    }

    async def bare_post() -> None:
        async with session.post(url, json=payload) as response:
            await response.json()
            if response.status != 200:
                raise RuntimeError(f"the bare POST got HTTP {response.status}")

    def coordinator_refresh(entry: MockConfigEntry) -> Callable[[], Awaitable[None]]:
        coordinator: TeslaTokenCoordinator = entry.runtime_data

        async def refresh() -> None:
            # As the schedule refreshes (raises when it fails): an explicit refresh sends at
            # most one request a minute.
            await coordinator.async_refresh_token(scheduled=True)

        return refresh

    works = {
        "checked": coordinator_refresh(checked),
        "unchecked": coordinator_refresh(unchecked),
        "bare": bare_post,
    }
    timings: dict[str, list[float]] = {name: [] for name in works}
    for run in range(REFRESH_RUNS + 20):  # 20 warm-up rounds
        for name, work in works.items():
            start = time.perf_counter()
            await work()
            if run >= 20:
                timings[name].append(time.perf_counter() - start)
    await hass.async_block_till_done()

    median_ms = {
        name: statistics.median(values) * 1000 for name, values in timings.items()
    }
    results["refresh"] = {
        "runs": REFRESH_RUNS,
        "coordinator_median_ms": median_ms["unchecked"],
        "checked_median_ms": median_ms["checked"],
        "bare_median_ms": median_ms["bare"],
        "ratio": median_ms["unchecked"] / median_ms["bare"],
        "check_extra_ms": median_ms["checked"] - median_ms["unchecked"],
    }


# --- d. Home Assistant cost ----------------------------------------------------------------


@pytest.mark.parametrize("count", ENTRY_COUNTS)
async def test_setup_time(
    hass: HomeAssistant,
    emulator: Emulator,
    quiet_loop: None,
    results: dict[str, Any],
    count: int,
) -> None:
    """Wall time to set up `count` entries in a fresh instance (the first loads the integration)."""
    entries = await entries_for(emulator, count)
    emulator.state.clear_requests()
    start = time.perf_counter()
    await set_up(hass, entries)
    seconds = time.perf_counter() - start
    if emulator.state.requests:
        raise RuntimeError("setting up fresh tokens sent requests")
    results.setdefault("setup_time", {})[str(count)] = {
        "total_ms": seconds * 1000,
        "per_entry_ms": seconds * 1000 / count,
        "entities": len(hass.states.async_entity_ids()),
    }


@pytest.mark.parametrize("count", ENTRY_COUNTS)
async def test_setup_memory(
    hass: HomeAssistant,
    emulator: Emulator,
    quiet_loop: None,
    results: dict[str, Any],
    count: int,
) -> None:
    """Python memory the entries keep (tracemalloc, after a garbage collection), and the peak."""
    entries = await entries_for(emulator, count)
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        await set_up(hass, entries)
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    results.setdefault("setup_memory", {})[str(count)] = {
        "kept_kib": (after - before) / 1024,
        "kept_per_entry_kib": (after - before) / 1024 / count,
        "peak_kib": (peak - before) / 1024,
    }


# --- e. A simulated week -------------------------------------------------------------------


def schedule_minimum(lifetime: float, options: dict[str, Any], span: float) -> int:
    """How many refreshes the schedule itself asks for over `span` seconds from a fresh token."""
    issued, refreshes = 0.0, 0
    while (due := refresh_due_at(issued, issued + lifetime, options)) <= span:
        refreshes += 1
        issued = due
    return refreshes


async def test_a_week(
    hass: HomeAssistant,
    emulator: Emulator,
    quiet_loop: None,
    freezer: FrozenDateTimeFactory,
    results: dict[str, Any],
) -> None:
    """Seven days of one account on the default schedule, clock moved in 5-minute steps."""
    freezer.move_to(WEEK_START)
    (entry,) = await entries_for(emulator, 1)
    await set_up(hass, [entry])
    emulator.state.clear_requests()
    lifetime = entry.data[CONF_EXPIRES_AT] - entry.data[CONF_ISSUED_AT]

    for _ in range(WEEK_SECONDS // WEEK_STEP_SECONDS):
        freezer.tick(WEEK_STEP_SECONDS)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    served = emulator.state.requests
    token_requests = [
        r for r in served if r.method == "POST" and r.path.endswith("/token")
    ]
    checks = [r for r in served if r.path == "/api/1/products"]
    results["week"] = {
        "lifetime_hours": lifetime / 3600,
        "refresh_share": DEFAULT_OPTIONS["refresh_share"],
        "one_per_lifetime": math.ceil(WEEK_SECONDS / lifetime),
        "schedule_minimum": schedule_minimum(
            lifetime, dict(DEFAULT_OPTIONS), WEEK_SECONDS
        ),
        "token_requests": len(token_requests),
        "api_checks": len(checks),
        "other_requests": len(served) - len(token_requests) - len(checks),
        "step_minutes": WEEK_STEP_SECONDS // 60,
    }


# --- f. Refusing an over-long paste ----------------------------------------------------------


async def test_refusing_a_long_paste(
    hass: HomeAssistant,
    hass_client: Any,
    quiet_loop: None,
    results: dict[str, Any],
) -> None:
    """A 4 MB paste posted to the browser and token steps as the frontend posts it.

    Timed from sending the request to Home Assistant's REST API to holding the form with the
    error; nothing is sent to Tesla. Also: the SSO client reading such a paste itself.
    """
    # The integration's dependencies (application_credentials: auth, websocket_api) register
    # routes: before the test client freezes the router, as Home Assistant loads them at start.
    for component in ("config", "application_credentials"):
        if not await async_setup_component(hass, component, {}):
            raise RuntimeError(f"Home Assistant's {component} did not set up")
    client = await hass_client()
    figures: dict[str, Any] = {"runs": PASTE_RUNS, "bytes": PASTE_BYTES}
    for method, field in (("browser", "callback_url"), ("token", "refresh_token")):
        response = await client.post(FLOWS, json={"handler": DOMAIN})
        flow_id = (await response.json())["flow_id"]
        await client.post(f"{FLOWS}/{flow_id}", json={"next_step_id": method})
        body = json.dumps({field: PASTED + " " * PASTE_BYTES, "region": "global"})
        timings = []
        for run in range(PASTE_RUNS + 2):  # 2 warm-up rounds
            start = time.perf_counter()
            response = await client.post(
                f"{FLOWS}/{flow_id}",
                data=body,
                headers={"Content-Type": "application/json"},
            )
            form = await response.json()
            if run >= 2:
                timings.append(time.perf_counter() - start)
            if form.get("errors") != {field: "input_too_long"}:
                raise RuntimeError(f"the {method} step did not refuse: {form}")
        figures[f"{method}_median_ms"] = statistics.median(timings) * 1000

    base = SSO_BASES[Region.GLOBAL]
    timings = []
    for text in (PASTED + " " * PASTE_BYTES, "a" * PASTE_BYTES) * PASTE_RUNS:
        start = time.perf_counter()
        with contextlib.suppress(TeslaSsoLoginError):
            parse_callback(
                text,
                state="benchmark",
                redirect_uri=REDIRECT_URI,
                trusted_base=base,
                default_issuer=base,
            )
        timings.append(time.perf_counter() - start)
    figures["parse_median_ms"] = statistics.median(timings) * 1000
    results["long_paste"] = figures


# --- g. Connection profiles ------------------------------------------------------------------


@pytest.fixture
def trusted_emulator(
    hass: HomeAssistant,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Emulator:
    """The emulator, its throw-away CA trusted by Home Assistant's client contexts."""
    trust_emulator_ca(hass, emulator, monkeypatch, tmp_path)
    return emulator


async def test_connection_profiles(
    hass: HomeAssistant,
    trusted_emulator: Emulator,
    quiet_loop: None,
    results: dict[str, Any],
) -> None:
    """One refresh and one Owner API check over each profile, verified HTTPS to the emulator.

    The first refresh of a profile opens its connection (TCP and TLS handshake, HTTP/2 preface);
    the later ones reuse it, as refreshes close together do.
    """
    emulator = trusted_emulator
    base = f"{emulator.https_url}/oauth2/v3"
    figures: dict[str, Any] = {"runs": PROFILE_RUNS}
    for profile in PROFILE_ORDER:
        sso = TeslaSso(await async_token_transport(hass, profile), base)
        refresh_token = emulator.state.mint_refresh_token(account_email(0))
        timings: dict[str, list[float]] = {"refresh": [], "check": []}
        first_ms = 0.0
        for run in range(PROFILE_RUNS + 1):  # the first opens the connection
            start = time.perf_counter()
            tokens = await sso.refresh(refresh_token)
            middle = time.perf_counter()
            verdict = await sso.check_api_access(
                tokens.access_token, emulator.https_url
            )
            end = time.perf_counter()
            if verdict is not ApiAccess.ACCEPTED:
                raise RuntimeError(f"the Owner API said {verdict} over {profile}")
            refresh_token = tokens.refresh_token
            if run == 0:
                first_ms = (middle - start) * 1000
            else:
                timings["refresh"].append(middle - start)
                timings["check"].append(end - middle)
        connection = (await _token_records(emulator))[-1]["connection"]
        figures[str(profile)] = {
            "connection": f"HTTP/{connection['http']} over TLS {connection['tls']}",
            "first_refresh_ms": first_ms,
            "refresh_median_ms": statistics.median(timings["refresh"]) * 1000,
            "check_median_ms": statistics.median(timings["check"]) * 1000,
        }
    results["profiles"] = figures


async def _token_records(emulator: Emulator) -> list[dict[str, Any]]:
    """The emulator's record of each token it minted (`/__emulator__/tokens`)."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{emulator.base_url}/__emulator__/tokens") as response,
    ):
        records: list[dict[str, Any]] = await response.json()
        return records
