"""translations/en.json: well-formed as hassfest wants it, and complete for what the code uses.

A custom integration ships its own complete English texts (Home Assistant's `[%key:…%]`
references into core's strings do not resolve for it).
"""

from __future__ import annotations

import re
from typing import Any

from homeassistant.helpers import config_validation as cv
import pytest

from .integration_files import keys_in, placeholders, strings_in, translations
from .source_scan import (
    CONFIG_ABORT,
    CONFIG_ERROR,
    CONFIG_PROGRESS,
    ENTITY,
    EXCEPTION,
    ISSUE,
    OPTIONS_ABORT,
    OPTIONS_ERROR,
    REPAIR_ABORT,
    SELECTOR,
    UNCLASSIFIED,
    KeyUse,
    key_uses,
    keys_of,
)

TOP_LEVEL_KEYS = {
    "title",
    "config",
    "options",
    "entity",
    "exceptions",
    "issues",
    "services",
    "selector",
    "device",
}
# Keys of en.json are slugs: lower-case letters, digits, _ and -, not at either end, not doubled.
SLUG = re.compile(r"(?![_-])(?!.*[_-]{2})[a-z0-9_-]+(?<![_-])")
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://|\bwww\.", re.IGNORECASE)
HTML = re.compile(r"<[a-z/][^>]*>", re.IGNORECASE)
SINGLE_QUOTED_PLACEHOLDER = re.compile(r"'\{\w+\}'")


def strings() -> dict[str, Any]:
    return translations()


def flows() -> list[tuple[str, dict[str, Any]]]:
    """The data entry flows of en.json: config, options, and each repair issue's fix flow."""
    found = [
        (name, strings()[name]) for name in ("config", "options") if name in strings()
    ]
    found += [
        (f"issues.{issue}.fix_flow", texts["fix_flow"])
        for issue, texts in strings().get("issues", {}).items()
        if "fix_flow" in texts
    ]
    return found


# --- Form: what hassfest's translation schema checks --------------------------------------


def test_only_known_top_level_sections() -> None:
    assert set(strings()) <= TOP_LEVEL_KEYS, sorted(set(strings()) - TOP_LEVEL_KEYS)


def test_every_key_is_a_slug() -> None:
    bad = [
        f"{parent}.{key}"
        for parent, key in keys_in(strings())
        if not SLUG.fullmatch(key)
    ]
    assert not bad, bad


def test_every_value_is_a_non_empty_trimmed_string() -> None:
    for path, text in strings_in(strings()):
        assert text, f"{path} is empty"
        assert text == text.strip(), f"{path} has leading or trailing spaces"


def test_no_url_and_no_html_inside_a_string() -> None:
    for path, text in strings_in(strings()):
        assert not URL.search(text), f"{path} contains a URL: pass it as a placeholder"
        assert not HTML.search(text), f"{path} contains HTML"
        cv.string_with_no_html(text)  # Home Assistant's own check


def test_placeholders_are_identifiers_and_not_quoted() -> None:
    for path, text in strings_in(strings()):
        assert all(name.isidentifier() for name in placeholders(text)), path
        assert not SINGLE_QUOTED_PLACEHOLDER.search(text), path


def test_entity_states_have_no_placeholders() -> None:
    for platform in strings().get("entity", {}).values():
        for key, entity in platform.items():
            for state, text in entity.get("state", {}).items():
                assert not placeholders(text), f"{key}.state.{state}"


def test_no_core_references() -> None:
    for path, text in strings_in(strings()):
        assert "[%key:" not in text, f"{path}: core references do not resolve here"


# --- Completeness of the flows -----------------------------------------------------------


@pytest.mark.parametrize(("flow", "texts"), flows(), ids=[name for name, _ in flows()])
def test_every_step_has_title_and_description(flow: str, texts: dict[str, Any]) -> None:
    for step_id, step in texts["step"].items():
        assert step.get("title"), f"{flow}.step.{step_id} has no title"
        assert step.get("description"), f"{flow}.step.{step_id} has no description"


@pytest.mark.parametrize(("flow", "texts"), flows(), ids=[name for name, _ in flows()])
def test_every_field_and_menu_option_is_described(
    flow: str, texts: dict[str, Any]
) -> None:
    for step_id, step in texts["step"].items():
        where = f"{flow}.step.{step_id}"
        assert set(step.get("data", {})) == set(step.get("data_description", {})), where
        assert set(step.get("menu_options", {})) == set(
            step.get("menu_option_descriptions", {})
        ), where
        for name, section in step.get("sections", {}).items():
            assert section.get("name"), f"{where}.sections.{name} has no name"
            assert section.get("description"), f"{where}.sections.{name}"
            assert set(section.get("data", {})) == set(
                section.get("data_description", {})
            )


def test_errors_and_aborts_need_no_placeholders() -> None:
    # Which placeholders a flow passes with an error is not known statically; none are used.
    for flow, texts in flows():
        for kind in ("error", "abort"):
            for key, text in texts.get(kind, {}).items():
                assert not placeholders(text), f"{flow}.{kind}.{key}"


# --- Every key the code uses is translated, and every translation is used -----------------


def _translated(use: KeyUse) -> list[str]:
    """The texts en.json has for a key the code uses (empty when it has none)."""
    texts = strings()
    section, _, rest = use.kind.partition(".")
    found: list[str | None]
    if use.kind in {
        CONFIG_ERROR,
        CONFIG_ABORT,
        CONFIG_PROGRESS,
        OPTIONS_ERROR,
        OPTIONS_ABORT,
    }:
        found = [texts.get(section, {}).get(rest, {}).get(use.key)]
    elif use.kind == REPAIR_ABORT:
        # The repair flow serves every fixable issue: each needs the abort text.
        fix_flows = [flow for name, flow in flows() if name.startswith("issues.")]
        found = [flow.get("abort", {}).get(use.key) for flow in fix_flows] or [None]
    elif use.kind == EXCEPTION:
        found = [texts.get("exceptions", {}).get(use.key, {}).get("message")]
    elif use.kind == ISSUE:
        issue = texts.get("issues", {}).get(use.key, {})
        steps = issue.get("fix_flow", {}).get("step", {})
        found = [issue.get("title"), *(text for _, text in strings_in(steps))]
        if "description" in issue:
            found.append(issue["description"])
    elif use.kind == SELECTOR:
        options = texts.get("selector", {}).get(use.key, {}).get("options", {})
        found = list(options.values()) or [None]
    elif section == ENTITY:
        found = [texts.get("entity", {}).get(rest, {}).get(use.key, {}).get("name")]
    else:
        found = [None]
    return [text for text in found if text] if all(found) else []


def test_every_translation_key_use_is_understood() -> None:
    unclassified = [use.where for use in key_uses() if use.kind == UNCLASSIFIED]
    assert not unclassified, f"translation_key of unknown kind at {unclassified}"


def test_every_key_the_code_uses_is_translated() -> None:
    missing = [
        f"{use.kind}.{use.key} ({use.where})"
        for use in key_uses()
        if not _translated(use)
    ]
    assert not missing, missing


def test_placeholders_match_what_the_code_passes() -> None:
    for use in key_uses():
        if use.kind not in {EXCEPTION, ISSUE} or use.placeholders is None:
            continue
        used = set().union(*(placeholders(text) for text in _translated(use)))
        assert used == use.placeholders, (
            f"{use.kind}.{use.key} ({use.where}): the texts use {sorted(used)}, "
            f"the code passes {sorted(use.placeholders)}"
        )


def test_issues_are_fixable_or_described() -> None:
    for key, issue in strings().get("issues", {}).items():
        assert issue.get("title"), key
        assert ("description" in issue) != ("fix_flow" in issue), key


@pytest.mark.parametrize(
    ("kind", "texts"),
    [
        (CONFIG_ERROR, lambda: strings()["config"].get("error", {})),
        (CONFIG_ABORT, lambda: strings()["config"].get("abort", {})),
        (CONFIG_PROGRESS, lambda: strings()["config"].get("progress", {})),
        (OPTIONS_ERROR, lambda: strings().get("options", {}).get("error", {})),
        (OPTIONS_ABORT, lambda: strings().get("options", {}).get("abort", {})),
        (EXCEPTION, lambda: strings().get("exceptions", {})),
        (ISSUE, lambda: strings().get("issues", {})),
        (SELECTOR, lambda: strings().get("selector", {})),
        (f"{ENTITY}.sensor", lambda: strings().get("entity", {}).get("sensor", {})),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_no_translation_is_left_over(kind: str, texts: Any) -> None:
    unused = set(texts()) - keys_of(kind)
    assert not unused, f"{kind}: nothing in the code uses {sorted(unused)}"
