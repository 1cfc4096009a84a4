"""The actions: refresh now, and the access token for administrators who allowed it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
)
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.tesla_token.const import (
    CONF_ACCESS_TOKEN,
    CONF_ALLOW_TOKEN_ACTION,
    CONF_EXPIRES_AT,
    DEFAULT_OPTIONS,
    DOMAIN,
    SERVICE_GET_ACCESS_TOKEN,
    SERVICE_REFRESH,
)
from emulator import Emulator, Fault, FaultKind
from tests.lifecycle.conftest import EMAIL
from tests.lifecycle.helpers import STATUS, advance, token_requests

ALLOWED = {**DEFAULT_OPTIONS, CONF_ALLOW_TOKEN_ACTION: True}


async def get_token(
    hass: HomeAssistant, entry: MockConfigEntry, user: MockUser | None
) -> dict[str, Any]:
    """Call get_access_token as `user` (None: an automation)."""
    response = await hass.services.async_call(
        DOMAIN,
        SERVICE_GET_ACCESS_TOKEN,
        {"config_entry_id": entry.entry_id},
        blocking=True,
        return_response=True,
        context=Context(user_id=user.id if user else None),
    )
    assert response is not None
    return dict(response)


async def test_refresh_action(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """The refresh action gets a new token now."""
    access_token = init_integration.data[CONF_ACCESS_TOKEN]

    await hass.services.async_call(
        DOMAIN,
        SERVICE_REFRESH,
        {"config_entry_id": init_integration.entry_id},
        blocking=True,
    )

    assert token_requests(emulator) == 1
    assert init_integration.data[CONF_ACCESS_TOKEN] != access_token


async def test_refresh_action_failure(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """A failed refresh is reported to the caller, and retried in the background."""
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=502))

    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_REFRESH,
            {"config_entry_id": init_integration.entry_id},
            blocking=True,
        )

    assert err.value.translation_key == "refresh_failed"
    assert err.value.translation_placeholders == {"reason": "server_error"}
    assert str(err.value) == (
        "Refreshing the Tesla token failed (server_error). It is retried automatically"
    )
    assert hass.states.get(STATUS).state == "refresh_failing"


async def test_refresh_action_after_revocation(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """A refused token tells the caller to sign in again."""
    emulator.state.revoke(EMAIL)

    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_REFRESH,
            {"config_entry_id": init_integration.entry_id},
            blocking=True,
        )

    assert err.value.translation_key == "reauth_required"


async def press_refresh(hass: HomeAssistant, entry: MockConfigEntry) -> str | None:
    """Call the refresh action; return the translated failure's reason, None on success."""
    error: HomeAssistantError | None = None
    try:
        await hass.services.async_call(
            DOMAIN, SERVICE_REFRESH, {"config_entry_id": entry.entry_id}, blocking=True
        )
    except HomeAssistantError as err:
        error = err
    if error is None:
        return None
    assert error.translation_key == "refresh_failed"
    assert error.translation_placeholders is not None
    return error.translation_placeholders["reason"]


async def test_refresh_action_in_a_loop_asks_tesla_once_a_minute(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Pressing again within a minute answers with the last outcome and sends nothing."""
    for _ in range(20):
        assert await press_refresh(hass, init_integration) is None
    assert token_requests(emulator) == 1

    await advance(hass, frozen_time, timedelta(seconds=59))
    assert await press_refresh(hass, init_integration) is None
    assert token_requests(emulator) == 1

    await advance(hass, frozen_time, timedelta(seconds=1))
    for _ in range(20):
        assert await press_refresh(hass, init_integration) is None
    assert token_requests(emulator) == 2


async def test_refresh_action_waits_for_tesla_s_retry_after(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """After a 429 asking for 20 minutes, presses get its answer again, not a request."""
    emulator.state.set_fault("token", Fault(FaultKind.RATE_LIMIT, retry_after=1200))
    assert await press_refresh(hass, init_integration) == "rate_limited"

    for _ in range(19):
        await advance(hass, frozen_time, timedelta(minutes=1))
        assert await press_refresh(hass, init_integration) == "rate_limited"
    assert token_requests(emulator) == 1
    assert hass.states.get(STATUS).state == "refresh_failing"

    await advance(hass, frozen_time, timedelta(minutes=1, seconds=1))
    assert await press_refresh(hass, init_integration) is None
    assert hass.states.get(STATUS).state == "valid"


async def test_refresh_action_a_minute_after_a_firewall_block_tries_again(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """The 15-minute floor after a block is the schedule's; a person may try after a minute."""
    emulator.state.set_fault("token", Fault(FaultKind.WAF_BLOCK))
    assert await press_refresh(hass, init_integration) == "waf_blocked"
    await advance(hass, frozen_time, timedelta(seconds=30))
    assert await press_refresh(hass, init_integration) == "waf_blocked"
    assert token_requests(emulator) == 1

    await advance(hass, frozen_time, timedelta(seconds=31))
    assert await press_refresh(hass, init_integration) is None
    assert token_requests(emulator) == 2
    assert hass.states.get(STATUS).state == "valid"


async def test_actions_need_a_loaded_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Unknown and unloaded entries are refused with translated errors."""
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, SERVICE_REFRESH, {"config_entry_id": "nope"}, blocking=True
        )
    assert err.value.translation_key == "entry_not_found"

    other = MockConfigEntry(domain="other_domain")
    other.add_to_hass(hass)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, SERVICE_REFRESH, {"config_entry_id": other.entry_id}, blocking=True
        )
    assert err.value.translation_key == "entry_not_found"

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_REFRESH,
            {"config_entry_id": init_integration.entry_id},
            blocking=True,
        )
    assert err.value.translation_key == "entry_not_loaded"


@pytest.mark.parametrize("caller", ["admin", "read_only", "automation"])
async def test_get_access_token_off_by_default(
    hass: HomeAssistant,
    hass_admin_user: MockUser,
    hass_read_only_user: MockUser,
    init_integration: MockConfigEntry,
    caller: str,
) -> None:
    """Without the option nobody gets the token, not even an administrator."""
    user = {"admin": hass_admin_user, "read_only": hass_read_only_user}.get(caller)

    with pytest.raises(ServiceValidationError) as err:
        await get_token(hass, init_integration, user)

    assert err.value.translation_key == "token_action_disabled"


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_get_access_token_for_admin(
    hass: HomeAssistant,
    emulator: Emulator,
    hass_admin_user: MockUser,
    init_integration: MockConfigEntry,
) -> None:
    """An administrator gets the current token and its expiry; nothing is requested."""
    response = await get_token(hass, init_integration, hass_admin_user)

    assert response == {
        "access_token": init_integration.data[CONF_ACCESS_TOKEN],
        "expires_at": dt_util.utc_from_timestamp(
            init_integration.data[CONF_EXPIRES_AT]
        ).isoformat(),
        "token_type": "Bearer",
    }
    assert token_requests(emulator) == 0


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_get_access_token_without_user(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An automation (no user) gets the token when the option allows it."""
    response = await get_token(hass, init_integration, None)

    assert response["access_token"] == init_integration.data[CONF_ACCESS_TOKEN]


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_get_access_token_refused_for_non_admin(
    hass: HomeAssistant,
    hass_read_only_user: MockUser,
    init_integration: MockConfigEntry,
) -> None:
    """A user who is not an administrator is refused, with a translated message."""
    with pytest.raises(Unauthorized) as err:
        await get_token(hass, init_integration, hass_read_only_user)

    assert err.value.translation_key == "token_action_admin_only"
    assert str(err.value) == "Only an administrator can read the access token"


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_get_access_token_refused_for_unknown_user(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A user id that belongs to nobody is refused."""
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            SERVICE_GET_ACCESS_TOKEN,
            {"config_entry_id": init_integration.entry_id},
            blocking=True,
            return_response=True,
            context=Context(user_id="no-such-user"),
        )


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_get_access_token_refreshes_first_when_expiring(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    init_integration: MockConfigEntry,
) -> None:
    """A token that expires within minutes is refreshed before it is handed out."""
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=500, count=None))
    await advance(hass, frozen_time, timedelta(hours=7, minutes=56))
    assert hass.states.get(STATUS).state == "refresh_failing"
    emulator.state.clear_faults()
    emulator.state.clear_requests()

    response = await get_token(hass, init_integration, hass_admin_user)

    assert token_requests(emulator) == 1
    assert response["access_token"] == init_integration.data[CONF_ACCESS_TOKEN]
    assert hass.states.get(STATUS).state == "valid"


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_get_access_token_keeps_tesla_s_retry_after(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """An automation asking for an expiring token in a loop does not hurry a 429's pause."""
    emulator.state.set_fault("token", Fault(FaultKind.RATE_LIMIT, retry_after=1200))
    await advance(hass, frozen_time, timedelta(hours=7, minutes=56))
    assert token_requests(emulator) == 1

    for _ in range(10):
        response = await get_token(hass, init_integration, None)
        assert response["access_token"] == init_integration.data[CONF_ACCESS_TOKEN]
    assert token_requests(emulator) == 1


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_get_access_token_expired(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    init_integration: MockConfigEntry,
) -> None:
    """An expired token that cannot be refreshed is not handed out."""
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=500, count=None))
    await advance(hass, frozen_time, timedelta(hours=8, minutes=1))

    with pytest.raises(HomeAssistantError) as err:
        await get_token(hass, init_integration, hass_admin_user)

    assert err.value.translation_key == "token_expired"


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_get_access_token_after_revocation(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    init_integration: MockConfigEntry,
) -> None:
    """A refused token is not handed out."""
    emulator.state.revoke(EMAIL)
    await advance(hass, frozen_time, timedelta(hours=6))

    with pytest.raises(HomeAssistantError) as err:
        await get_token(hass, init_integration, hass_admin_user)

    assert err.value.translation_key == "reauth_required"


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_get_access_token_does_not_retry_refused_tokens(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Asking for the token of a refused sign-in does not ask Tesla again."""
    emulator.state.revoke(EMAIL)
    await advance(hass, frozen_time, timedelta(hours=6))

    for _ in range(3):
        with pytest.raises(HomeAssistantError):
            await get_token(hass, init_integration, None)

    assert token_requests(emulator) == 1
