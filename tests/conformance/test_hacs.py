"""What HACS validates in the repository: hacs.json, one integration, README and licence."""

from __future__ import annotations

from importlib.metadata import version
import tomllib

from awesomeversion import AwesomeVersion
from homeassistant import const as ha_const

from .integration_files import CUSTOM_COMPONENTS, DOMAIN, REPO, manifest, read_json

HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "render_readme",
    "persistent_directory",
}
# Texts that identify the licences HACS accepts (OSI approved), as in their first lines.
OSI_LICENCES = {
    "MIT": "MIT License",
    "Apache-2.0": "Apache License",
    "GPL-3.0-or-later": "GNU GENERAL PUBLIC LICENSE",
    "BSD-3-Clause": "BSD 3-Clause License",
}


def hacs() -> dict[str, object]:
    data: dict[str, object] = read_json(REPO / "hacs.json")
    return data


def test_hacs_json_has_only_known_keys_and_a_name() -> None:
    assert set(hacs()) <= HACS_KEYS, f"unknown: {sorted(set(hacs()) - HACS_KEYS)}"
    assert hacs()["name"] == manifest()["name"]


def test_minimum_home_assistant_is_the_version_the_tests_run_on() -> None:
    assert hacs()["homeassistant"] == ha_const.__version__ == version("homeassistant")
    assert AwesomeVersion(str(hacs()["homeassistant"])).valid


def test_the_integration_is_in_custom_components_not_in_the_root() -> None:
    assert not hacs().get("content_in_root", False)
    assert not hacs().get("zip_release", False)


def test_exactly_one_integration_under_custom_components() -> None:
    folders = sorted(
        path.name
        for path in CUSTOM_COMPONENTS.iterdir()
        if path.is_dir() and not path.name.startswith(("_", "."))
    )
    assert folders == [DOMAIN]


def test_readme_exists() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# {manifest()['name']}")


def test_licence_is_an_osi_licence_and_matches_the_package() -> None:
    licence = (REPO / "LICENSE").read_text(encoding="utf-8")
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    spdx = pyproject["project"]["license"]
    assert spdx in OSI_LICENCES, f"{spdx} is not one of {sorted(OSI_LICENCES)}"
    assert OSI_LICENCES[spdx] in licence.splitlines()[0]
