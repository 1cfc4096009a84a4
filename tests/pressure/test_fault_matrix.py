"""Every token-endpoint fault in every phase: nothing crashes, nothing is lost, all heals.

Faults (see helpers.FAULT_CASES) x phases: the coordinator's scheduled refresh, the refresh
action, the config flow's refresh-token path, and each request of the password sign-in
(GET authorize, POST credentials, GET captcha, MFA factors, MFA verify, the MFA finish POST,
the code exchange). The terminal summary prints the resulting matrix.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
import logging
from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util, slugify
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.tesla_token.const import (
    CONF_REFRESH_TOKEN,
    DOMAIN,
    EVENT_TOKEN_REFRESH_FAILED,
    SERVICE_REFRESH,
)
from custom_components.tesla_token.repairs import refresh_failing_issue_id
from custom_components.tesla_token.retry_plan import BLOCKED_FLOOR_SECONDS
from emulator import Emulator, FaultKind
from tests.helpers import token_requests
from tests.leak_guard import LeakGuard

from .browser import browser_sign_in
from .helpers import (
    FAULT_CASES,
    FaultCase,
    advance,
    drain_late_answers,
    load,
    owner_entry,
    run_through_fault,
    translations,
)
from .matrix import CELL_PROPERTY, OUTCOME_PROPERTY

PASSWORD: Final = "tesla-demo-password"
OWNER: Final = "owner@example.com"
CAPTCHA_ACCOUNT: Final = "captcha@example.com"
MFA_ACCOUNT: Final = "mfa@example.com"
MFA_DEVICE: Final = "Phone"
HOUR: Final = timedelta(hours=1)
MINUTE: Final = timedelta(minutes=1)
BLOCKED_FLOOR: Final = timedelta(seconds=BLOCKED_FLOOR_SECONDS)


@dataclass
class Run:
    """One cell of the matrix: the fault, and Home Assistant with the emulator.

    Every flow step and action error the person meets goes to the leak guard.
    """

    hass: HomeAssistant
    emulator: Emulator
    freezer: FrozenDateTimeFactory
    case: FaultCase
    guard: LeakGuard

    def server(self) -> dict[str, Any]:
        """The region and server fields of a form (the emulator as custom SSO server)."""
        return {"region": "global", "advanced": {"auth_url": self.emulator.global_sso}}

    def status(self, email: str = OWNER) -> str:
        """The state of the account's status sensor."""
        state = self.hass.states.get(f"sensor.{slugify(email)}_status")
        assert state is not None
        return state.state

    def issues(self) -> set[str]:
        """The ids of this integration's repair issues."""
        return {
            issue_id
            for (domain, issue_id) in ir.async_get(self.hass).issues
            if domain == DOMAIN
        }

    def assert_token_works(self, entry: MockConfigEntry) -> None:
        """The stored refresh token is one Tesla still accepts."""
        record = self.emulator.state.refresh_tokens.get(entry.data[CONF_REFRESH_TOKEN])
        assert record is not None
        assert record.active

    async def clear_fault(self) -> None:
        """The fault ends; answers the emulator sat on are let through first."""
        self.emulator.state.clear_faults()
        if self.case.is_timeout:
            await drain_late_answers(self.hass, self.freezer)
        self.emulator.state.clear_requests()

    async def start_flow(self, method: str) -> FlowResult:
        """Open the config flow and choose a sign-in method."""
        flows = self.hass.config_entries.flow
        result = await flows.async_init(DOMAIN, context={"source": SOURCE_USER})
        self.guard.expose_flow_result(result)
        return await self.submit(result, {"next_step_id": method})

    async def submit(
        self, result: FlowResult, user_input: dict[str, Any]
    ) -> FlowResult:
        """Submit the form shown."""
        flows = self.hass.config_entries.flow
        result = await flows.async_configure(result["flow_id"], user_input)
        self.guard.expose_flow_result(result)
        return result


@pytest.fixture
def no_errors_logged(caplog: pytest.LogCaptureFixture) -> Any:
    """Nothing crashes: no error (or traceback) is logged while the test runs."""
    yield
    errors = [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.get_records("call")
        if r.levelno >= logging.ERROR
    ]
    assert not errors


async def set_up_entry(run: Run) -> MockConfigEntry:
    """An account with fresh tokens, set up (its refresh is due in 6 hours)."""
    entry = await load(run.hass, await owner_entry(run.emulator))
    run.emulator.state.clear_requests()
    return entry


# --- The refresh phases -----------------------------------------------------------------


async def scheduled_refresh(run: Run) -> str:
    """The coordinator's own refresh: failing, a repair issue after the grace period, healed."""
    hass, emulator, case = run.hass, run.emulator, run.case
    emulator.state.scenario.refresh_rotation = case.rotation
    entry = await set_up_entry(run)
    refresh_token = entry.data[CONF_REFRESH_TOKEN]
    failures = async_capture_events(hass, EVENT_TOKEN_REFRESH_FAILED)
    fault = case.fault()
    emulator.state.set_fault("token", fault)

    await advance(hass, run.freezer, 6 * HOUR, fault)
    assert run.status() == "refresh_failing"
    assert [event.data["reason"] for event in failures] == [case.reason]
    assert entry.data[CONF_REFRESH_TOKEN] == refresh_token
    assert run.issues() == set()
    next_state = hass.states.get(f"sensor.{slugify(OWNER)}_next_refresh")
    assert next_state is not None
    waits = datetime.fromisoformat(next_state.state) - dt_util.utcnow()
    if case.retry_after is not None:
        assert waits >= timedelta(seconds=case.retry_after)
    elif case.kind in (FaultKind.WAF_BLOCK, FaultKind.WAF_CHALLENGE):
        assert waits >= BLOCKED_FLOOR

    # Past the grace period (60 minutes) the repair issue tells the person.
    await advance(hass, run.freezer, 61 * MINUTE, fault)
    assert run.status() == "refresh_failing"
    assert run.issues() == {refresh_failing_issue_id(entry.entry_id)}
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, refresh_failing_issue_id(entry.entry_id)
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["account"] == OWNER
    assert entry.data[CONF_REFRESH_TOKEN] == refresh_token
    assert entry.state is ConfigEntryState.LOADED
    assert {event.data["reason"] for event in failures} == {case.reason}

    await run.clear_fault()
    await advance(hass, run.freezer, 31 * MINUTE)
    assert run.status() == "valid"
    assert run.issues() == set()
    assert token_requests(run.emulator) == 1
    run.assert_token_works(entry)
    return case.reason


async def refresh_action(run: Run) -> str:
    """The refresh action: a translated error to the caller; the next call heals.

    The next call comes a minute later, and after the Retry-After Tesla sent: the action asks
    Tesla no sooner (the clock moves without running the schedule's own retry).
    """
    hass, emulator, case = run.hass, run.emulator, run.case
    emulator.state.scenario.refresh_rotation = case.rotation
    entry = await set_up_entry(run)
    refresh_token = entry.data[CONF_REFRESH_TOKEN]
    fault = case.fault()
    emulator.state.set_fault("token", fault)

    def call() -> Awaitable[Any]:
        return hass.services.async_call(
            DOMAIN, SERVICE_REFRESH, {"config_entry_id": entry.entry_id}, blocking=True
        )

    with pytest.raises(HomeAssistantError) as err:
        await run_through_fault(hass, run.freezer, fault, call())
    run.guard.expose_error(err.value)
    assert err.value.translation_key == "refresh_failed"
    assert err.value.translation_placeholders == {"reason": case.reason}
    template = translations()["exceptions"]["refresh_failed"]["message"]
    assert str(err.value) == template.format(reason=case.reason).rstrip(".")
    assert run.status() == "refresh_failing"
    assert entry.data[CONF_REFRESH_TOKEN] == refresh_token
    assert run.issues() == set()

    await run.clear_fault()
    run.freezer.tick(max(MINUTE, timedelta(seconds=(case.retry_after or 0) + 1)))
    await call()
    await hass.async_block_till_done()
    assert run.status() == "valid"
    assert token_requests(run.emulator) == 1
    run.assert_token_works(entry)
    return case.reason


# --- The config flow ----------------------------------------------------------------------


def assert_shows_error(run: Run, result: FlowResult, step_id: str) -> None:
    """The form the person can get further with, with a translated error."""
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step_id
    assert result["errors"] == {"base": run.case.flow_error}
    assert translations()["config"]["error"][run.case.flow_error]
    assert run.hass.config_entries.async_entries(DOMAIN) == []


async def assert_entry_created(run: Run, result: FlowResult, email: str) -> str:
    """The flow ended in a working account."""
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == email
    await run.hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    assert run.status(email) == "valid"
    return run.case.flow_error


async def flow_token(run: Run) -> str:
    """The refresh-token path: an error on the token form; the same token works afterwards."""
    hass, emulator, case = run.hass, run.emulator, run.case
    emulator.state.scenario.refresh_rotation = case.rotation
    refresh_token = emulator.state.mint_refresh_token(OWNER)
    result = await run.start_flow("token")
    fault = case.fault()
    emulator.state.set_fault("token", fault)
    form = {"refresh_token": refresh_token, **run.server()}

    result = await run_through_fault(hass, run.freezer, fault, run.submit(result, form))
    assert_shows_error(run, result, "token")

    await run.clear_fault()
    return await assert_entry_created(run, await run.submit(result, form), OWNER)


@dataclass(frozen=True)
class LoginPhase:
    """Where a password sign-in meets the fault.

    Attributes:
        email: the account (plain, captcha or MFA).
        endpoint: the emulator endpoint that fails.
        method: only this method fails (None: any).
        at_passcode: the fault comes when the passcode is sent (else with the credentials).
    """

    email: str
    endpoint: str
    method: str | None = None
    at_passcode: bool = False


LOGIN_PHASES: Final = {
    "login_authorize_get": LoginPhase(OWNER, "authorize", "GET"),
    "login_authorize_post": LoginPhase(OWNER, "authorize", "POST"),
    "login_captcha": LoginPhase(CAPTCHA_ACCOUNT, "captcha"),
    "login_mfa_factors": LoginPhase(MFA_ACCOUNT, "mfa_factors"),
    "login_mfa_verify": LoginPhase(MFA_ACCOUNT, "mfa_verify", at_passcode=True),
    "login_mfa_finish": LoginPhase(MFA_ACCOUNT, "authorize", "POST", at_passcode=True),
    "login_token": LoginPhase(OWNER, "token"),
}


def credentials(run: Run, email: str) -> dict[str, Any]:
    """A filled-in password form."""
    return {"email": email, "password": PASSWORD, **run.server()}


def device_id(run: Run, email: str) -> str:
    """The factor id of the account's MFA device."""
    account = run.emulator.state.scenario.account(email)
    assert account is not None
    device = account.device(MFA_DEVICE)
    assert device is not None
    return device.id


async def answer_until_done(run: Run, result: FlowResult, email: str) -> FlowResult:
    """Answer the captcha, device and passcode steps as a person would."""
    answers: dict[str, Callable[[], dict[str, Any]]] = {
        "captcha": lambda: {"captcha": run.emulator.state.latest_captcha_answer()},
        "mfa_device": lambda: {"device": device_id(run, email)},
        "mfa": lambda: {"code": run.emulator.state.totp(email, MFA_DEVICE)},
    }
    while result["type"] is FlowResultType.FORM and result["step_id"] in answers:
        assert not result["errors"]
        result = await run.submit(result, answers[result["step_id"]]())
    return result


async def password_login(run: Run, phase: LoginPhase) -> str:
    """A password sign-in meets the fault at one request; the person then gets through."""
    hass, emulator, case = run.hass, run.emulator, run.case
    result = await run.start_flow("password")
    form = credentials(run, phase.email)
    if phase.at_passcode:
        result = await run.submit(result, form)
        result = await run.submit(result, {"device": device_id(run, phase.email)})
        assert result["step_id"] == "mfa"
        form = {"code": emulator.state.totp(phase.email, MFA_DEVICE)}
    fault = case.fault(phase.method)
    emulator.state.set_fault(phase.endpoint, fault)

    result = await run_through_fault(hass, run.freezer, fault, run.submit(result, form))
    assert_shows_error(run, result, "browser" if case.offers_browser else "password")

    await run.clear_fault()
    # A person takes a moment: the passcode of the failed attempt is spent by now.
    await advance(hass, run.freezer, timedelta(seconds=31))
    if case.offers_browser:
        callback_url = await browser_sign_in(
            emulator,
            result["description_placeholders"]["authorize_url"],
            phase.email,
            PASSWORD,
        )
        result = await run.submit(
            result, {"callback_url": callback_url, **run.server()}
        )
    else:
        result = await run.submit(result, credentials(run, phase.email))
        result = await answer_until_done(run, result, phase.email)
    return await assert_entry_created(run, result, phase.email)


PHASES: Final[dict[str, Callable[[Run], Awaitable[str]]]] = {
    "scheduled": scheduled_refresh,
    "action": refresh_action,
    "flow_token": flow_token,
    **{
        name: (lambda run, phase=phase: password_login(run, phase))
        for name, phase in LOGIN_PHASES.items()
    },
}


@pytest.mark.usefixtures("no_errors_logged")
@pytest.mark.parametrize("phase", list(PHASES))
@pytest.mark.parametrize("case", FAULT_CASES, ids=[case.id for case in FAULT_CASES])
async def test_fault(
    *,
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    leak_guard: LeakGuard,
    record_property: Callable[[str, object], None],
    case: FaultCase,
    phase: str,
) -> None:
    """The fault shows the right thing, keeps every token, and the integration recovers."""
    record_property(CELL_PROPERTY, (case.id, phase))
    outcome = await PHASES[phase](Run(hass, emulator, frozen_time, case, leak_guard))
    record_property(OUTCOME_PROPERTY, outcome)
