"""quality_scale.yaml has the shape hassfest reads: every rule in core's order, each done or exempt.

Whether a rule holds is up to the tests that exercise it (the config flow's, the sensor's, the
actions', …); this file checks only the list itself.
"""

from __future__ import annotations

from typing import Any

import pytest

from .integration_files import INTEGRATION, read_yaml

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


def scale() -> dict[str, Any]:
    rules: dict[str, Any] = read_yaml(INTEGRATION / "quality_scale.yaml")["rules"]
    return rules


def test_every_rule_up_to_platinum_is_listed_in_core_order() -> None:
    # The order of core's own files: by tier, then as hassfest lists them.
    assert list(scale()) == ALL_RULES


@pytest.mark.parametrize("rule", ALL_RULES)
def test_rule_is_done_or_exempt_with_a_reason(rule: str) -> None:
    value = scale()[rule]
    if isinstance(value, str):
        assert value == "done", f"{rule}: {value} (an exemption needs a comment)"
        return
    assert set(value) <= {"status", "comment"}, rule
    assert value["status"] in {"done", "exempt"}, f"{rule}: {value['status']}"
    if value["status"] == "exempt":
        assert str(value.get("comment", "")).strip(), (
            f"{rule} is exempt without a reason"
        )
