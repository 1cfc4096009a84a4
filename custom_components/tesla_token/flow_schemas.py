"""The forms of the config flow: field keys, selectors and schemas."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from homeassistant.const import (
    CONF_CODE,
    CONF_DEVICE,
    CONF_EMAIL,
    CONF_PASSWORD,
    CONF_REGION,
)
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .const import CONF_API_URL, CONF_AUTH_URL, CONF_REFRESH_TOKEN
from .shown_text import plain_text
from .sso import MfaFactor, Region

# Keys of the flow's own fields (besides homeassistant.const's CONF_CODE and CONF_DEVICE;
# the entry data keys live in const.py).
SECTION_ADVANCED: Final = "advanced"
CONF_CAPTCHA: Final = "captcha"
CONF_CALLBACK_URL: Final = "callback_url"

# The ways to sign in with Tesla's own client (`ownerapi`), offered by the `user` and
# `reauth_confirm` menus; the `user` menu adds the person's own app (Fleet API).
LOGIN_METHODS: Final = ["password", "browser", "token"]
FLEET_METHOD: Final = "fleet"

# The Fleet API scopes: always asked for (a sign-in and a refresh token), and the ones a
# person may choose, in Tesla's order.
CONF_SCOPES: Final = "scopes"
FIXED_SCOPES: Final = ("openid", "offline_access")
OPTIONAL_SCOPES: Final = (
    "user_data",
    "vehicle_device_data",
    "vehicle_location",
    "vehicle_cmds",
    "vehicle_charging_cmds",
    "energy_device_data",
    "energy_cmds",
)
# Ticked unless the person says otherwise: user_data lets the token's health be checked
# (GET /api/1/users/me), vehicle_device_data is what most tools read.
DEFAULT_SCOPES: Final = ("user_data", "vehicle_device_data")

_REGION_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=[region.value for region in Region],
        translation_key=CONF_REGION,
        mode=SelectSelectorMode.LIST,
    )
)
_SCOPE_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=list(OPTIONAL_SCOPES),
        multiple=True,
        translation_key="fleet_scope",
        mode=SelectSelectorMode.LIST,
    )
)
_SECRET = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))


def _server_fields(region: str) -> dict[vol.Marker, object]:
    """The region choice and the collapsed section with a custom SSO (and API) server URL."""
    return {
        vol.Required(CONF_REGION, default=region): _REGION_SELECTOR,
        # Errors about its URLs are keyed to the section: the frontend shows none inside it.
        vol.Optional(SECTION_ADVANCED, default={}): section(
            vol.Schema(
                {vol.Optional(CONF_AUTH_URL): _URL, vol.Optional(CONF_API_URL): _URL}
            ),
            {"collapsed": True},
        ),
    }


def with_section_defaults(schema: vol.Schema, values: Mapping[str, Any]) -> vol.Schema:
    """A copy of the schema whose sections default to the values the form shows.

    Home Assistant's frontend fills a section that has a default from that default alone, not
    from its fields' suggested values: with an empty default a form shown again would forget
    the chosen server, and the next submit would go to Tesla's. A submit without the section
    keeps these values too.
    """
    fields: dict[vol.Marker, object] = {}
    for marker, validator in schema.schema.items():
        shown = values.get(marker.schema)
        if isinstance(validator, section) and isinstance(shown, Mapping):
            marker = vol.Optional(  # noqa: PLW2901 - the copy replaces the original
                marker.schema,
                default={
                    key: value for key, value in shown.items() if value is not None
                },
                description=marker.description,
            )
        fields[marker] = validator
    return vol.Schema(fields)


def password_schema(region: str) -> vol.Schema:
    """Email, password and server of the `password` step."""
    return vol.Schema(
        {
            vol.Required(CONF_EMAIL): TextSelector(
                TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="username")
            ),
            vol.Required(CONF_PASSWORD): TextSelector(
                TextSelectorConfig(
                    type=TextSelectorType.PASSWORD, autocomplete="current-password"
                )
            ),
            **_server_fields(region),
        }
    )


def browser_schema(region: str) -> vol.Schema:
    """The pasted callback URL and the server of the `browser` step."""
    return vol.Schema(
        {
            vol.Optional(CONF_CALLBACK_URL): TextSelector(
                TextSelectorConfig(type=TextSelectorType.TEXT, multiline=True)
            ),
            **_server_fields(region),
        }
    )


def token_schema(region: str) -> vol.Schema:
    """The existing refresh token and the server of the `token` step."""
    return vol.Schema(
        {vol.Required(CONF_REFRESH_TOKEN): _SECRET, **_server_fields(region)}
    )


def reconfigure_schema(region: str) -> vol.Schema:
    """Server and an optional replacement refresh token of the `reconfigure` step."""
    return vol.Schema(
        {**_server_fields(region), vol.Optional(CONF_REFRESH_TOKEN): _SECRET}
    )


def fleet_schema(region: str) -> vol.Schema:
    """Scopes and server of the `fleet` step (the person's own Tesla app)."""
    return vol.Schema(
        {
            vol.Required(CONF_SCOPES, default=list(DEFAULT_SCOPES)): _SCOPE_SELECTOR,
            **_server_fields(region),
        }
    )


# The forms that show the server choice, by step: each schema for the region shown.
SERVER_FORMS: Final[Mapping[str, Callable[[str], vol.Schema]]] = {
    "password": password_schema,
    "browser": browser_schema,
    "token": token_schema,
    "reconfigure": reconfigure_schema,
    FLEET_METHOD: fleet_schema,
}

CAPTCHA_SCHEMA: Final = vol.Schema(
    {vol.Required(CONF_CAPTCHA): TextSelector(TextSelectorConfig(autocomplete="off"))}
)

MFA_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_CODE): TextSelector(
            TextSelectorConfig(autocomplete="one-time-code")
        )
    }
)


def mfa_device_schema(factors: Iterable[MfaFactor]) -> vol.Schema:
    """A choice between the account's MFA devices (labels: names, values: factor ids).

    The labels are plain text in the frontend; Tesla's names are still cleaned and capped.
    """
    options = [
        SelectOptionDict(value=factor.id, label=plain_text(factor.name))
        for factor in factors
    ]
    return vol.Schema(
        {
            vol.Required(CONF_DEVICE): SelectSelector(
                SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
            )
        }
    )
