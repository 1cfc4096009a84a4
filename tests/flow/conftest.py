"""Fixtures for the config flow tests: the emulator, secret-free logs, complete translations."""

from __future__ import annotations

from collections.abc import Iterator
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import OptionsFlowManager
from homeassistant.const import CONF_ACCESS_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowManager, FlowResultType
import pytest

from custom_components.tesla_token.const import CONF_REFRESH_TOKEN, DOMAIN

from .helpers import PASSWORD, check_translations

_CANARY = "secret check armed"


class Secrets:
    """The secrets a test handled; none of them may show up in a log line."""

    def __init__(self) -> None:
        self.values: set[str] = {PASSWORD}

    def add(self, *values: str | None) -> None:
        self.values.update(value for value in values if value)


@pytest.fixture(autouse=True)
def secrets(hass: HomeAssistant, caplog: pytest.LogCaptureFixture) -> Iterator[Secrets]:
    """Log everything at DEBUG; after the test, no handled secret may be in the log."""
    caplog.set_level(logging.DEBUG)
    handled = Secrets()
    logging.getLogger(__name__).debug(_CANARY)
    yield handled
    for entry in hass.config_entries.async_entries(DOMAIN):
        handled.add(
            entry.data.get(CONF_ACCESS_TOKEN), entry.data.get(CONF_REFRESH_TOKEN)
        )
        assert PASSWORD not in repr(entry.data)
    formatter = logging.Formatter("%(name)s %(message)s")
    logged = "\n".join(
        formatter.format(record)  # the message, and the traceback of an exception
        for phase in ("setup", "call")
        for record in caplog.get_records(phase)
    )
    assert _CANARY in logged, "the log was not captured: the check would be void"
    leaked = sorted(secret[:8] for secret in handled.values if secret in logged)
    assert not leaked, f"secrets starting with {leaked} appear in the log"


@pytest.fixture(autouse=True)
def translations_checked(secrets: Secrets) -> Iterator[None]:
    """Every step, field, error, menu option and abort reason a flow shows is translated.

    The tokens of every entry a flow creates join the secrets that must stay out of logs.
    """
    handle_step = FlowManager._async_handle_step

    async def checked(
        manager: FlowManager, flow: Any, step_id: str, user_input: Any
    ) -> Any:
        result = await handle_step(manager, flow, step_id, user_input)
        section = "options" if isinstance(manager, OptionsFlowManager) else "config"
        if flow.handler == DOMAIN or section == "options":
            check_translations(section, result)
        if result["type"] is FlowResultType.CREATE_ENTRY and section == "config":
            secrets.add(
                result["data"][CONF_ACCESS_TOKEN], result["data"][CONF_REFRESH_TOKEN]
            )
        return result

    with patch.object(FlowManager, "_async_handle_step", checked):
        yield
