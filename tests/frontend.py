"""What Home Assistant's frontend (20260930.x) puts into a form, submits, and shows.

REST-level tests submit whatever they say; a form shown again in the browser is filled by these
rules instead (see ha-conventions.md, "How the frontend fills a form that is shown (again)").
"""

from __future__ import annotations

import re
import string
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


# CommonMark: a backslash before ASCII punctuation shows that character literally.
_ESCAPED = re.compile(rf"\\([{re.escape(string.punctuation)}])")
# Any unescaped punctuation may start markdown: links, images, HTML, emphasis, and the bare
# URL, www. and email autolinks (":", ".", "@").
_MARKUP = re.compile(rf"[{re.escape(string.punctuation)}]")


def literal_text(markdown: str) -> str | None:
    """What a description shows for this placeholder value, when it shows it literally.

    Returns:
        The text a person reads, or None when some punctuation is left unescaped (the
        value could then turn into a link, an image, HTML, emphasis or an autolink).
    """
    if _MARKUP.search(_ESCAPED.sub("", markdown)):
        return None
    return _ESCAPED.sub(r"\1", markdown)
