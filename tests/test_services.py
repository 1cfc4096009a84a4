"""The actions: refresh now, and the access token for administrators who allowed it."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.auth.models import TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN
from homeassistant.const import CONF_ACCESS_TOKEN
from homeassistant.core import Context, HomeAssistant, ServiceResponse
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
)
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_token.const import (
    CONF_ALLOW_TOKEN_ACTION,
    CONF_EXPIRES_AT,
    DEFAULT_OPTIONS,
    DOMAIN,
    SERVICE_GET_ACCESS_TOKEN,
    SERVICE_REFRESH,
)
from emulator import Emulator, Fault, FaultKind
from tests.helpers import EMAIL, STATUS, advance, token_requests
from tests.leak_guard import LeakGuard

ALLOWED = {**DEFAULT_OPTIONS, CONF_ALLOW_TOKEN_ACTION: True}

# hass_client signs its requests: the clock must be frozen before it is made.
pytestmark = pytest.mark.usefixtures("frozen_time")


class Actions:
    """Calls the actions of one entry as a person or an automation does.

    Every error an action raises goes to the leak guard: its message is shown to people.
    """

    def __init__(
        self, hass: HomeAssistant, leak_guard: LeakGuard, entry: MockConfigEntry
    ) -> None:
        """Call the actions of `entry`."""
        self.hass = hass
        self.entry = entry
        self._leak_guard = leak_guard

    async def call(
        self, service: str, *, entry_id: str | None = None, user_id: str | None = None
    ) -> ServiceResponse:
        """Call an action (of this entry unless `entry_id`) as `user_id` (None: automation)."""
        try:
            return await self.hass.services.async_call(
                DOMAIN,
                service,
                {"config_entry_id": entry_id or self.entry.entry_id},
                blocking=True,
                return_response=service == SERVICE_GET_ACCESS_TOKEN,
                context=Context(user_id=user_id),
            )
        except HomeAssistantError as err:
            self._leak_guard.expose_error(err)
            raise

    async def refresh(self) -> str | None:
        """Press "refresh"; return the failure's reason, None on success."""
        error: HomeAssistantError | None = None
        try:
            await self.call(SERVICE_REFRESH)
        except HomeAssistantError as err:
            error = err
        if error is None:
            return None
        assert error.translation_key == "refresh_failed"
        assert error.translation_placeholders is not None
        return error.translation_placeholders["reason"]

    async def get_token(self, user: MockUser | None = None) -> dict[str, Any]:
        """Ask for the access token as `user` (None: an automation)."""
        response = await self.call(
            SERVICE_GET_ACCESS_TOKEN, user_id=user.id if user else None
        )
        assert response is not None
        return dict(response)


@pytest.fixture
def actions(
    hass: HomeAssistant, leak_guard: LeakGuard, init_integration: MockConfigEntry
) -> Actions:
    """The actions of the set-up entry."""
    return Actions(hass, leak_guard, init_integration)


async def test_refresh_action(emulator: Emulator, actions: Actions) -> None:
    """The refresh action gets a new token now."""
    access_token = actions.entry.data[CONF_ACCESS_TOKEN]

    assert await actions.refresh() is None

    assert token_requests(emulator) == 1
    assert actions.entry.data[CONF_ACCESS_TOKEN] != access_token


async def test_refresh_action_failure(
    hass: HomeAssistant, emulator: Emulator, actions: Actions
) -> None:
    """A failed refresh is reported to the caller, and retried in the background."""
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=502))

    with pytest.raises(HomeAssistantError) as err:
        await actions.call(SERVICE_REFRESH)

    assert err.value.translation_key == "refresh_failed"
    assert err.value.translation_placeholders == {"reason": "server_error"}
    assert str(err.value) == (
        "Refreshing the Tesla token failed (server_error). It is retried automatically"
    )
    assert hass.states.get(STATUS).state == "refresh_failing"


async def test_refresh_action_after_revocation(
    emulator: Emulator, actions: Actions
) -> None:
    """A refused token tells the caller to sign in again."""
    emulator.state.revoke(EMAIL)

    with pytest.raises(HomeAssistantError) as err:
        await actions.call(SERVICE_REFRESH)

    assert err.value.translation_key == "reauth_required"
    assert str(err.value) == (
        f"Tesla no longer accepts the saved sign-in of {EMAIL}. Sign in again"
    )


async def test_refresh_action_in_a_loop_asks_tesla_once_a_minute(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    actions: Actions,
) -> None:
    """Pressing again within a minute answers with the last outcome and sends nothing."""
    for _ in range(20):
        assert await actions.refresh() is None
    assert token_requests(emulator) == 1

    await advance(hass, frozen_time, timedelta(seconds=59))
    assert await actions.refresh() is None
    assert token_requests(emulator) == 1

    await advance(hass, frozen_time, timedelta(seconds=1))
    for _ in range(20):
        assert await actions.refresh() is None
    assert token_requests(emulator) == 2


async def test_refresh_action_waits_for_tesla_s_retry_after(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    actions: Actions,
) -> None:
    """After a 429 asking for 20 minutes, presses get its answer again, not a request."""
    emulator.state.set_fault("token", Fault(FaultKind.RATE_LIMIT, retry_after=1200))
    assert await actions.refresh() == "rate_limited"

    for _ in range(19):
        await advance(hass, frozen_time, timedelta(minutes=1))
        assert await actions.refresh() == "rate_limited"
    assert token_requests(emulator) == 1
    assert hass.states.get(STATUS).state == "refresh_failing"

    await advance(hass, frozen_time, timedelta(minutes=1, seconds=1))
    assert await actions.refresh() is None
    assert hass.states.get(STATUS).state == "valid"


async def test_refresh_action_a_minute_after_a_firewall_block_tries_again(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    actions: Actions,
) -> None:
    """The 15-minute floor after a block is the schedule's; a person may try after a minute."""
    emulator.state.set_fault("token", Fault(FaultKind.WAF_BLOCK))
    assert await actions.refresh() == "waf_blocked"
    await advance(hass, frozen_time, timedelta(seconds=30))
    assert await actions.refresh() == "waf_blocked"
    assert token_requests(emulator) == 1

    await advance(hass, frozen_time, timedelta(seconds=31))
    assert await actions.refresh() is None
    assert token_requests(emulator) == 2
    assert hass.states.get(STATUS).state == "valid"


async def test_refresh_action_a_minute_after_the_schedule_s_request(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    actions: Actions,
) -> None:
    """Pressing right after the schedule asked Tesla answers with its outcome, no request."""
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=500))
    await advance(hass, frozen_time, timedelta(hours=6))
    assert token_requests(emulator) == 1

    assert await actions.refresh() == "server_error"
    assert token_requests(emulator) == 1


@pytest.mark.parametrize(
    ("entry_id", "translation_key"),
    [
        ("nope", "service_config_entry_not_found"),
        ("other", "service_config_entry_wrong_domain"),
        ("unloaded", "service_config_entry_not_loaded"),
    ],
)
@pytest.mark.parametrize("service", [SERVICE_REFRESH, SERVICE_GET_ACCESS_TOKEN])
async def test_actions_need_a_loaded_entry(
    hass: HomeAssistant,
    actions: Actions,
    service: str,
    entry_id: str,
    translation_key: str,
) -> None:
    """Unknown, foreign and unloaded entries are refused with Home Assistant's messages."""
    other = MockConfigEntry(domain="other_domain", title="Other")
    other.add_to_hass(hass)
    assert await hass.config_entries.async_unload(actions.entry.entry_id)
    entry_id = {"other": other.entry_id, "unloaded": actions.entry.entry_id}.get(
        entry_id, entry_id
    )

    with pytest.raises(ServiceValidationError) as err:
        await actions.call(service, entry_id=entry_id)

    assert err.value.translation_domain == "homeassistant"
    assert err.value.translation_key == translation_key


@pytest.mark.parametrize("caller", ["admin", "read_only", "automation"])
async def test_get_access_token_off_by_default(
    hass_admin_user: MockUser,
    hass_read_only_user: MockUser,
    actions: Actions,
    caller: str,
) -> None:
    """Without the option nobody gets the token, not even an administrator."""
    user = {"admin": hass_admin_user, "read_only": hass_read_only_user}.get(caller)

    with pytest.raises(ServiceValidationError) as err:
        await actions.get_token(user)

    assert err.value.translation_key == "token_action_disabled"


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_get_access_token_for_admin(
    emulator: Emulator, hass_admin_user: MockUser, actions: Actions
) -> None:
    """An administrator gets the current token and its expiry; nothing is requested."""
    response = await actions.get_token(hass_admin_user)

    assert response == {
        "access_token": actions.entry.data[CONF_ACCESS_TOKEN],
        "expires_at": dt_util.utc_from_timestamp(
            actions.entry.data[CONF_EXPIRES_AT]
        ).isoformat(),
        "token_type": "Bearer",
    }
    assert token_requests(emulator) == 0


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_get_access_token_without_user(actions: Actions) -> None:
    """An automation (no user) gets the token when the option allows it."""
    response = await actions.get_token()

    assert response["access_token"] == actions.entry.data[CONF_ACCESS_TOKEN]


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_get_access_token_refused_for_non_admin(
    hass_read_only_user: MockUser, actions: Actions
) -> None:
    """A user who is not an administrator is refused, with a translated message."""
    with pytest.raises(Unauthorized) as err:
        await actions.get_token(hass_read_only_user)

    assert err.value.translation_key == "token_action_admin_only"
    assert str(err.value) == "Only an administrator can read the access token"


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_get_access_token_refused_for_unknown_user(actions: Actions) -> None:
    """A user id that belongs to nobody is refused."""
    with pytest.raises(Unauthorized):
        await actions.call(SERVICE_GET_ACCESS_TOKEN, user_id="no-such-user")


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_get_access_token_refreshes_first_when_expiring(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    actions: Actions,
) -> None:
    """A token that expires within minutes is refreshed before it is handed out."""
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=500, count=None))
    await advance(hass, frozen_time, timedelta(hours=7, minutes=56))
    assert hass.states.get(STATUS).state == "refresh_failing"
    emulator.state.clear_faults()
    emulator.state.clear_requests()

    response = await actions.get_token(hass_admin_user)

    assert token_requests(emulator) == 1
    assert response["access_token"] == actions.entry.data[CONF_ACCESS_TOKEN]
    assert hass.states.get(STATUS).state == "valid"


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_get_access_token_keeps_tesla_s_retry_after(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    actions: Actions,
) -> None:
    """An automation asking for an expiring token in a loop does not hurry a 429's pause."""
    emulator.state.set_fault("token", Fault(FaultKind.RATE_LIMIT, retry_after=1200))
    await advance(hass, frozen_time, timedelta(hours=7, minutes=56))
    assert token_requests(emulator) == 1

    for _ in range(10):
        response = await actions.get_token()
        assert response["access_token"] == actions.entry.data[CONF_ACCESS_TOKEN]
    assert token_requests(emulator) == 1


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_get_access_token_expired(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    actions: Actions,
) -> None:
    """An expired token that cannot be refreshed is not handed out."""
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=500, count=None))
    await advance(hass, frozen_time, timedelta(hours=8, minutes=1))

    with pytest.raises(HomeAssistantError) as err:
        await actions.get_token(hass_admin_user)

    assert err.value.translation_key == "token_expired"


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_get_access_token_after_revocation(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    actions: Actions,
) -> None:
    """A refused token is not handed out, and Tesla is not asked again and again."""
    emulator.state.revoke(EMAIL)
    await advance(hass, frozen_time, timedelta(hours=6))

    for _ in range(3):
        with pytest.raises(HomeAssistantError) as err:
            await actions.get_token()
        assert err.value.translation_key == "reauth_required"

    assert token_requests(emulator) == 1


# The README's URL path and query.
URL = "/api/services/tesla_token/get_access_token?return_response"


async def long_lived_token(hass: HomeAssistant, user: MockUser) -> str:
    """A long-lived access token of `user`, as its profile page creates one."""
    refresh_token = await hass.auth.async_create_refresh_token(
        user,
        client_name="tesla token readme",
        token_type=TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN,
        access_token_expiration=timedelta(days=3650),
    )
    return hass.auth.async_create_access_token(refresh_token)


async def call(
    hass: HomeAssistant,
    client_factory: ClientSessionGenerator,
    user: MockUser,
    entry: MockConfigEntry,
) -> tuple[int, Any]:
    """POST the README's request as `user`; the HTTP status and the answer (JSON or text)."""
    assert await async_setup_component(hass, "api", {})
    client = await client_factory(await long_lived_token(hass, user))
    response = await client.post(URL, json={"config_entry_id": entry.entry_id})
    text = await response.text()
    if response.content_type == "application/json":
        return response.status, json.loads(text)
    return response.status, text


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_an_administrators_token_gets_the_access_token(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_admin_user: MockUser,
    emulator: Emulator,
    init_integration: MockConfigEntry,
) -> None:
    """The answer holds the token at .service_response.access_token (the README's jq path)."""
    status, body = await call(hass, hass_client, hass_admin_user, init_integration)

    assert status == HTTPStatus.OK
    assert set(body) == {"changed_states", "service_response"}
    response = body["service_response"]
    assert response["access_token"] == init_integration.data[CONF_ACCESS_TOKEN]
    assert response["token_type"] == "Bearer"
    assert response["expires_at"]
    # A valid token is handed out as it is: asking for it sends nothing to Tesla.
    assert token_requests(emulator) == 0


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_a_non_administrators_token_is_refused(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_read_only_user: MockUser,
    init_integration: MockConfigEntry,
) -> None:
    """The README says an administrator's token is needed: anyone else gets 401."""
    status, body = await call(hass, hass_client, hass_read_only_user, init_integration)

    assert status == HTTPStatus.UNAUTHORIZED
    assert init_integration.data[CONF_ACCESS_TOKEN] not in str(body)


async def test_without_the_option_the_answer_says_to_turn_it_on(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_admin_user: MockUser,
    init_integration: MockConfigEntry,
) -> None:
    """The option is off by default: 400, with a message that says to turn it on."""
    status, body = await call(hass, hass_client, hass_admin_user, init_integration)

    assert status == HTTPStatus.BAD_REQUEST
    assert "is turned off. Turn it on in the options" in body["message"]
    assert init_integration.data[CONF_ACCESS_TOKEN] not in str(body)


def test_the_readme_shows_this_call() -> None:
    """The tests above make the call the README documents, and read where it says."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    assert f'"http://homeassistant.local:8123{URL}"' in readme
    assert "jq -r .service_response.access_token" in readme
    assert '-H "Authorization: Bearer $HA_TOKEN"' in readme
