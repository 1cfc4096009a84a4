"""The translations: every file well-formed as hassfest wants it; en.json complete for what the
code uses and for every step the flows show; every other language complete against en.json.

A custom integration ships its own complete English texts (Home Assistant's `[%key:…%]`
references into core's strings do not resolve for it). Other languages are the same tree of
keys with the same placeholders and markup; Home Assistant falls back to English for a key a
language lacks, so a missing key shows up as an English sentence in a translated dialog.
"""

from __future__ import annotations

import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.generated.languages import LANGUAGES
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.translation import async_get_translations
import pytest

from emulator import Emulator
from tests.leak_guard import LeakGuard

from .flow_walk import Walk, fix_flows, walk_all_flows
from .integration_files import (
    DOMAIN,
    keys_in,
    languages,
    placeholders,
    read_json,
    strings_in,
    translations,
)
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
from .translated import assert_translated, flow_texts

TOP_LEVEL_KEYS = {
    "title",
    "application_credentials",
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
    names = [name for name in ("config", "options") if name in strings()]
    return [(name, flow_texts(name)) for name in [*names, *fix_flows()]]


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


@pytest.mark.parametrize("language", languages())
def test_strings_are_well_formed(language: str) -> None:
    for path, text in strings_in(translations(language)):
        where = f"{language}.json {path}"
        assert isinstance(text, str) and text, f"{where} is empty"
        assert text == text.strip(), f"{where} has leading or trailing spaces"
        assert not URL.search(text), f"{where} contains a URL: pass it as a placeholder"
        assert not HTML.search(text), f"{where} contains HTML"
        cv.string_with_no_html(text)  # Home Assistant's own check
        assert all(name.isidentifier() for name in placeholders(text)), where
        assert not SINGLE_QUOTED_PLACEHOLDER.search(text), where
        assert "[%key:" not in text, f"{where}: core references do not resolve here"


def test_entity_states_have_no_placeholders() -> None:
    for platform in strings().get("entity", {}).values():
        for key, entity in platform.items():
            for state, text in entity.get("state", {}).items():
                assert not placeholders(text), f"{key}.state.{state}"


# --- Completeness of the flows -----------------------------------------------------------


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


# --- The flows as they run: every step shown is translated, and every step is shown -------


@pytest.fixture
async def walk(hass: HomeAssistant, emulator: Emulator, leak_guard: LeakGuard) -> Walk:
    return await walk_all_flows(hass, emulator, leak_guard)


def test_every_step_in_en_json_is_shown_by_some_flow(walk: Walk) -> None:
    for flow, _ in flows():
        assert walk.step_ids(flow) == set(flow_texts(flow)["step"]), flow


def test_every_step_shown_is_translated(walk: Walk) -> None:
    for flow, result in walk.shown:
        assert_translated(flow, result)


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


# --- Every other language: complete against en.json -----------------------------------------

# The languages issue 14 promises, as Home Assistant's language codes (`nb` is Norwegian
# Bokmål, `zh-Hans` Simplified Chinese).
PROMISED_LANGUAGES = {"de", "nl", "nb", "sv", "fr", "es", "it", "zh-Hans"}
TRANSLATED = [language for language in languages() if language != "en"]
# Markup a translation must keep as en.json has it: bold, inline code, links, line breaks.
MARKUP = {"bold": "**", "code": "`", "link": "](", "line break": "\n"}
# Buttons en.json names in bold, and the frontend's key for their label.
BUTTONS = {"Submit": "ui.panel.config.integrations.config_flow.submit"}
# The parts of a translation Home Assistant serves to the frontend one by one.
SERVED_CATEGORIES = (
    "config",
    "options",
    "entity",
    "issues",
    "exceptions",
    "services",
    "selector",
)


def texts_of(language: str) -> dict[str, str]:
    """Every string of translations/<language>.json by its dotted key."""
    return dict(strings_in(translations(language)))


def test_the_promised_languages_are_shipped() -> None:
    missing = sorted(PROMISED_LANGUAGES - set(languages()))
    assert not missing, f"no translations/<language>.json for {missing}"


def test_every_file_is_named_as_home_assistant_loads_it() -> None:
    # Home Assistant reads translations/<the user's language code>.json; any other name is dead.
    unknown = sorted(set(languages()) - LANGUAGES)
    assert not unknown, (
        f"Home Assistant has no language code {unknown} (see its LANGUAGES)"
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_has_the_keys_of_english(language: str) -> None:
    english, translated = texts_of("en").keys(), texts_of(language).keys()
    missing, extra = sorted(english - translated), sorted(translated - english)
    assert not missing, (
        f"translations/{language}.json lacks {len(missing)} key(s) of en.json "
        f"(shown in English there): {', '.join(missing)}"
    )
    assert not extra, (
        f"translations/{language}.json has key(s) en.json lacks (renamed or removed "
        f"there?): {', '.join(extra)}"
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_same_placeholders_and_markup_as_english(language: str) -> None:
    english, translated = texts_of("en"), texts_of(language)
    wrong: list[str] = []
    for path, text in translated.items():
        if path not in english:
            continue
        if placeholders(text) != placeholders(english[path]):
            wrong.append(
                f"{path}: en.json has {sorted(placeholders(english[path]))}, "
                f"{language}.json {sorted(placeholders(text))}"
            )
        wrong += [
            f"{path}: {name} {marker!r} {english[path].count(marker)} times in en.json, "
            f"{text.count(marker)} in {language}.json"
            for name, marker in MARKUP.items()
            if text.count(marker) != english[path].count(marker)
        ]
    assert not wrong, "\n".join(wrong)


def _frontend_labels(language: str) -> dict[str, str]:
    """The frontend's texts in a language, flattened.

    The frontend ships them split by panel, each file named `<language>-<hash>.json`.
    """
    frontend = pytest.importorskip(
        "hass_frontend", reason="the frontend is in requirements_develop.txt only"
    )
    name = re.compile(rf"{re.escape(language)}-[0-9a-f]+\.json")
    files = [
        path
        for path in (frontend.where() / "static" / "translations").rglob("*.json")
        if name.fullmatch(path.name)
    ]
    assert files, f"the frontend has no {language} translation"
    labels: dict[str, str] = {}

    def walk(tree: dict[str, Any], prefix: str) -> None:
        for key, value in tree.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                labels[f"{prefix}{key}"] = value

    for path in files:
        walk(read_json(path), "")
    return labels


@pytest.mark.parametrize("language", TRANSLATED)
def test_buttons_are_named_as_the_frontend_labels_them(language: str) -> None:
    # "Select **Submit**" must name the button the user sees in their language.
    labels = _frontend_labels(language)
    english, translated = texts_of("en"), texts_of(language)
    for button, key in BUTTONS.items():
        for path, text in english.items():
            if f"**{button}**" in text and path in translated:
                assert f"**{labels[key]}**" in translated[path], (
                    f"{language}.json {path}: the button is labelled {labels[key]!r} there"
                )


@pytest.mark.parametrize("language", TRANSLATED)
async def test_home_assistant_serves_the_language(
    hass: HomeAssistant, language: str
) -> None:
    # What the frontend gets for a user with this language: the file's texts, not English.
    for category in SERVED_CATEGORIES:
        served = await async_get_translations(hass, language, category, {DOMAIN})
        expected = {
            f"component.{DOMAIN}.{category}.{path}": text
            for path, text in strings_in(translations(language).get(category, {}))
        }
        assert served == expected, f"{language}: {category}"
