"""Config flow for Tesla Token."""

from __future__ import annotations

from homeassistant.config_entries import ConfigFlow

from .const import DOMAIN


class TeslaTokenConfigFlow(ConfigFlow, domain=DOMAIN):
    """Sign in to a Tesla account."""

    VERSION = 1
