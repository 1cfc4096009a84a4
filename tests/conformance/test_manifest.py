"""manifest.json as hassfest checks it for a custom integration."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
import re
import tomllib
from urllib.parse import urlparse

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.loader import Manifest

from .integration_files import DOMAIN, INTEGRATION, REPO, manifest

# What a custom integration must declare (hassfest refuses it otherwise, or HACS does).
REQUIRED_KEYS = {
    "domain",
    "name",
    "version",
    "documentation",
    "issue_tracker",
    "codeowners",
    "iot_class",
    "integration_type",
    "config_flow",
}
# Keys Home Assistant knows, less the ones it computes itself.
KNOWN_KEYS = (Manifest.__required_keys__ | Manifest.__optional_keys__) - {
    "is_built_in",
    "overwrites_built_in",
    "disabled",
}
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
# "entity", "system" and "virtual" are for Home Assistant's own integrations.
CUSTOM_INTEGRATION_TYPES = {"device", "hardware", "helper", "hub", "service"}
SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?"
)


def test_domain_and_name_come_first_then_the_keys_in_alphabetical_order() -> None:
    keys = list(manifest())
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:]), "hassfest wants the other keys sorted"


def test_the_keys_a_custom_integration_needs_are_there_and_none_is_unknown() -> None:
    keys = set(manifest())
    assert keys >= REQUIRED_KEYS, f"missing: {sorted(REQUIRED_KEYS - keys)}"
    assert keys <= KNOWN_KEYS, f"unknown to Home Assistant: {sorted(keys - KNOWN_KEYS)}"


def test_domain_matches_the_folder_and_the_file_is_plain_json() -> None:
    assert manifest()["domain"] == DOMAIN == INTEGRATION.name
    text = (INTEGRATION / "manifest.json").read_text(encoding="utf-8")
    assert json.loads(text) == manifest()


def test_version_is_semver_and_the_package_version() -> None:
    version = manifest()["version"]
    assert SEMVER.fullmatch(version), f"{version!r} is not SemVer"
    assert AwesomeVersion(version).strategy is AwesomeVersionStrategy.SEMVER
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["version"] == version


def test_documentation_and_issue_tracker_are_https_urls_of_the_project() -> None:
    for key in ("documentation", "issue_tracker"):
        url = urlparse(manifest()[key])
        assert url.scheme == "https", f"{key} must use https"
        assert url.hostname, f"{key} names no host"
        # A custom integration is not documented on Home Assistant's own site.
        assert not url.hostname.endswith("home-assistant.io"), key


def test_codeowners_are_github_handles() -> None:
    owners = manifest()["codeowners"]
    assert owners, "an integration needs an owner"
    assert all(re.fullmatch(r"@[\w.-]+(/[\w.-]+)?", owner) for owner in owners)


def test_iot_class_and_integration_type_fit_a_cloud_account() -> None:
    assert manifest()["iot_class"] in IOT_CLASSES
    assert manifest()["iot_class"].startswith("cloud_"), "it talks to Tesla's cloud"
    assert manifest()["integration_type"] in CUSTOM_INTEGRATION_TYPES
    assert manifest()["integration_type"] == "service", "an account is a service"


def test_config_flow_is_declared_and_exists() -> None:
    assert manifest()["config_flow"] is True
    assert (INTEGRATION / "config_flow.py").is_file()


def test_the_one_requirement_is_h2_pinned_as_core_and_the_tests_pin_it() -> None:
    # aiohttp, httpx and voluptuous come with Home Assistant; the SSO client is part of the
    # integration. HTTP/2 needs h2, which Home Assistant does not pin: core's iaqualink asks
    # for this version, and the test stack installs the same.
    assert manifest()["requirements"] == ["h2==4.4.1"]
    pins = (REPO / "requirements_test.txt").read_text(encoding="utf-8").splitlines()
    assert "h2==4.4.1" in pins
    spec = importlib.util.find_spec("homeassistant.components.iaqualink")
    assert spec is not None
    assert spec.origin is not None
    core = json.loads(
        Path(spec.origin).with_name("manifest.json").read_text(encoding="utf-8")
    )
    assert "h2==4.4.1" in core["requirements"]


def test_declared_dependencies_are_home_assistant_integrations() -> None:
    for key in ("dependencies", "after_dependencies"):
        for domain in manifest().get(key, []):
            found = importlib.util.find_spec(f"homeassistant.components.{domain}")
            assert found is not None, f"{key}: {domain} is no integration"
