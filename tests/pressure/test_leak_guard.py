"""The leak guard catches what it must, and only that."""

from __future__ import annotations

import os
from pathlib import Path
import secrets as random
import subprocess
import sys
from textwrap import dedent

import aiohttp
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.tesla_token.const import DOMAIN
from emulator import Emulator
from tests.emulator.helpers import PASSWORD, Browser, callback
from tests.leak_guard import (
    Exposure,
    LeakGuard,
    SecretLeakError,
    describe,
    find_leaks,
    flow_result_text,
)

REPO = Path(__file__).parents[2]


def test_short_strings_are_not_secrets() -> None:
    """Five characters and fewer would match by chance; six (a TOTP code) count."""
    seen = [Exposure("log", "codes 12345 and abcde and 654321")]
    assert find_leaks({"12345", "abcde"}, seen) == []
    assert len(find_leaks({"654321"}, seen)) == 1


@pytest.mark.parametrize(
    ("text", "leaks"),
    [
        ("the passcode is 123456", True),
        ("passcode=123456&x", True),
        ("id 91234567", False),  # inside a longer number
        ("took 0.123456 seconds", False),  # a fraction
        ("1234567", False),
    ],
)
def test_digit_codes_match_as_whole_numbers(text: str, leaks: bool) -> None:
    assert bool(find_leaks({"123456"}, [Exposure("log", text)])) is leaks


def test_the_report_never_repeats_the_secret() -> None:
    secret = random.token_urlsafe(40)
    guard = LeakGuard()
    guard.add(secret, None, "")
    guard.expose("log INFO somewhere", f"token={secret}")

    with pytest.raises(SecretLeakError) as err:
        guard.check()

    assert secret not in str(err.value)
    assert secret[:4] in str(err.value)
    assert "log INFO somewhere" in str(err.value)


def test_flow_results_are_read_as_shown() -> None:
    """Errors, placeholders and prefilled values count; the new entry's data does not."""
    secret = random.token_urlsafe(32)
    shown = {"type": FlowResultType.FORM, "errors": {"base": secret}}
    created = {"type": FlowResultType.CREATE_ENTRY, "data": {"refresh_token": secret}}

    assert secret in flow_result_text(shown)
    assert secret not in flow_result_text(created)


async def test_emulator_secrets_are_collected(emulator: Emulator) -> None:
    """Passwords, tokens, codes, verifiers, passcodes and backup codes are all known."""
    guard = LeakGuard()
    guard.watch_emulator(emulator)
    minted = emulator.state.mint_refresh_token("owner@example.com")
    passcode = emulator.state.totp("mfa@example.com", "Phone")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        browser = Browser(http, emulator.global_sso)
        await browser.open("owner@example.com")
        code = callback(await browser.submit("owner@example.com"))["code"]
        status, tokens, _ = await browser.token(code)
    assert status == 200

    known = guard.secrets
    assert {minted, passcode, PASSWORD, code, browser.verifier} <= known
    assert {
        tokens["access_token"],
        tokens["refresh_token"],
        tokens["id_token"],
    } <= known
    assert set(emulator.state.backup_codes("mfa@example.com")) <= known


async def test_home_assistant_surfaces_are_read(hass: HomeAssistant) -> None:
    """States, attributes, events and repair issues are all searched."""
    guard = LeakGuard()
    in_state, in_attribute, in_event, in_issue = (
        random.token_urlsafe(32) for _ in range(4)
    )
    guard.add(in_state, in_attribute, in_event, in_issue)
    unsubscribe = guard.watch_hass(hass)
    hass.states.async_set("sensor.leaky", in_state, {"note": in_attribute})
    hass.bus.async_fire("leaky_event", {"value": in_event})
    ir.async_create_issue(
        hass,
        "leaky",
        "leaky_issue",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="leaky",
        translation_placeholders={"value": in_issue},
    )
    await hass.async_block_till_done()
    await guard.async_expose_hass(hass)
    unsubscribe()

    leaks = "\n".join(guard.leaks())
    assert "state of sensor.leaky" in leaks
    assert "event leaky_event" in leaks
    assert "repair issue leaky.leaky_issue" in leaks
    assert len(guard.leaks()) == 4
    ir.async_delete_issue(hass, "leaky", "leaky_issue")


def test_action_errors_are_read_with_their_placeholders() -> None:
    """An action's error shows its translation placeholders: a secret there is a leak."""
    secret = random.token_urlsafe(32)
    guard = LeakGuard()
    guard.add(secret)
    guard.expose_error(
        ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="refresh_failed",
            translation_placeholders={"reason": secret},
        )
    )

    assert guard.leaks() == [
        f"{describe(secret)} appears in: error ServiceValidationError"
    ]


async def test_open_flows_are_read_at_the_end(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A flow the test left open is read as it stands; the token form does not show the
    typed token back."""
    guard = LeakGuard()
    typed = "typed-refresh-token-" + random.token_urlsafe(24)
    guard.add(typed)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "token"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "refresh_token": typed,
            "region": "global",
            "advanced": {"auth_url": emulator.global_sso},
        },
    )
    assert result["errors"] == {"refresh_token": "invalid_refresh_token"}

    await guard.async_expose_hass(hass)

    assert "flow tesla_token step token" in {e.where for e in guard.exposures}
    assert typed in emulator.state.secrets()  # the emulator received it
    assert guard.leaks() == []
    hass.config_entries.flow.async_abort(result["flow_id"])


def test_the_guard_fails_a_leaking_test(tmp_path: Path) -> None:
    """In a pytest run of its own: a test that shows a secret errors at teardown; a clean one passes."""
    (tmp_path / "pytest.ini").write_text(
        dedent(
            """\
            [pytest]
            asyncio_mode = auto
            asyncio_default_fixture_loop_scope = function
            """
        )
    )
    # The suite's own fixtures and hooks, the leak guard among them.
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import *  # noqa: F403\n"
    )
    (tmp_path / "test_leaky.py").write_text(
        dedent(
            """\
            import logging

            from homeassistant.core import HomeAssistant

            from emulator import Emulator

            LOGGER = logging.getLogger("custom_components.tesla_token.coordinator")


            async def test_logs_a_token(emulator: Emulator) -> None:
                token = emulator.state.mint_refresh_token("owner@example.com")
                LOGGER.debug("refreshing with %s", token)


            async def test_shows_a_token(hass: HomeAssistant, emulator: Emulator) -> None:
                token = emulator.state.mint_refresh_token("owner@example.com")
                hass.states.async_set("sensor.token", "ok", {"token": token})


            async def test_fires_a_passcode(hass: HomeAssistant, emulator: Emulator) -> None:
                code = emulator.state.totp("mfa@example.com", "Phone")
                hass.bus.async_fire("tesla_token_refreshed", {"code": code})


            async def test_logs_its_own_secret(leak_guard) -> None:
                leak_guard.add("typed-by-the-test")
                LOGGER.info("a person typed typed-by-the-test")


            async def test_keeps_quiet(hass: HomeAssistant, emulator: Emulator) -> None:
                token = emulator.state.mint_refresh_token("owner@example.com")
                LOGGER.debug("refreshing a token of %d characters", len(token))
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "300"}
    run = subprocess.run(  # noqa: S603 - a fixed command: this Python's pytest
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-q",
            "-rE",
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_leaky.py"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout + run.stderr
    assert "5 passed, 4 errors" in output, output[-3000:]
    for test, where in (
        ("test_logs_a_token", "log DEBUG custom_components.tesla_token.coordinator"),
        ("test_shows_a_token", "state of sensor.token"),
        ("test_fires_a_passcode", "event tesla_token_refreshed"),
        ("test_logs_its_own_secret", "log INFO custom_components.tesla_token"),
    ):
        assert f"ERROR test_leaky.py::{test} - tests.leak_guard.SecretLeakError" in (
            output
        ), output[-3000:]
        assert where in output
    assert "ERROR test_leaky.py::test_keeps_quiet" not in output
