"""Every step a flow shows is in en.json, with each field, option and placeholder it uses."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers.selector import SelectSelector
import pytest

from emulator import Emulator

from .flow_walk import Walk, walk_all_flows
from .integration_files import placeholders, strings_in, translations


@pytest.fixture
async def walk(hass: HomeAssistant, emulator: Emulator) -> Walk:
    return await walk_all_flows(hass, emulator)


def flow_texts(flow: str) -> dict[str, Any]:
    texts: Any = translations()
    for part in flow.split("."):
        texts = texts[part]
    result: dict[str, Any] = texts
    return result


def check_fields(where: str, texts: dict[str, Any], schema: Any) -> None:
    """Every field has a label and a description; a section its name; no stale labels."""
    keys = set()
    for marker, validator in schema.schema.items():
        key = str(marker.schema)
        keys.add(key)
        if isinstance(validator, section):
            section_texts = texts.get("sections", {}).get(key, {})
            assert section_texts.get("name"), f"{where}: section {key} has no name"
            check_fields(f"{where}.{key}", section_texts, validator.schema)
            continue
        assert texts.get("data", {}).get(key), f"{where}: field {key} has no label"
        assert texts.get("data_description", {}).get(key), f"{where}: {key} undescribed"
        if isinstance(validator, SelectSelector) and (
            selector_key := validator.config.get("translation_key")
        ):
            options = translations()["selector"][selector_key]["options"]
            values = {
                option if isinstance(option, str) else option["value"]
                for option in validator.config["options"]
            }
            assert values == set(options), f"{where}: options of {key}"
    stale = set(texts.get("data", {})) | set(texts.get("sections", {}))
    assert stale <= keys, f"{where}: labels of fields it does not have: {stale - keys}"


def test_every_step_in_en_json_is_shown_by_some_flow(walk: Walk) -> None:
    for flow in ("config", "options"):
        assert walk.step_ids(flow) == set(flow_texts(flow)["step"]), flow


def test_every_step_shown_is_translated_with_its_fields(walk: Walk) -> None:
    for flow, result in walk.shown:
        where = f"{flow}.step.{result['step_id']}"
        step = flow_texts(flow)["step"][result["step_id"]]
        assert step.get("title"), where
        assert step.get("description"), where
        if result["type"] is FlowResultType.MENU:
            assert set(result["menu_options"]) == set(step["menu_options"]), where
        elif result["data_schema"] is not None:
            check_fields(where, step, result["data_schema"])


def test_placeholders_of_each_step_are_exactly_the_ones_passed(walk: Walk) -> None:
    for flow, result in walk.shown:
        step = flow_texts(flow)["step"][result["step_id"]]
        used = set().union(*(placeholders(text) for _, text in strings_in(step)))
        passed = set(result.get("description_placeholders") or {})
        assert used == passed, (
            f"{flow}.step.{result['step_id']}: the texts use {sorted(used)}, "
            f"the flow passes {sorted(passed)}"
        )
