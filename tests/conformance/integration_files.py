"""The files Home Assistant and HACS read from this repository, loaded for the checks."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
import json
from pathlib import Path
import string
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
CUSTOM_COMPONENTS = REPO / "custom_components"
DOMAIN = "tesla_token"
INTEGRATION = CUSTOM_COMPONENTS / DOMAIN
BRAND = INTEGRATION / "brand"
TRANSLATIONS = INTEGRATION / "translations"


def read_json(path: Path) -> Any:
    """A JSON file, parsed."""
    return json.loads(path.read_text(encoding="utf-8"))


def read_yaml(path: Path) -> Any:
    """A YAML file, parsed (plain YAML: these files use no Home Assistant tags)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def manifest() -> dict[str, Any]:
    """custom_components/tesla_token/manifest.json."""
    data: dict[str, Any] = read_json(INTEGRATION / "manifest.json")
    return data


@cache
def translations(language: str = "en") -> dict[str, Any]:
    """translations/<language>.json (en.json unless told)."""
    data: dict[str, Any] = read_json(TRANSLATIONS / f"{language}.json")
    return data


def languages() -> list[str]:
    """The language codes the integration ships a translations/<code>.json for."""
    return sorted(path.stem for path in TRANSLATIONS.glob("*.json"))


@cache
def icons() -> dict[str, Any]:
    """icons.json."""
    data: dict[str, Any] = read_json(INTEGRATION / "icons.json")
    return data


@cache
def services_yaml() -> dict[str, Any]:
    """services.yaml."""
    data: dict[str, Any] = read_yaml(INTEGRATION / "services.yaml")
    return data


def placeholders(text: str) -> set[str]:
    """The `{name}` placeholders of a translated string."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def strings_in(tree: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """Every string of a translation tree, with its dotted path."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from strings_in(value, (*path, str(key)))
    elif isinstance(tree, str):
        yield ".".join(path), tree
    else:
        yield ".".join(path), repr(tree)  # not a string: the checks report it


def keys_in(tree: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """Every key of a translation tree, with the dotted path of its parent."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield ".".join(path), str(key)
            yield from keys_in(value, (*path, str(key)))


def python_files() -> list[Path]:
    """The integration's Python modules (its sso package too)."""
    return sorted(INTEGRATION.rglob("*.py"))
