"""Imports of other integrations (hassfest's dependency rule) and the YAML configuration schema."""

from __future__ import annotations

import ast
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from .integration_files import DOMAIN, INTEGRATION, manifest, python_files

COMPONENTS = "homeassistant.components"


def referenced_integrations(path: Path) -> set[str]:
    """The integrations a module imports from (code under `if TYPE_CHECKING:` aside)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
        ):
            return
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith(f"{COMPONENTS}."):
                found.add(node.module.split(".")[2])
            elif node.module == COMPONENTS:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(
                alias.name.split(".")[2]
                for alias in node.names
                if alias.name.startswith(f"{COMPONENTS}.")
            )
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def allowed_integrations() -> set[str]:
    """What the integration may import from without declaring a dependency.

    hassfest's rule: the integrations it provides a platform for (a module or package named
    after them, such as sensor.py, diagnostics.py, repairs.py), and the ones declared in
    `dependencies` or `after_dependencies`. (hassfest also lets every entity platform and a
    few internal helpers through; this check is stricter.)
    """
    platform_modules = {
        path.stem for path in INTEGRATION.glob("*.py") if path.stem != "__init__"
    } | {path.parent.name for path in INTEGRATION.glob("*/__init__.py")}
    declared = set(manifest().get("dependencies", [])) | set(
        manifest().get("after_dependencies", [])
    )
    return platform_modules | declared | {DOMAIN}


def test_no_undeclared_imports_of_other_integrations() -> None:
    allowed = allowed_integrations()
    offending = {
        f"{path.relative_to(INTEGRATION)}: {domain}"
        for path in python_files()
        for domain in referenced_integrations(path) - allowed
    }
    assert not offending, (
        f"declare these in manifest.json or do not import them: {offending}"
    )


def test_sso_client_does_not_import_home_assistant() -> None:
    for path in (INTEGRATION / "sso").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom | ast.Import):
                modules = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [alias.name for alias in node.names]
                )
                assert not any(m.startswith("homeassistant") for m in modules), (
                    path.name
                )


async def test_yaml_configuration_raises_a_repair_issue(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {DOMAIN: {}})
    issue = ir.async_get(hass).async_get_issue(
        "homeassistant", f"config_entry_only_{DOMAIN}"
    )
    assert issue is not None, "a person who wrote YAML is told to use the UI"
