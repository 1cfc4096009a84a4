"""What the integration's source asks the translations for, found by reading its syntax tree.

Collected: the error keys of the config flow (`StepError("…")`, `errors[…] = "…"`,
`errors={…: "…"}`), abort reasons (`async_abort(reason=…)` and the ones Home Assistant's helpers
produce), progress texts (`progress_action=…`), and every `translation_key="…"` with the placeholders passed beside it, sorted by what
it names: an exception, a repair issue, a selector or an entity.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from homeassistant import const as ha_const

from .integration_files import INTEGRATION, python_files

# Where a key lives in en.json.
CONFIG_ERROR = "config.error"
CONFIG_ABORT = "config.abort"
CONFIG_PROGRESS = "config.progress"
OPTIONS_ERROR = "options.error"
OPTIONS_ABORT = "options.abort"
REPAIR_ABORT = "repair.abort"  # issues.<issue>.fix_flow.abort of every fixable issue
EXCEPTION = "exceptions"
ISSUE = "issues"
SELECTOR = "selector"
ENTITY = "entity"  # entity.<platform>
UNCLASSIFIED = "unclassified"

# The reasons Home Assistant's OAuth2 helper aborts with once a flow hands over to it
# (`missing_configuration` cannot happen: the integration has application credentials).
OAUTH2_ABORTS = (
    "missing_credentials",
    "oauth_implementation_unavailable",
    "authorize_url_timeout",
    "no_url_available",
    "oauth_timeout",
    "oauth_unauthorized",
    "oauth_failed",
    "oauth_error",
    "user_rejected_authorize",
)

# Call names whose `translation_key` names an exception (when not inside a `raise`).
_EXCEPTION_SUFFIXES = ("Error", "Failed", "NotReady", "Unauthorized", "Invalid")


@dataclass(frozen=True)
class KeyUse:
    """One translation key the code uses."""

    kind: (
        str  # one of the constants above (ENTITY carries the platform: "entity.sensor")
    )
    key: str
    # The placeholders passed with it; None when not statically known.
    placeholders: frozenset[str] | None
    where: str  # file:line


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


@cache
def _named_strings() -> dict[str, str]:
    """Module-level string constants of the integration (`NAME: Final = "…"`), by name.

    A name bound to different strings in different modules is left out: it cannot be resolved.
    Names the integration takes from homeassistant.const (CONF_REGION, …) resolve too.
    """
    found: dict[str, set[str]] = {}
    for path in python_files():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                targets, value = [node.target], node.value
            elif isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            else:
                continue
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                for target in targets:
                    if isinstance(target, ast.Name):
                        found.setdefault(target.id, set()).add(value.value)
    shared = {
        name: value for name, value in vars(ha_const).items() if isinstance(value, str)
    }
    return shared | {
        name: next(iter(values)) for name, values in found.items() if len(values) == 1
    }


def _constant_str(node: ast.AST | None) -> str | None:
    """A string literal, or a name (or module.name) bound to one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return _named_strings().get(node.id)
    if isinstance(node, ast.Attribute):
        return _named_strings().get(node.attr)
    return None


def _keyword(node: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in node.keywords if kw.arg == name), None)


def _dict_keys(node: ast.expr | None) -> frozenset[str] | None:
    """The keys of a dict literal with constant keys; an absent dict has none."""
    if node is None:
        return frozenset()
    if isinstance(node, ast.Dict):
        keys = [_constant_str(key) for key in node.keys]
        if all(key is not None for key in keys):
            return frozenset(key for key in keys if key is not None)
    return None


def _base_names(node: ast.ClassDef) -> set[str]:
    names = set()
    for base in node.bases:
        if isinstance(base, ast.Name):
            names.add(base.id)
        elif isinstance(base, ast.Attribute):
            names.add(base.attr)
        elif isinstance(base, ast.Subscript) and isinstance(base.value, ast.Name):
            names.add(base.value.id)
    return names


class _Collector(ast.NodeVisitor):
    """Walks one module and records the keys it uses."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.uses: list[KeyUse] = []
        self._flow_kind = (
            "config"  # config, options or repair: from the enclosing class
        )
        self._class_methods: set[str] = set()
        self._in_raise = False

    def _add(
        self,
        kind: str,
        key: str,
        node: ast.AST,
        placeholders: frozenset[str] | None = frozenset(),
    ) -> None:
        where = f"{self.path.relative_to(INTEGRATION)}:{getattr(node, 'lineno', 0)}"
        self.uses.append(KeyUse(kind, key, placeholders, where))

    def _error_kind(self) -> str:
        return OPTIONS_ERROR if self._flow_kind == "options" else CONFIG_ERROR

    def _abort_kind(self) -> str:
        return {"options": OPTIONS_ABORT, "repair": REPAIR_ABORT}.get(
            self._flow_kind, CONFIG_ABORT
        )

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = _base_names(node)
        outer = (self._flow_kind, self._class_methods)
        if any(base.startswith("OptionsFlow") for base in bases):
            self._flow_kind = "options"
        elif any("Repair" in base for base in bases):
            self._flow_kind = "repair"
        elif "ConfigFlow" in bases:
            self._flow_kind = "config"
        self._class_methods = {
            item.name
            for item in node.body
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        self.generic_visit(node)
        self._flow_kind, self._class_methods = outer

    def visit_Raise(self, node: ast.Raise) -> None:
        outer = self._in_raise
        self._in_raise = True
        self.generic_visit(node)
        self._in_raise = outer

    def visit_Assign(self, node: ast.Assign) -> None:
        value = _constant_str(node.value)
        for target in node.targets:
            # errors["base"] = "cannot_connect"
            if (
                value is not None
                and isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == "errors"
            ):
                self._add(self._error_kind(), value, node)
            # self.translation_key = "…" in an exception class
            if (
                value is not None
                and isinstance(target, ast.Attribute)
                and target.attr == "translation_key"
            ):
                self._add(EXCEPTION, value, node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node)
        self._flow_keys(node, name)
        value = _keyword(node, "translation_key")
        # `A if … else B` uses both keys.
        for option in (
            (value.body, value.orelse) if isinstance(value, ast.IfExp) else (value,)
        ):
            if (key := _constant_str(option)) is not None:
                placeholders = _dict_keys(_keyword(node, "translation_placeholders"))
                self._add(self._translation_kind(name), key, node, placeholders)
        self.generic_visit(node)

    def _flow_keys(self, node: ast.Call, name: str) -> None:
        """Errors and aborts of config, options and repair flows."""
        self._error_keys(node, name)
        reason = _constant_str(_keyword(node, "reason"))
        if reason is not None and (name.startswith("async_") or "abort" in name):
            self._add(self._abort_kind(), reason, node)
        if (progress := _constant_str(_keyword(node, "progress_action"))) is not None:
            self._add(CONFIG_PROGRESS, progress, node)
        for implied in self._implied_aborts(node, name, reason):
            self._add(CONFIG_ABORT, implied, node)

    def _error_keys(self, node: ast.Call, name: str) -> None:
        first = node.args[0] if node.args else None
        if name == "StepError" and (key := _constant_str(first)) is not None:
            self._add(self._error_kind(), key, node)
        errors = _keyword(node, "errors")
        if isinstance(errors, ast.Dict):
            for value in errors.values:
                if (key := _constant_str(value)) is not None:
                    self._add(self._error_kind(), key, node)

    def _implied_aborts(
        self, node: ast.Call, name: str, reason: str | None
    ) -> list[str]:
        """The reasons Home Assistant's helpers abort with by themselves."""
        if name == "_abort_if_unique_id_configured":
            return ["already_configured"]
        if name == "async_step_pick_implementation":
            # Home Assistant's OAuth2 steps from here on (config_entry_oauth2_flow).
            return list(OAUTH2_ABORTS)
        if name == "async_set_unique_id":
            raise_on_progress = _keyword(node, "raise_on_progress")
            stays = (
                isinstance(raise_on_progress, ast.Constant)
                and raise_on_progress.value is False
            )
            return [] if stays else ["already_in_progress"]
        if name == "async_update_reload_and_abort" and reason is None:
            steps = {
                "reauth": "reauth_successful",
                "reconfigure": "reconfigure_successful",
            }
            return [
                text
                for step, text in steps.items()
                if f"async_step_{step}" in self._class_methods
            ]
        return []

    def _translation_kind(self, name: str) -> str:
        if name.endswith("async_create_issue"):
            return ISSUE
        if name.endswith("SelectorConfig"):
            return SELECTOR
        if name.endswith("EntityDescription"):
            return f"{ENTITY}.{self.path.stem}"
        # An exception class passes its key to super().__init__(…).
        if self._in_raise or name.endswith(_EXCEPTION_SUFFIXES) or name == "__init__":
            return EXCEPTION
        return UNCLASSIFIED


@cache
def key_uses() -> tuple[KeyUse, ...]:
    """Every translation key the integration's code uses."""
    uses: list[KeyUse] = []
    for path in python_files():
        collector = _Collector(path)
        collector.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        uses.extend(collector.uses)
    return tuple(uses)


def keys_of(kind: str) -> set[str]:
    """The keys of one kind the code uses."""
    return {use.key for use in key_uses() if use.kind == kind}
