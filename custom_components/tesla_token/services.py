"""The actions of Tesla Token: refresh now, and hand out the current access token."""

from __future__ import annotations

from contextlib import suppress
import time
from typing import Final

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    Context,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
)
from homeassistant.helpers import config_validation as cv, service
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import (
    CONF_ALLOW_TOKEN_ACTION,
    DEFAULT_ALLOW_TOKEN_ACTION,
    DOMAIN,
    SERVICE_GET_ACCESS_TOKEN,
    SERVICE_REFRESH,
)
from .coordinator import TeslaTokenConfigEntry, TeslaTokenCoordinator
from .refresh_errors import RefreshFailedError

# get_access_token refreshes first when the token would expire within this many seconds.
MIN_TOKEN_VALIDITY: Final = 300

SERVICE_SCHEMA: Final = vol.Schema({vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string})


class TokenActionUnauthorized(Unauthorized):
    """Only an administrator may read the token (translated)."""

    def __init__(self, context: Context, config_entry_id: str) -> None:
        """Refuse the caller of this context."""
        super().__init__(context=context, config_entry_id=config_entry_id)
        self.translation_domain = DOMAIN
        self.translation_key = "token_action_admin_only"
        self.generate_message = True


def _coordinator(call: ServiceCall) -> TeslaTokenCoordinator:
    """Return the coordinator of the loaded entry the call names."""
    entry: TeslaTokenConfigEntry = service.async_get_config_entry(
        call.hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID]
    )
    return entry.runtime_data


async def _async_refresh(call: ServiceCall) -> None:
    """Refresh an account's token now.

    At most one request a minute per account, and none before a Retry-After Tesla sent:
    meanwhile the caller gets the last outcome (success, or the same error again).
    """
    await _coordinator(call).async_refresh_token(force=True)


async def _async_check_token_access(
    call: ServiceCall, entry: TeslaTokenConfigEntry
) -> None:
    """Allow the token only when the entry's option is on and the caller is an administrator.

    A call without a user (an automation, Home Assistant itself) needs only the option.
    """
    if not entry.options.get(CONF_ALLOW_TOKEN_ACTION, DEFAULT_ALLOW_TOKEN_ACTION):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="token_action_disabled",
            translation_placeholders={"account": entry.title},
        )
    if call.context.user_id is None:
        return
    user = await call.hass.auth.async_get_user(call.context.user_id)
    if user is None or not user.is_admin:
        raise TokenActionUnauthorized(call.context, entry.entry_id)


async def _async_get_access_token(call: ServiceCall) -> ServiceResponse:
    """Return the current access token, refreshing first when it is about to expire."""
    coordinator = _coordinator(call)
    await _async_check_token_access(call, coordinator.config_entry)
    # Refused tokens raise; after another failure the stored token may still do.
    with suppress(RefreshFailedError):
        await coordinator.async_refresh_token(
            force=False, min_validity=MIN_TOKEN_VALIDITY
        )
    if coordinator.expires_at <= time.time():
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="token_expired",
            translation_placeholders={"account": coordinator.account},
        )
    return {
        "access_token": coordinator.access_token,
        "expires_at": dt_util.utc_from_timestamp(coordinator.expires_at).isoformat(),
        "token_type": "Bearer",
    }


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions (once, in async_setup)."""
    hass.services.async_register(
        DOMAIN, SERVICE_REFRESH, _async_refresh, schema=SERVICE_SCHEMA
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_ACCESS_TOKEN,
        _async_get_access_token,
        schema=SERVICE_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
