"""The captcha image: an SVG a person can read, with a little noise."""

from __future__ import annotations

from html import escape
import secrets

WIDTH = 150
HEIGHT = 50


def _rand(low: int, high: int) -> int:
    return low + secrets.randbelow(high - low + 1)


def render_svg(answer: str) -> bytes:
    """Draw `answer` as an SVG image (explicit width and height, the SVG namespace)."""
    step = (WIDTH - 20) // max(len(answer), 1)
    noise = "".join(
        f'<path d="M{_rand(0, 40)} {_rand(5, 45)} Q{_rand(50, 100)} {_rand(0, 50)} '
        f'{_rand(110, 150)} {_rand(5, 45)}" stroke="#{_rand(0x888888, 0xBBBBBB):06x}" '
        'stroke-width="1.5" fill="none"/>'
        for _ in range(4)
    )
    letters = []
    for index, char in enumerate(answer):
        x = 14 + index * step + step // 4
        y = _rand(33, 40)
        angle = _rand(-20, 20)
        letters.append(
            f'<text x="{x}" y="{y}" transform="rotate({angle} {x} {y})" '
            f'font-family="DejaVu Sans Mono, Menlo, monospace" font-size="30" '
            f'font-weight="bold" fill="#{_rand(0x222222, 0x444488):06x}">{escape(char)}</text>'
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}">'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#f0f0f0"/>'
        f"{noise}{''.join(letters)}</svg>"
    )
    return svg.encode("utf-8")
