"""One fuzz example through the real config flow: what it may end in, and the clean-up after it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
import logging

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from yarl import URL

from custom_components.tesla_token.const import DOMAIN
from custom_components.tesla_token.sso import SSO_BASES, Region
from emulator import Emulator
from tests.conformance.translated import assert_translated
from tests.leak_guard import LeakGuard

from .request_log import TESLA_ORIGINS, Origin, RequestLog, origin_of

# An error key that only an exception the flow did not expect produces.
UNEXPECTED = "unknown"
# Where an unexpected exception is logged (the emulator's own errors are not the flow's).
CHECKED_LOGGERS = ("custom_components.tesla_token", "homeassistant")


def chosen_origins(auth_url: str, region: str) -> set[Origin]:
    """The origin a person chose with the custom server field (or the region's default)."""
    typed = auth_url.strip()
    if not typed:
        return {origin_of(SSO_BASES[Region(region)])}
    try:
        return {origin_of(URL(typed))}
    except ValueError:
        return set()


@dataclass
class FlowExample:
    """Checks one example's flow results, requests and log; cleans up after it."""

    hass: HomeAssistant
    emulator: Emulator
    log: RequestLog
    caplog: pytest.LogCaptureFixture
    leak_guard: LeakGuard
    _first_record: int = 0
    # What every example so far typed as a password, and what forms showed again (email,
    # server). The leak guard watches the whole test, so one example's password inside a
    # later example's email would count as leaked.
    typed_passwords: set[str] = field(default_factory=set)
    shown_again: set[str] = field(default_factory=set)

    def begin(self) -> None:
        """Forget what earlier examples did."""
        self.log.clear()
        self._first_record = len(self.caplog.records)

    def check(self, result: ConfigFlowResult) -> str:
        """The result is translated, shown to the leak guard, and no unexpected error is
        behind it; returns a summary."""
        self.leak_guard.expose_flow_result(result)
        assert result["type"] in (
            FlowResultType.FORM,
            FlowResultType.MENU,
            FlowResultType.CREATE_ENTRY,
            FlowResultType.ABORT,
        ), result["type"]
        assert_translated("config", result)
        errors = result.get("errors") or {}
        assert UNEXPECTED not in errors.values(), (
            "an unexpected exception behind the form"
        )
        if result["type"] is FlowResultType.FORM:
            return f"{result['step_id']} {sorted(errors.values())}"
        return str(result["type"])

    def check_requests(self, chosen: Iterable[Origin]) -> None:
        """Every request went to the chosen server (or a Tesla SSO origin)."""
        foreign = self.log.foreign({*chosen, *TESLA_ORIGINS})
        assert not foreign, f"requests went to {foreign}"

    def check_log(self) -> None:
        """Home Assistant and the integration logged no error (unexpected exceptions are)."""
        errors = [
            f"{record.name}: {record.getMessage()}"
            for record in self.caplog.records[self._first_record :]
            if record.levelno >= logging.ERROR
            and record.name.startswith(CHECKED_LOGGERS)
        ]
        assert not errors, errors

    async def end(self) -> None:
        """Close every flow and remove every entry the example left behind."""
        self.check_log()
        flows = self.hass.config_entries.flow
        for flow in flows.async_progress_by_handler(DOMAIN):
            flows.async_abort(flow["flow_id"])
        for entry in self.hass.config_entries.async_entries(DOMAIN):
            await self.hass.config_entries.async_remove(entry.entry_id)
        await self.hass.async_block_till_done(wait_background_tasks=True)
