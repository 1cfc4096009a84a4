"""Options: refresh schedule, repair grace, token action, API check and connection to Tesla."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
import voluptuous as vol

from .connection import PROFILE_ORDER
from .const import (
    CONF_ALLOW_TOKEN_ACTION,
    CONF_API_CHECK,
    CONF_CONNECTION_CHOICE,
    CONF_REFRESH_MINUTES_BEFORE,
    CONF_REFRESH_MODE,
    CONF_REFRESH_SHARE,
    CONF_REPAIR_GRACE_MINUTES,
    CONNECTION_AUTOMATIC,
    DEFAULT_OPTIONS,
    REFRESH_MODE_BEFORE_EXPIRY,
    REFRESH_MODE_LIFETIME_SHARE,
)

# The number fields, stored as whole numbers (the number selector hands back floats).
_WHOLE_NUMBERS: Final = (
    CONF_REFRESH_SHARE,
    CONF_REFRESH_MINUTES_BEFORE,
    CONF_REPAIR_GRACE_MINUTES,
)


def _number(minimum: int, maximum: int, unit: str) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=1,
            unit_of_measurement=unit,
            mode=NumberSelectorMode.BOX,
        )
    )


OPTIONS_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_REFRESH_MODE): SelectSelector(
            SelectSelectorConfig(
                options=[REFRESH_MODE_LIFETIME_SHARE, REFRESH_MODE_BEFORE_EXPIRY],
                translation_key=CONF_REFRESH_MODE,
                mode=SelectSelectorMode.LIST,
            )
        ),
        vol.Required(CONF_REFRESH_SHARE): _number(10, 95, "%"),
        vol.Required(CONF_REFRESH_MINUTES_BEFORE): _number(5, 420, "min"),
        vol.Required(CONF_REPAIR_GRACE_MINUTES): _number(5, 1440, "min"),
        vol.Required(CONF_ALLOW_TOKEN_ACTION): BooleanSelector(),
        vol.Required(CONF_API_CHECK): BooleanSelector(),
        vol.Required(CONF_CONNECTION_CHOICE): SelectSelector(
            SelectSelectorConfig(
                options=[CONNECTION_AUTOMATIC, *PROFILE_ORDER],
                translation_key=CONF_CONNECTION_CHOICE,
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
    }
)


class TeslaTokenOptionsFlow(OptionsFlowWithReload):
    """Change the schedule, the action, the check, the connection; changes reload the entry.

    The entry has no update listener (storing rotated tokens must not reload it), so the
    reload comes from here.
    """

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the options, prefilled with the current ones."""
        if user_input is not None:
            options = {**user_input}
            for key in _WHOLE_NUMBERS:
                options[key] = round(options[key])
            return self.async_create_entry(data=options)
        current = {**DEFAULT_OPTIONS, **self.config_entry.options}
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(OPTIONS_SCHEMA, current),
        )
