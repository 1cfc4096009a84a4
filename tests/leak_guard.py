"""The leak guard: no secret a test handled may show up where a person or a log reader sees it.

Every test runs under it (the autouse fixture `leak_guard` in tests/conftest.py). The secrets
come from every emulator the test started (`State.secrets()`: passwords, tokens, codes,
verifiers, MFA secrets) and from `LeakGuard.add`. The places checked ("exposures") are the log
records, and with Home Assistant: entity states and attributes, repair issues, fired events,
config entry titles and setup errors, diagnostics and the flows still open at the end. The
helpers that drive flows and actions hand over what the person saw: each flow result
(`expose_flow_result`: errors, placeholders, prefilled values, abort reasons) and each error an
action raised (`expose_error`).

Not checked, on purpose: the config entry data (it stores the tokens), the response of the
`get_access_token` action (handing out the token is its job), and the log lines of
IGNORED_LOGGERS (the harness's mock storage, which stands for the file on disk, and TeslaPy).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import logging
import re
from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import MATCH_ALL
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers import issue_registry as ir

from custom_components.tesla_token.const import DOMAIN
from custom_components.tesla_token.diagnostics import async_get_config_entry_diagnostics
from emulator import Emulator

# Shorter strings would match by chance (a 6-digit TOTP code is the shortest secret).
MIN_SECRET_LENGTH: Final = 6
# Loggers whose lines are not the project's output: the harness's mock storage logs what it
# writes and loads (that is the file on disk), and TeslaPy 1.5.0, the reference client of the
# emulator's fidelity test, logs its tokens at DEBUG through requests-oauthlib.
IGNORED_LOGGERS: Final = (
    "pytest_homeassistant_custom_component",
    "requests_oauthlib",
    "teslapy",
)
# Flow result keys that are not shown: the new entry's data holds the tokens by design.
_UNSHOWN_FLOW_KEYS: Final = frozenset({"data", "result", "data_schema", "options"})
_FORMATTER: Final = logging.Formatter("%(levelname)s %(name)s: %(message)s")


class SecretLeakError(AssertionError):
    """A secret showed up where it must not (the message never holds the secret)."""


@dataclass(frozen=True)
class Exposure:
    """Text that a person or a log reader gets to see, and where it was seen."""

    where: str
    text: str


def _pattern(secret: str) -> re.Pattern[str]:
    """Match a secret; digits-only codes only as a whole number (not inside a longer one)."""
    escaped = re.escape(secret)
    if secret.isdigit():
        return re.compile(rf"(?<![\w.]){escaped}(?!\w)")
    return re.compile(escaped)


def describe(secret: str) -> str:
    """Name a secret without giving it away."""
    if len(secret) >= 20:
        return f"a {len(secret)}-character secret starting {secret[:4]!r}"
    return f"a {len(secret)}-character secret"


def find_leaks(secrets: Iterable[str], exposures: Iterable[Exposure]) -> list[str]:
    """Return one line per secret found in an exposure (secrets shorter than 6 are ignored)."""
    seen = list(exposures)
    if not seen:
        return []
    everything = "\n".join(exposure.text for exposure in seen)
    leaks: list[str] = []
    for secret in sorted(s for s in set(secrets) if len(s) >= MIN_SECRET_LENGTH):
        pattern = _pattern(secret)
        if not pattern.search(everything):
            continue
        places = sorted({e.where for e in seen if pattern.search(e.text)})
        leaks.append(f"{describe(secret)} appears in: {'; '.join(places)}")
    return leaks


def format_log_record(record: logging.LogRecord) -> str:
    """A log record as a log file shows it: level, logger, message and traceback."""
    try:
        return _FORMATTER.format(record)
    except (TypeError, ValueError) as err:  # a broken format string: show the parts
        return f"{record.name}: {record.msg!r} {record.args!r} ({err})"


def _suggested_values(schema: Any) -> list[Any]:
    """The values a form shows prefilled (suggested values and defaults, sections too)."""
    values: list[Any] = []
    for marker, validator in getattr(schema, "schema", {}).items():
        if isinstance(validator, section):
            values += _suggested_values(validator.schema)
            continue
        description = getattr(marker, "description", None) or {}
        if "suggested_value" in description:
            values.append(description["suggested_value"])
        default = getattr(marker, "default", None)
        if callable(default):
            values.append(default())
    return values


def flow_result_text(result: Mapping[str, Any]) -> str:
    """What a flow step shows: title, errors, placeholders, prefilled values, abort reason."""
    shown = {k: v for k, v in result.items() if k not in _UNSHOWN_FLOW_KEYS}
    return f"{shown!r} prefilled={_suggested_values(result.get('data_schema'))!r}"


def error_text(err: BaseException) -> str:
    """The message of an error, and its translation placeholders."""
    placeholders = getattr(err, "translation_placeholders", None)
    return f"{type(err).__name__}: {err} {placeholders!r}"


class LeakGuard:
    """Collects a test's secrets and what it exposed, then fails on any secret shown.

    Use `add` for secrets the emulator does not know (a token typed by the test), and
    `watch_hass` / `async_expose_hass` for a Home Assistant instance the test starts itself.
    """

    def __init__(self) -> None:
        """Start with nothing handled and nothing exposed."""
        self._secrets: set[str] = set()
        self._emulators: list[Emulator] = []
        self._exposures: list[Exposure] = []

    # --- the secrets --------------------------------------------------------------------

    def add(self, *secrets: str | None) -> None:
        """Treat these values as secrets too (None and empty values are skipped)."""
        self._secrets.update(secret for secret in secrets if secret)

    def watch_emulator(self, emulator: Emulator) -> None:
        """Every secret that passes through this emulator counts (read at check time)."""
        if all(emulator is not known for known in self._emulators):
            self._emulators.append(emulator)

    @property
    def secrets(self) -> frozenset[str]:
        """Every secret known so far, long enough to be searched for."""
        found = set(self._secrets)
        for emulator in self._emulators:
            found |= emulator.state.secrets()
        return frozenset(s for s in found if len(s) >= MIN_SECRET_LENGTH)

    # --- what was exposed ---------------------------------------------------------------

    @property
    def exposures(self) -> tuple[Exposure, ...]:
        """Everything recorded so far (Home Assistant's surfaces are added at the end)."""
        return tuple(self._exposures)

    def expose(self, where: str, text: str) -> None:
        """Record text that somebody gets to see."""
        self._exposures.append(Exposure(where, text))

    def expose_log_records(self, records: Iterable[logging.LogRecord]) -> None:
        """Record log lines (with tracebacks), except those of IGNORED_LOGGERS."""
        for record in records:
            if record.name.startswith(IGNORED_LOGGERS):
                continue
            self.expose(
                f"log {record.levelname} {record.name}", format_log_record(record)
            )

    def expose_flow_result(self, result: Mapping[str, Any]) -> None:
        """Record what a flow step showed."""
        self.expose(
            f"flow {result.get('handler')} step {result.get('step_id') or result.get('reason')}",
            flow_result_text(result),
        )

    def expose_error(self, err: BaseException) -> None:
        """Record the message of an error a person gets to read."""
        self.expose(f"error {type(err).__name__}", error_text(err))

    @callback
    def watch_hass(self, hass: HomeAssistant) -> CALLBACK_TYPE:
        """Record every event fired on this instance from now on; returns the unsubscribe."""

        @callback
        def record(event: Event) -> None:
            self.expose(f"event {event.event_type}", repr(event.data))

        return hass.bus.async_listen(MATCH_ALL, record)

    async def async_expose_hass(self, hass: HomeAssistant) -> None:
        """Record what this instance shows now: states, issues, entries, diagnostics, flows."""
        for state in hass.states.async_all():
            self.expose(
                f"state of {state.entity_id}",
                f"{state.state!r} {dict(state.attributes)!r}",
            )
        for (domain, issue_id), issue in ir.async_get(hass).issues.items():
            self.expose(
                f"repair issue {domain}.{issue_id}",
                repr(
                    (
                        issue.translation_key,
                        issue.translation_placeholders,
                        issue.data,
                        issue.learn_more_url,
                    )
                ),
            )
        for entry in hass.config_entries.async_entries():
            self.expose(
                f"config entry {entry.domain} title, state and setup error",
                repr(
                    (
                        entry.title,
                        entry.state.value,
                        entry.reason,
                        entry.error_reason_translation_placeholders,
                    )
                ),
            )
            if (
                entry.domain == DOMAIN
                and entry.state is ConfigEntryState.LOADED
                and getattr(entry, "runtime_data", None) is not None
            ):
                diagnostics = await async_get_config_entry_diagnostics(hass, entry)
                self.expose(f"diagnostics of {entry.title}", repr(diagnostics))
        for manager in (hass.config_entries.flow, hass.config_entries.options):
            for flow in list(manager._progress.values()):
                if flow.cur_step is not None:
                    self.expose_flow_result(flow.cur_step)

    # --- the verdict --------------------------------------------------------------------

    def leaks(self) -> list[str]:
        """One line per secret that showed up somewhere, with where."""
        return find_leaks(self.secrets, self._exposures)

    def check(self) -> None:
        """Raise SecretLeakError when any secret showed up."""
        if leaks := self.leaks():
            raise SecretLeakError(
                "secrets showed up where they must not:\n  " + "\n  ".join(leaks)
            )
