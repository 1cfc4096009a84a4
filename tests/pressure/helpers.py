"""Helpers for the pressure tests: an account, faults as the person meets them, a frozen clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
import json
from pathlib import Path
from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.tesla_token.const import DEFAULT_OPTIONS, DOMAIN
from custom_components.tesla_token.sso.client import DEFAULT_TIMEOUT as REQUEST_TIMEOUT
from emulator import Emulator, Fault, FaultKind, RefreshRotation
from tests.helpers import EMAIL, entry_data, mint_token_set

EN_JSON: Final = (
    Path(__file__).parents[2]
    / "custom_components"
    / DOMAIN
    / "translations"
    / "en.json"
)
# A late answer: longer than the client waits for it, but shorter than the first retry delay
# (48 s at the least), so that draining it never fires a retry.
LATE_ANSWER_SECONDS: Final = REQUEST_TIMEOUT + 5
# Enough loop turns for a request to travel to the emulator over 127.0.0.1.
_SPINS: Final = 10_000
# A late-answer fault counts down from this (instead of lasting forever: count=None), which
# tells the test when a request has reached the emulator.
_LATE_COUNT: Final = 1000


@dataclass(frozen=True)
class FaultCase:
    """A fault at an endpoint, and what the person and the coordinator make of it.

    Attributes:
        id: the fault's name in the matrix.
        kind: what the emulator does.
        reason: the coordinator's failure reason (status attribute, event, action error).
        flow_error: the error the config flow shows.
        rotation: the refresh rotation the refresh phases run with.
        status: the HTTP status of a status fault.
        retry_after: the Retry-After of a rate limit (seconds).
    """

    id: str
    kind: FaultKind
    reason: str
    flow_error: str = "cannot_connect"
    rotation: RefreshRotation = RefreshRotation.SINGLE_USE
    status: int = 500
    retry_after: int | None = None

    @property
    def is_timeout(self) -> bool:
        """Whether the answer comes too late (the client gives up)."""
        return self.kind is FaultKind.DELAY

    @property
    def offers_browser(self) -> bool:
        """Whether the sign-in then offers the browser path (firewall trouble)."""
        return self.flow_error == "waf_blocked"

    def fault(self, method: str | None = None) -> Fault:
        """The fault to arm; it lasts until cleared (a late answer: many times over)."""
        return Fault(
            self.kind,
            count=_LATE_COUNT if self.is_timeout else None,
            status=self.status,
            retry_after=self.retry_after,
            delay=LATE_ANSWER_SECONDS,
            method=method,
        )


FAULT_CASES: Final = (
    FaultCase("500", FaultKind.STATUS, "server_error", status=500),
    FaultCase("503", FaultKind.STATUS, "server_error", status=503),
    FaultCase("429", FaultKind.RATE_LIMIT, "rate_limited", retry_after=1200),
    FaultCase(
        "timeout",
        FaultKind.DELAY,
        "connection_error",
        rotation=RefreshRotation.REUSE,
    ),
    FaultCase("dropped", FaultKind.DROP, "connection_error"),
    FaultCase("malformed_json", FaultKind.MALFORMED_JSON, "unexpected_response"),
    FaultCase(
        "truncated",
        FaultKind.TRUNCATED,
        "unexpected_response",
        rotation=RefreshRotation.REUSE,
    ),
    FaultCase("waf_403", FaultKind.WAF_BLOCK, "waf_blocked", "waf_blocked"),
    FaultCase("waf_challenge", FaultKind.WAF_CHALLENGE, "waf_challenge", "waf_blocked"),
)


async def owner_entry(
    emulator: Emulator, options: dict[str, Any] | None = None
) -> MockConfigEntry:
    """The owner's account with fresh tokens, stored as today's release stores it."""
    tokens = await mint_token_set(emulator)
    return MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id=tokens.subject,
        data=entry_data(emulator, tokens),
        options={**DEFAULT_OPTIONS, **(options or {})},
        version=1,
    )


async def load(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Add the entry to Home Assistant and set it up."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def translations() -> dict[str, Any]:
    """The integration's English texts."""
    loaded: dict[str, Any] = json.loads(EN_JSON.read_text(encoding="utf-8"))
    return loaded


async def spin_until(condition: Callable[[], bool]) -> bool:
    """Turn the event loop (without moving the clock) until the condition holds."""
    for _ in range(_SPINS):
        if condition():
            return True
        await asyncio.sleep(0)
    return condition()


def late_requests(fault: Fault) -> int:
    """How many requests a late-answer fault has held so far."""
    return _LATE_COUNT - (fault.count or 0)


async def time_out_late_requests(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fault: Fault,
    held_before: int,
) -> None:
    """Once a late request reached the emulator, move the clock past the client's timeout."""
    assert await spin_until(lambda: late_requests(fault) > held_before), (
        "no request reached the emulator"
    )
    freezer.tick(timedelta(seconds=REQUEST_TIMEOUT + 1))
    async_fire_time_changed(hass)


async def run_through_fault[T](
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fault: Fault,
    action: Awaitable[T],
) -> T:
    """Run what makes one request; when the fault makes it late, let the client time out."""
    if fault.kind is not FaultKind.DELAY:
        return await action
    held = late_requests(fault)
    task = asyncio.ensure_future(action)
    await time_out_late_requests(hass, freezer, fault, held)
    return await task


async def drain_late_answers(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Let the emulator finish the requests it sat on (it stops only once they are done)."""
    freezer.tick(timedelta(seconds=LATE_ANSWER_SECONDS + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def advance(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    delta: timedelta,
    fault: Fault | None = None,
) -> None:
    """Move the clock; a refresh that then runs into a late answer times out."""
    late = fault is not None and fault.kind is FaultKind.DELAY
    held = late_requests(fault) if fault is not None and late else 0
    freezer.tick(delta)
    async_fire_time_changed(hass)
    if fault is not None and late:
        await time_out_late_requests(hass, freezer, fault, held)
    await hass.async_block_till_done(wait_background_tasks=True)
