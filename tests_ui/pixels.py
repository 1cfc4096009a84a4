"""Telling a rendered image from an empty box, by its pixels."""

from __future__ import annotations

from collections import Counter
from io import BytesIO

from PIL import Image

# A captcha draws characters and lines over a background: well over this share of the
# pixels differ from the commonest colour. An empty or broken image has (almost) none.
MIN_DRAWN_SHARE = 0.02


def drawn_share(png: bytes) -> float:
    """The share of pixels that differ from the image's commonest colour (0 = one colour)."""
    with Image.open(BytesIO(png)) as image:
        pixels = list(image.convert("RGB").getdata())
    if not pixels:
        return 0.0
    _, background = Counter(pixels).most_common(1)[0]
    return 1 - background / len(pixels)


def looks_drawn(png: bytes) -> bool:
    """Whether a screenshot shows something drawn rather than a blank area."""
    return drawn_share(png) >= MIN_DRAWN_SHARE
