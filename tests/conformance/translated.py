"""The check of what a flow shows against en.json: the one the flow walk and the fuzz tests use.

A step shown needs its title, description, field labels and descriptions, section names, menu
options and selector options; the placeholders its texts use are the ones the flow passes
(Home Assistant may add `name`); an error or abort reason needs its text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers.selector import SelectSelector

from .integration_files import placeholders, strings_in, translations


def flow_texts(flow: str) -> dict[str, Any]:
    """A flow's texts in en.json by its dotted path ("config", "options", "issues.x.fix_flow")."""
    texts: Any = translations()
    for part in flow.split("."):
        texts = texts.get(part, {})
    result: dict[str, Any] = texts
    return result


def _check_fields(where: str, texts: Mapping[str, Any], schema: Any) -> None:
    """Every field has a label and a description; a section its name; no stale labels."""
    keys = set()
    for marker, validator in schema.schema.items():
        key = str(marker.schema)
        keys.add(key)
        if isinstance(validator, section):
            section_texts = texts.get("sections", {}).get(key, {})
            assert section_texts.get("name"), f"{where}: section {key} has no name"
            _check_fields(f"{where}.{key}", section_texts, validator.schema)
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


def assert_translated(flow: str, result: Mapping[str, Any]) -> None:
    """Assert that en.json has every text this flow result shows."""
    texts = flow_texts(flow)
    kind = result["type"]
    if kind is FlowResultType.ABORT:
        reason = result["reason"]
        assert texts.get("abort", {}).get(reason), f"{flow}.abort.{reason} untranslated"
        return
    if kind not in (FlowResultType.FORM, FlowResultType.MENU):
        return
    where = f"{flow}.step.{result['step_id']}"
    step = texts.get("step", {}).get(result["step_id"], {})
    assert step.get("title"), f"{where} has no title"
    assert step.get("description"), f"{where} has no description"
    used = set().union(*(placeholders(text) for _, text in strings_in(step)))
    passed = set(result.get("description_placeholders") or {})
    # Home Assistant adds the entry's title as `name` to reauth and reconfigure forms.
    assert used <= passed and passed - used <= {"name"}, (
        f"{where}: the texts use {sorted(used)}, the flow passes {sorted(passed)}"
    )
    if kind is FlowResultType.MENU:
        options = set(result["menu_options"])
        assert options == set(step.get("menu_options", {})), where
        assert options == set(step.get("menu_option_descriptions", {})), where
        return
    if result["data_schema"] is not None:
        _check_fields(where, step, result["data_schema"])
    for error in (result.get("errors") or {}).values():
        assert texts.get("error", {}).get(error), f"{flow}.error.{error} untranslated"
