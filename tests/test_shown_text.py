"""Tests of shown_text.py: text from Tesla's answers made safe to show."""

from __future__ import annotations

import base64

import pytest

from custom_components.tesla_token.shown_text import (
    MAX_SHOWN_LENGTH,
    captcha_markdown,
    markdown_text,
    plain_text,
)

from .frontend import literal_text


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("Phone", "Phone"),
        ("Pho\u202ene\u200b\nX\x00", "Phone X"),  # bidi override, zero-width, NUL
        ("  two\r\n\tlines  ", "two lines"),
        ("lone \ud800 surrogate", "lone surrogate"),
        ("w" * 200, "w" * (MAX_SHOWN_LENGTH - 1) + "…"),
    ],
    ids=["plain", "hidden-characters", "white-space", "surrogate", "long"],
)
def test_plain_text(value: str, shown: str) -> None:
    assert plain_text(value) == shown


@pytest.mark.parametrize(
    "value",
    [
        "[click](https://evil.example)",
        "![x](https://evil.example/a.png)",
        "<b>bold</b> *em* _em_ `code` | table |",
        "owner@example.com www.example.com",
    ],
)
def test_markdown_text_is_shown_literally(value: str) -> None:
    assert literal_text(markdown_text(value)) == value


def test_the_captcha_is_an_inline_image() -> None:
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
    markdown = captcha_markdown(svg)
    prefix = "![captcha](data:image/svg+xml;base64,"
    assert markdown.startswith(prefix)
    assert base64.b64decode(markdown.removeprefix(prefix).removesuffix(")")) == svg
