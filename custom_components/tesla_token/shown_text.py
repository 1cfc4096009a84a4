"""Text from Tesla's answers (MFA device names, email addresses) made safe to show.

Descriptions of Home Assistant's dialogs are rendered as markdown, and placeholder values go in
unescaped: a device name such as `[click](https://…)` would become a link. Whatever the server
sends is shown as plain text, without invisible or direction-changing characters, and short.
The captcha image goes into its step's description as an inline image.
"""

from __future__ import annotations

import base64
import re
import string
from typing import Final
import unicodedata

# Longest server text shown (an ellipsis replaces the rest).
MAX_SHOWN_LENGTH: Final = 64
ELLIPSIS: Final = "…"
# Control and format characters (bidi overrides, zero-width ones), line and paragraph
# separators, and lone surrogates (they cannot even be encoded).
_DROPPED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# CommonMark lets a backslash escape every ASCII punctuation character, which takes apart
# links, images, HTML, emphasis, tables and the bare-URL and email autolinks alike.
_MARKDOWN_SPECIAL: Final = re.compile(f"[{re.escape(string.punctuation)}]")


def plain_text(value: str, limit: int = MAX_SHOWN_LENGTH) -> str:
    """Server text for a plain-text place (a label, a title).

    Line breaks and other whitespace become single spaces; control and format characters
    are dropped; text longer than `limit` characters ends in an ellipsis.
    """
    kept = (
        " " if char.isspace() else char
        for char in value
        if char.isspace() or unicodedata.category(char) not in _DROPPED_CATEGORIES
    )
    text = " ".join("".join(kept).split())
    if len(text) > limit:
        text = text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS
    return text


def markdown_text(value: str, limit: int = MAX_SHOWN_LENGTH) -> str:
    """Server text for a markdown description: the plain text, shown literally."""
    return _MARKDOWN_SPECIAL.sub(r"\\\g<0>", plain_text(value, limit))


def captcha_markdown(svg: bytes) -> str:
    """The captcha image (SVG) as an inline markdown image for a step description."""
    return (
        f"![captcha](data:image/svg+xml;base64,{base64.b64encode(svg).decode('ascii')})"
    )
