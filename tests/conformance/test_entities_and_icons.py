"""Entity descriptions against en.json and icons.json, and icons.json's own form."""

from __future__ import annotations

from importlib import import_module
import json
from pathlib import Path
import re

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.typing import UNDEFINED
import pytest

from custom_components.tesla_token import PLATFORMS

from .integration_files import DOMAIN, icons, services_yaml, strings_in, translations

MDI_ICON = re.compile(r"mdi:[a-z0-9]+(-[a-z0-9]+)*")
# Entities whose state is shown with an icon per state (the token's health at a glance).
STATE_ICONS_REQUIRED = {"status"}


def descriptions() -> list[tuple[str, EntityDescription]]:
    """Every entity description of the integration's platforms, with its platform."""
    found = []
    for platform in PLATFORMS:
        module = import_module(f"custom_components.{DOMAIN}.{platform.value}")
        for value in vars(module).values():
            if isinstance(value, tuple | list):
                found += [
                    (platform.value, item)
                    for item in value
                    if isinstance(item, EntityDescription)
                ]
    return found


def ids() -> list[str]:
    return [f"{platform}.{description.key}" for platform, description in descriptions()]


def test_the_platforms_have_entity_descriptions() -> None:
    assert descriptions()


@pytest.mark.parametrize(("platform", "description"), descriptions(), ids=ids())
def test_entity_name_comes_from_its_translation(
    platform: str, description: EntityDescription
) -> None:
    assert description.translation_key, f"{description.key} has no translation_key"
    assert description.name is UNDEFINED, f"{description.key}: name set in code"
    texts = translations()["entity"][platform][description.translation_key]
    assert texts["name"]


def enum_descriptions() -> list[tuple[str, EntityDescription]]:
    return [
        (platform, description)
        for platform, description in descriptions()
        if getattr(description, "device_class", None) is SensorDeviceClass.ENUM
    ]


@pytest.mark.parametrize(
    ("platform", "description"),
    enum_descriptions(),
    ids=[f"{platform}.{d.key}" for platform, d in enum_descriptions()],
)
def test_enum_states_are_translated(
    platform: str, description: EntityDescription
) -> None:
    options = set(getattr(description, "options", None) or [])
    assert options, f"{description.key}: an enum sensor lists its options"
    texts = translations()["entity"][platform][description.translation_key]
    assert set(texts.get("state", {})) == options


@pytest.mark.parametrize(("platform", "description"), descriptions(), ids=ids())
def test_entity_icon_comes_from_icons_json(
    platform: str, description: EntityDescription
) -> None:
    assert description.icon is None, f"{description.key}: icon set in code"
    icon = icons()["entity"][platform][description.translation_key]
    assert MDI_ICON.fullmatch(icon["default"])
    options = set(getattr(description, "options", None) or [])
    if description.translation_key in STATE_ICONS_REQUIRED:
        assert "state" in icon, f"{description.key}: one icon per state"
    if "state" in icon:
        assert set(icon["state"]) == options, f"{description.key}: state icons"


def test_icons_json_has_only_entities_and_services() -> None:
    assert set(icons()) <= {"entity", "services"}
    known = {(platform, d.translation_key) for platform, d in descriptions()}
    listed = {
        (platform, key)
        for platform, entities in icons().get("entity", {}).items()
        for key in entities
    }
    assert listed == known, "icons.json and the entity descriptions disagree"


def test_every_action_has_an_icon() -> None:
    assert set(icons()["services"]) == set(services_yaml())
    for name, icon in icons()["services"].items():
        assert set(icon) == {"service"}, name
        assert MDI_ICON.fullmatch(icon["service"]), name


def test_every_icon_is_a_material_design_icon() -> None:
    for path, icon in strings_in(icons()):
        assert MDI_ICON.fullmatch(icon), f"{path}: {icon} is not an mdi: icon"


def test_every_icon_exists_in_the_frontend_icon_set() -> None:
    # The frontend comes with `scripts/setup --develop` (the browser test installs it).
    frontend = pytest.importorskip("hass_frontend")
    icon_list = Path(frontend.where()) / "static" / "mdi" / "iconList.json"
    names = {icon["name"] for icon in json.loads(icon_list.read_text(encoding="utf-8"))}
    for path, icon in strings_in(icons()):
        assert icon.removeprefix("mdi:") in names, f"{path}: no icon {icon}"
