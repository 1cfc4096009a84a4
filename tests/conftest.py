"""Shared fixtures for the Tesla Token tests, and the checks every test runs under."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
import functools
import logging
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant import block_async_io
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_token.const import DEFAULT_OPTIONS, DOMAIN
from custom_components.tesla_token.sso import TokenSet
from emulator import Emulator

from .flow_helpers import FlowDriver, RestFlow
from .ha_trust import trust_emulator_ca
from .helpers import EMAIL, entry_data, mint_token_set
from .leak_guard import LeakGuard
from .pressure.matrix import collect_matrix_cell, print_fault_matrix

# Loggers whose DEBUG output the leak guard reads.
GUARDED_LOGGERS = (
    "custom_components.tesla_token",
    "homeassistant",
    "emulator",
    # The HTTP libraries under httpx: they log URLs (httpx) and headers (httpcore, hpack).
    "httpx",
    "httpcore",
    "hpack",
    "h2",
)
_CANARY = "leak guard armed"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture(autouse=True)
def storage_mock_quiet() -> Iterator[None]:
    """Keep the harness's storage mock from logging whole files at DEBUG.

    The mock (`hass_storage`) logs every file it writes or loads, tokens included; Home
    Assistant's own Store logs only the key and the path. The leak guard checks the latter.
    Only this logger's level changes: `caplog.set_level` would lower the capture of all.
    """
    logger = logging.getLogger("pytest_homeassistant_custom_component.common")
    level = logger.level
    logger.setLevel(logging.INFO)
    yield
    logger.setLevel(level)


@pytest.fixture
async def emulator(socket_enabled: None) -> AsyncIterator[Emulator]:
    """A running Tesla SSO emulator (default scenario) on 127.0.0.1, any free port.

    `socket_enabled` lifts pytest-socket's block; connections stay limited to 127.0.0.1.
    """
    server = Emulator()
    await server.start(host="127.0.0.1", port=0)
    yield server
    await server.stop()


@pytest.fixture
def trust_emulator(
    hass: HomeAssistant,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Emulator:
    """The emulator, with Home Assistant's client SSL contexts trusting its throw-away CA.

    Verification stays on: see tests/ha_trust.py. Each emulator has a CA of its own, so a
    test without this fixture trusts none of them.
    """
    trust_emulator_ca(hass, emulator, monkeypatch, tmp_path)
    return emulator


def _only_in_the_loop(
    protected: Callable[..., Any], original: Callable[..., Any]
) -> Callable[..., Any]:
    """Check a call only while an event loop runs in this thread.

    Home Assistant's check looks at the thread alone: its loop owns the main thread. Tests also
    run plain code in that thread, outside any loop, where blocking is fine.
    """

    @functools.wraps(original)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if asyncio._get_running_loop() is None:
            return original(*args, **kwargs)
        return protected(*args, **kwargs)

    return checked


@pytest.fixture(autouse=True, scope="session")
def blocking_calls_detected() -> Iterator[None]:
    """Detect blocking calls in the event loop, as Home Assistant does when it runs.

    The test harness leaves Home Assistant's detection off; with it on, `time.sleep` or a
    blocking HTTP request in the loop raises, and the softer ones (glob, os.walk) log
    "Detected blocking call", which `leak_guard` turns into a failure.
    """
    block_async_io.enable()
    for call in block_async_io._BLOCKED_CALLS.calls:
        protected = getattr(call.object, call.function)
        setattr(
            call.object,
            call.function,
            _only_in_the_loop(protected, call.original_func),
        )
    yield
    for call in block_async_io._BLOCKED_CALLS.calls:
        setattr(call.object, call.function, call.original_func)
    block_async_io._BLOCKED_CALLS.calls.clear()


@pytest.fixture(autouse=True)
def leak_guard(
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[LeakGuard]:
    """Fail the test when a secret it handled shows up in a log, a state, an event, …

    The secrets come from every emulator the test started and from `leak_guard.add`; see
    tests/leak_guard.py for what is checked. Flow results and action errors reach it only
    through the helpers that drive flows and actions (`expose_flow_result`, `expose_error`).
    A sync fixture on purpose: it may resolve the async `hass` and `emulator` fixtures, and
    runs the loop itself at teardown.
    """
    guard = LeakGuard()
    for name in GUARDED_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    logging.getLogger("custom_components.tesla_token").debug(_CANARY)

    start = Emulator.start

    async def start_watched(self: Emulator, *args: Any, **kwargs: Any) -> None:
        guard.watch_emulator(self)
        await start(self, *args, **kwargs)

    monkeypatch.setattr(Emulator, "start", start_watched)
    if "emulator" in request.fixturenames:
        guard.watch_emulator(request.getfixturevalue("emulator"))

    hass: HomeAssistant | None = None
    unsubscribe = None
    if "hass" in request.fixturenames:
        hass = request.getfixturevalue("hass")
        unsubscribe = guard.watch_hass(hass)

    yield guard

    if hass is not None and unsubscribe is not None:
        hass.loop.run_until_complete(guard.async_expose_hass(hass))
        unsubscribe()
    records = [
        *caplog.get_records("setup"),
        *caplog.get_records("call"),
        *caplog.records,  # teardown, so far
    ]
    assert any(record.getMessage() == _CANARY for record in records), (
        "the log was not captured: the leak guard would check nothing"
    )
    guard.expose_log_records(records)
    blocking = {
        record.getMessage().partition(" inside the event loop")[0]
        for record in records
        if "Detected blocking call" in record.getMessage()
    }
    guard.check()
    assert not blocking, f"blocking calls in the event loop: {sorted(blocking)}"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the fault matrix cells the pressure tests report (also from xdist workers)."""
    collect_matrix_cell(report)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the fault matrix after the run, when pressure tests ran."""
    print_fault_matrix(terminalreporter)


# The entry of an account with real tokens from the emulator (tests of the coordinator, the
# entities, the actions, …).

FROZEN_START = "2026-03-02 08:00:00+00:00"


@pytest.fixture
def frozen_time(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze the clock before any token is minted (the emulator reads time.time())."""
    freezer.move_to(FROZEN_START)
    return freezer


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots through Home Assistant's extension (ids and times of registries masked)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """The entry's options (the defaults unless a test overrides them)."""
    return dict(DEFAULT_OPTIONS)


@pytest.fixture
async def token_set(emulator: Emulator, frozen_time: FrozenDateTimeFactory) -> TokenSet:
    """Fresh tokens of the owner account."""
    tokens = await mint_token_set(emulator)
    emulator.state.clear_requests()
    return tokens


@pytest.fixture
def mock_config_entry(
    emulator: Emulator, token_set: TokenSet, entry_options: dict[str, Any]
) -> MockConfigEntry:
    """A config entry as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id=token_set.subject,
        data=entry_data(emulator, token_set),
        options=entry_options,
        version=1,
        minor_version=3,
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The integration set up with the mock entry."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture
def flow(hass: HomeAssistant, leak_guard: LeakGuard) -> FlowDriver:
    """Drives the flows; every result it gets is checked for leaks and translations."""
    return FlowDriver(hass, leak_guard)


@pytest.fixture
async def rest(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, leak_guard: LeakGuard
) -> RestFlow:
    """The flow API of a Home Assistant with the `config` integration (the frontend's)."""
    assert await async_setup_component(hass, "config", {})
    # The integration's dependency (auth, websocket_api) registers routes: before the test
    # client freezes the router, as Home Assistant loads them at start.
    assert await async_setup_component(hass, "application_credentials", {})
    return RestFlow(await hass_client(), leak_guard)
