"""The SSO client stands alone: aiohttp and the standard library, nothing from Home Assistant."""

from __future__ import annotations

import ast
from pathlib import Path
import subprocess
import sys

SSO_DIR = Path(__file__).parents[2] / "custom_components" / "tesla_token" / "sso"


def test_sso_imports_only_aiohttp_stdlib_and_itself() -> None:
    for path in sorted(SSO_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                # Relative imports must stay inside sso/ (level 1).
                assert node.level in (0, 1), f"{path.name} reaches outside sso/"
                if node.level == 1:
                    continue
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            for root in roots:
                assert root == "aiohttp" or root in sys.stdlib_module_names, (
                    f"{path.name} imports {root}"
                )


def test_sso_loads_without_home_assistant() -> None:
    """Load sso/ as a top-level package in a fresh interpreter and look at what got imported."""
    script = f"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location(
    "tesla_sso", {str(SSO_DIR / "__init__.py")!r}, submodule_search_locations=[{str(SSO_DIR)!r}]
)
module = importlib.util.module_from_spec(spec)
sys.modules["tesla_sso"] = module
spec.loader.exec_module(module)
assert module.TeslaSso and module.TeslaSsoError
loaded = [name for name in sys.modules if name.startswith(("homeassistant", "custom_components"))]
assert not loaded, loaded
print("ok")
"""
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
