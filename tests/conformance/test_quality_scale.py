"""quality_scale.yaml lists every rule up to platinum, and each `done` is backed by evidence.

The evidence here is what can be read from the repository (code, manifest, README, settings);
rules that only a behaviour test can prove name the test that does.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
import inspect
import re
import tomllib
from typing import Any

from homeassistant import exceptions as ha_exceptions
import pytest

from .integration_files import (
    BRAND,
    INTEGRATION,
    REPO,
    icons,
    manifest,
    python_files,
    read_yaml,
    services_yaml,
    translations,
)
from .source_scan import ISSUE, keys_of
from .test_entities_and_icons import descriptions

# Home Assistant core's rules (script/hassfest/quality_scale.py, ALL_RULES), in its order.
RULES = {
    "bronze": [
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ],
    "silver": [
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ],
    "gold": [
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}
ALL_RULES = [rule for tier in RULES.values() for rule in tier]
# The config flow's modules, which the config-flow-test-coverage rule wants fully tested.
FLOW_MODULES = ("config_flow.py", "flow_errors.py", "flow_input.py", "flow_schemas.py")

# Rules proven by behaviour tests elsewhere rather than by reading the repository.
PROVEN_BY_TESTS = {
    "action-setup": "tests/conformance/test_services.py (actions exist without entries)",
    "test-before-configure": "tests/flow: every path talks to the emulator before the entry",
    "log-when-unavailable": "tests/conformance/test_log_when_unavailable.py",
}


def scale() -> dict[str, Any]:
    rules: dict[str, Any] = read_yaml(INTEGRATION / "quality_scale.yaml")["rules"]
    return rules


def status(rule: str) -> tuple[str, str]:
    """The status of a rule and its comment."""
    value = scale()[rule]
    if isinstance(value, str):
        return value, ""
    return value["status"], value.get("comment", "")


# --- Reading the repository ---------------------------------------------------------------


def source(name: str) -> str:
    return (INTEGRATION / name).read_text(encoding="utf-8")


def tree(name: str) -> ast.Module:
    return ast.parse(source(name))


def class_bases(name: str) -> set[str]:
    """The base classes (by name) of the classes of a module."""
    bases = set()
    for node in ast.walk(tree(name)):
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                target = base.value if isinstance(base, ast.Subscript) else base
                if isinstance(target, ast.Name):
                    bases.add(target.id)
                elif isinstance(target, ast.Attribute):
                    bases.add(target.attr)
    return bases


def functions(name: str) -> set[str]:
    return {
        node.name
        for node in ast.walk(tree(name))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def calls(name: str) -> set[str]:
    """The names of the functions and methods a module calls."""
    found = set()
    for node in ast.walk(tree(name)):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                found.add(node.func.attr)
            elif isinstance(node.func, ast.Name):
                found.add(node.func.id)
    return found


def all_calls() -> set[str]:
    return set().union(
        *(calls(str(path.relative_to(INTEGRATION))) for path in python_files())
    )


def readme() -> str:
    return (REPO / "README.md").read_text(encoding="utf-8")


def readme_headings() -> list[str]:
    return [
        line.lstrip("#").strip().lower()
        for line in readme().splitlines()
        if line.startswith("#")
    ]


def has_heading(*words: str) -> bool:
    return any(word in heading for heading in readme_headings() for word in words)


def pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def coverage_gates() -> list[tuple[int, str]]:
    """Coverage minimums the test run enforces: (percent, the line that sets it)."""
    texts = [(REPO / "pyproject.toml").read_text(encoding="utf-8")]
    texts += [
        path.read_text(encoding="utf-8")
        for path in (REPO / "scripts").iterdir()
        if path.is_file()
    ]
    return [
        (int(match.group(1)), line)
        for text in texts
        for line in text.splitlines()
        if (match := re.search(r"fail[-_]under\s*=?\s*(\d+)", line))
    ]


# --- Evidence, one function per rule ------------------------------------------------------


def _appropriate_polling() -> None:
    # The refresh follows the token's expiry instead of a fixed interval.
    assert "update_interval=None" in source("coordinator.py").replace(" ", "")


def _brands() -> None:
    assert (BRAND / "icon.png").is_file()
    assert (BRAND / "icon@2x.png").is_file()


def _common_modules() -> None:
    assert "DataUpdateCoordinator" in class_bases("coordinator.py")
    assert "CoordinatorEntity" in class_bases("entity.py")


def _config_flow() -> None:
    assert manifest()["config_flow"] is True
    assert "ConfigFlow" in class_bases("config_flow.py")


def _config_flow_test_coverage() -> None:
    gates = [line for percent, line in coverage_gates() if percent == 100]
    assert any("config_flow" in line for line in gates), (
        "no 100 % coverage gate on the config flow modules "
        f"({', '.join(FLOW_MODULES)}) in pyproject.toml or scripts/"
    )


def _dependency_transparency() -> None:
    assert manifest().get("requirements", []) == []


def _docs_actions() -> None:
    assert has_heading("actions")
    for action in services_yaml():
        assert f"tesla_token.{action}" in readme(), action


def _docs_high_level_description() -> None:
    intro = readme().split("\n## ", 1)[0]
    assert len(intro.split("\n", 1)[1].strip()) > 200, "a paragraph on what it does"


def _docs_installation_instructions() -> None:
    assert has_heading("installation")
    assert "HACS" in readme()
    assert "custom_components/tesla_token" in readme()


def _docs_removal_instructions() -> None:
    assert has_heading("removal", "removing", "remove")


def _entity_unique_id() -> None:
    assert "_attr_unique_id" in source("entity.py")


def _has_entity_name() -> None:
    assert "_attr_has_entity_name = True" in source("entity.py")


def _runtime_data() -> None:
    assert "entry.runtime_data = " in source("__init__.py")
    assert re.search(r"type \w+ConfigEntry = ConfigEntry\[", source("coordinator.py"))


def _test_before_setup() -> None:
    assert "async_config_entry_first_refresh" in calls("__init__.py")


def _unique_config_entry() -> None:
    assert {"async_set_unique_id", "_abort_if_unique_id_configured"} <= calls(
        "config_flow.py"
    )


def _action_exceptions() -> None:
    raised = {
        node.exc.func.id
        for node in ast.walk(tree("services.py"))
        if isinstance(node, ast.Raise)
        and isinstance(node.exc, ast.Call)
        and isinstance(node.exc.func, ast.Name)
    }
    assert {"ServiceValidationError", "HomeAssistantError"} <= raised


def _config_entry_unloading() -> None:
    assert "async_unload_entry" in functions("__init__.py")
    assert "async_unload_platforms" in calls("__init__.py")


def _docs_configuration_parameters() -> None:
    assert has_heading("options")
    for label in translations()["options"]["step"]["init"]["data"].values():
        assert label in readme(), f"the option {label!r} is not documented"


def _docs_installation_parameters() -> None:
    step = translations()["config"]["step"]["password"]
    labels = [*step["data"].values()]
    labels += [
        label
        for section in step["sections"].values()
        for label in section["data"].values()
    ]
    for label in labels:
        assert label in readme(), f"the field {label!r} is not documented"


def _integration_owner() -> None:
    assert manifest()["codeowners"]


def _parallel_updates() -> None:
    for platform in {platform for platform, _ in descriptions()}:
        assert "PARALLEL_UPDATES" in source(f"{platform}.py"), platform


def _reauthentication_flow() -> None:
    assert "async_step_reauth" in functions("config_flow.py")
    assert "ConfigEntryAuthFailed" in source("coordinator.py")


def _test_coverage() -> None:
    assert any(percent >= 95 for percent, _ in coverage_gates()), (
        "no coverage gate of at least 95 % in pyproject.toml or scripts/"
    )


def _devices() -> None:
    assert "DeviceInfo" in calls("entity.py")


def _diagnostics() -> None:
    assert "async_get_config_entry_diagnostics" in functions("diagnostics.py")
    assert "async_redact_data" in calls("diagnostics.py")


def _docs_data_update() -> None:
    assert has_heading("refresh")


def _docs_examples() -> None:
    assert has_heading("automation", "example")
    assert "```yaml" in readme()


def _docs_known_limitations() -> None:
    assert has_heading("limitation")


def _docs_supported_functions() -> None:
    assert has_heading("entities")
    for _, description in descriptions():
        name = translations()["entity"]["sensor"][description.translation_key]["name"]
        assert name in readme(), f"the entity {name!r} is not documented"


def _docs_troubleshooting() -> None:
    assert has_heading("troubleshooting")


def _docs_use_cases() -> None:
    assert has_heading("why", "use case")


def _entity_category() -> None:
    assert any(description.entity_category for _, description in descriptions())


def _entity_device_class() -> None:
    for _, description in descriptions():
        assert getattr(description, "device_class", None), description.key


def _entity_disabled_by_default() -> None:
    assert any(not d.entity_registry_enabled_default for _, d in descriptions())


def _entity_translations() -> None:
    assert all(description.translation_key for _, description in descriptions())


def _exception_translations() -> None:
    ha_errors = {
        name
        for name, value in vars(ha_exceptions).items()
        if inspect.isclass(value) and issubclass(value, Exception)
    } | {"UpdateFailed"}
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in ha_errors:
                keywords = {keyword.arg for keyword in node.exc.keywords}
                assert "translation_key" in keywords, (
                    f"{path.name}:{node.lineno} {name}"
                )


def _icon_translations() -> None:
    assert icons()
    for path in python_files():
        assert "_attr_icon" not in path.read_text(encoding="utf-8"), path.name
    assert all(description.icon is None for _, description in descriptions())


def _reconfiguration_flow() -> None:
    assert "async_step_reconfigure" in functions("config_flow.py")


def _repair_issues() -> None:
    assert keys_of(ISSUE)


def _async_dependency() -> None:
    blocking = {"requests", "urllib3", "httpx", "urllib.request", "http.client"}
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            assert not (set(modules) & blocking), f"{path.name} imports {modules}"


def _inject_websession() -> None:
    assert {"async_get_clientsession", "async_create_clientsession"} & all_calls()
    assert "ClientSession" not in all_calls(), "the integration makes its own session"


def _strict_typing() -> None:
    mypy = pyproject()["tool"]["mypy"]
    assert mypy["strict"] is True
    assert "custom_components" in mypy["files"]


EVIDENCE: dict[str, Callable[[], None]] = {
    "appropriate-polling": _appropriate_polling,
    "brands": _brands,
    "common-modules": _common_modules,
    "config-flow": _config_flow,
    "config-flow-test-coverage": _config_flow_test_coverage,
    "dependency-transparency": _dependency_transparency,
    "docs-actions": _docs_actions,
    "docs-high-level-description": _docs_high_level_description,
    "docs-installation-instructions": _docs_installation_instructions,
    "docs-removal-instructions": _docs_removal_instructions,
    "entity-unique-id": _entity_unique_id,
    "has-entity-name": _has_entity_name,
    "runtime-data": _runtime_data,
    "test-before-setup": _test_before_setup,
    "unique-config-entry": _unique_config_entry,
    "action-exceptions": _action_exceptions,
    "config-entry-unloading": _config_entry_unloading,
    "docs-configuration-parameters": _docs_configuration_parameters,
    "docs-installation-parameters": _docs_installation_parameters,
    "integration-owner": _integration_owner,
    "parallel-updates": _parallel_updates,
    "reauthentication-flow": _reauthentication_flow,
    "test-coverage": _test_coverage,
    "devices": _devices,
    "diagnostics": _diagnostics,
    "docs-data-update": _docs_data_update,
    "docs-examples": _docs_examples,
    "docs-known-limitations": _docs_known_limitations,
    "docs-supported-functions": _docs_supported_functions,
    "docs-troubleshooting": _docs_troubleshooting,
    "docs-use-cases": _docs_use_cases,
    "entity-category": _entity_category,
    "entity-device-class": _entity_device_class,
    "entity-disabled-by-default": _entity_disabled_by_default,
    "entity-translations": _entity_translations,
    "exception-translations": _exception_translations,
    "icon-translations": _icon_translations,
    "reconfiguration-flow": _reconfiguration_flow,
    "repair-issues": _repair_issues,
    "async-dependency": _async_dependency,
    "inject-websession": _inject_websession,
    "strict-typing": _strict_typing,
}


# --- Tests --------------------------------------------------------------------------------


def test_every_rule_up_to_platinum_is_listed_and_no_other() -> None:
    assert set(scale()) == set(ALL_RULES)


def test_rules_are_listed_in_core_order() -> None:
    # The order of core's own files: by tier, then as hassfest lists them.
    assert list(scale()) == ALL_RULES


def test_each_rule_is_done_or_exempt_with_a_reason() -> None:
    for rule in ALL_RULES:
        state, comment = status(rule)
        assert state in {"done", "exempt"}, f"{rule}: {state}"
        if state == "exempt":
            assert comment.strip(), f"{rule} is exempt without a reason"


def test_every_done_rule_has_its_evidence() -> None:
    done = {rule for rule in ALL_RULES if status(rule)[0] == "done"}
    unbacked = done - set(EVIDENCE) - set(PROVEN_BY_TESTS)
    assert not unbacked, f"no evidence for {sorted(unbacked)}"


@pytest.mark.parametrize("rule", sorted(EVIDENCE))
def test_the_claim_holds(rule: str) -> None:
    if status(rule)[0] != "done":
        pytest.skip(f"{rule} is not claimed")
    EVIDENCE[rule]()


def test_exemptions_fit_the_integration() -> None:
    # A cloud account: nothing to discover on the network, one service device per entry.
    cloud = manifest()["iot_class"].startswith("cloud_")
    for rule in ("discovery", "discovery-update-info"):
        if status(rule)[0] == "exempt":
            assert cloud, rule
    for rule in ("dynamic-devices", "stale-devices", "docs-supported-devices"):
        if status(rule)[0] == "exempt":
            assert manifest()["integration_type"] == "service", rule
    # No triggers or conditions of its own: no platform files and no descriptions of them.
    provided = {
        "docs-triggers": ("trigger.py", "device_trigger.py", "triggers.yaml"),
        "docs-conditions": ("condition.py", "device_condition.py", "conditions.yaml"),
    }
    for rule, files in provided.items():
        if status(rule)[0] == "exempt":
            present = [name for name in files if (INTEGRATION / name).exists()]
            assert not present, f"{rule} is exempt but the integration has {present}"
            # What automations use instead is documented.
            assert has_heading("events") and has_heading("entities"), rule
