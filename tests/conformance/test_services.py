"""services.yaml describes exactly the actions the integration registers, and en.json names them."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.setup import async_setup_component
import pytest
import voluptuous as vol

from .integration_files import DOMAIN, services_yaml, translations


@pytest.fixture
async def registered(hass: HomeAssistant) -> dict[str, dict[str, bool]]:
    """The actions registered without any config entry: their fields, and which are required."""
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    actions = {}
    for name, service in hass.services.async_services_for_domain(DOMAIN).items():
        schema = service.schema
        assert isinstance(schema, vol.Schema), (
            f"{name}: a plain schema lists its fields"
        )
        actions[name] = {
            str(marker.schema): isinstance(marker, vol.Required)
            for marker in schema.schema
        }
    return actions


def test_actions_exist_before_any_entry_is_set_up(
    registered: dict[str, dict[str, bool]],
) -> None:
    # action-setup: the actions are registered in async_setup, so automations validate.
    assert set(registered) == set(services_yaml())


def test_services_yaml_fields_match_the_schemas(
    registered: dict[str, dict[str, bool]],
) -> None:
    for name, fields in registered.items():
        described = services_yaml()[name].get("fields", {})
        assert set(described) == set(fields), name
        for field, required in fields.items():
            assert bool(described[field].get("required")) == required, f"{name}.{field}"
            assert described[field].get("selector"), f"{name}.{field} has no selector"


def test_config_entry_selectors_offer_only_this_integration() -> None:
    for name, service in services_yaml().items():
        for field, spec in service.get("fields", {}).items():
            if "config_entry" in spec["selector"]:
                assert spec["selector"]["config_entry"]["integration"] == DOMAIN, (
                    f"{name}.{field}"
                )


async def test_home_assistant_reads_the_descriptions(
    hass: HomeAssistant, registered: dict[str, dict[str, bool]]
) -> None:
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    assert set(descriptions) == set(registered)
    for name, description in descriptions.items():
        assert set(description["fields"]) == set(registered[name]), name


def test_every_action_and_field_is_translated() -> None:
    texts = translations()["services"]
    assert set(texts) == set(services_yaml())
    for name, service in services_yaml().items():
        assert texts[name]["name"], name
        assert texts[name]["description"], name
        fields = service.get("fields", {})
        assert set(texts[name].get("fields", {})) == set(fields), name
        for field in fields:
            assert texts[name]["fields"][field]["name"], f"{name}.{field}"
            assert texts[name]["fields"][field]["description"], f"{name}.{field}"
