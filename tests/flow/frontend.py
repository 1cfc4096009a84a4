"""What Home Assistant's frontend (20260930.x) puts into a form it shows, and what it submits.

REST-level tests submit whatever they say; a form shown again in the browser is filled by these
rules instead (see ha-conventions.md, "How the frontend fills a form that is shown (again)").
"""

from __future__ import annotations

from typing import Any


def initial_data(fields: list[dict[str, Any]]) -> dict[str, Any]:
    """The values the frontend fills a serialised form with.

    Per field: its suggested value wins, then its default; only a section without a default is
    filled from its own fields (and left out when that gives nothing).
    """
    data: dict[str, Any] = {}
    for field in fields:
        suggested = (field.get("description") or {}).get("suggested_value")
        if suggested is not None:
            data[field["name"]] = suggested
        elif "default" in field:
            data[field["name"]] = field["default"]
        elif field.get("type") == "expandable":
            inner = initial_data(field["schema"])
            if inner or field.get("required"):
                data[field["name"]] = inner
    return data


def submitted(data: dict[str, Any]) -> dict[str, Any]:
    """What the frontend posts: the form's values without the empty top-level ones."""
    return {key: value for key, value in data.items() if value not in (None, "")}
