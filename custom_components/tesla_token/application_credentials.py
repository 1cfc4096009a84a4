"""Application credentials: the client id and secret of the person's own Tesla app."""

from __future__ import annotations

from typing import Final

from homeassistant.components.application_credentials import ClientCredential
from homeassistant.core import HomeAssistant
from homeassistant.helpers.config_entry_oauth2_flow import (
    AUTH_CALLBACK_PATH,
    MY_AUTH_CALLBACK_PATH,
    AbstractOAuth2Implementation,
)

from .fleet_oauth import FleetImplementation

DEVELOPER_URL: Final = "https://developer.tesla.com"
# Shown when My Home Assistant is not set up: the person's own address goes in front.
OWN_CALLBACK: Final = f"<your Home Assistant URL>{AUTH_CALLBACK_PATH}"


async def async_get_auth_implementation(
    hass: HomeAssistant, auth_domain: str, credential: ClientCredential
) -> AbstractOAuth2Implementation:
    """Sign in with the app's client id and secret, with PKCE (a new one for every flow)."""
    return FleetImplementation(hass, auth_domain, credential)


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    """The links for the dialog that asks for the app's client id and secret.

    The redirect URI is the one Home Assistant sends Tesla: My Home Assistant's when the `my`
    integration is loaded, else Home Assistant's own callback address.
    """
    redirect = MY_AUTH_CALLBACK_PATH if "my" in hass.config.components else OWN_CALLBACK
    return {"developer_url": DEVELOPER_URL, "redirect_uri": redirect}
