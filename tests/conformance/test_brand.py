"""The brand images Home Assistant shows for a custom integration (brand/ since HA 2026.3)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageChops, ImageStat

from .integration_files import BRAND

# The file names Home Assistant looks for, and the size each must have (icons are square).
ICON_SIZES = {
    "icon.png": (256, 256),
    "icon@2x.png": (512, 512),
    "dark_icon.png": (256, 256),
    "dark_icon@2x.png": (512, 512),
}
LOGO_FILES = {"logo.png", "logo@2x.png", "dark_logo.png", "dark_logo@2x.png"}


def rgba(path: Path) -> Image.Image:
    with Image.open(path) as image:
        assert image.format == "PNG", f"{path.name} is not a PNG"
        return image.convert("RGBA")


def test_brand_folder_has_the_icons_and_only_known_files() -> None:
    names = {path.name for path in BRAND.iterdir()}
    assert {"icon.png", "icon@2x.png"} <= names
    assert names <= set(ICON_SIZES) | LOGO_FILES, f"unknown: {names - set(ICON_SIZES)}"


def present(names: set[str] | dict[str, tuple[int, int]]) -> list[Path]:
    """The brand files of these names that exist (the dark and logo variants are optional)."""
    return [BRAND / name for name in sorted(names) if (BRAND / name).exists()]


def test_icons_have_their_size_and_a_transparent_background() -> None:
    for path in present(ICON_SIZES):
        name = path.name
        with Image.open(path) as image:
            assert image.size == ICON_SIZES[name], name
            assert image.mode in {"RGBA", "LA", "P"}, f"{name} has no alpha channel"
        alpha = rgba(path).getchannel("A")
        low, high = alpha.getextrema()
        assert low == 0, f"{name} has no transparent pixel"
        assert high == 255, f"{name} has no opaque pixel"
        width, height = alpha.size
        corners = [(0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1)]
        assert all(alpha.getpixel(corner) == 0 for corner in corners), (
            f"{name}: the background (its corners) is not transparent"
        )


def test_the_2x_icon_is_the_same_picture() -> None:
    small = rgba(BRAND / "icon.png")
    large = rgba(BRAND / "icon@2x.png").resize(small.size, Image.Resampling.LANCZOS)
    difference = ImageStat.Stat(ImageChops.difference(small, large)).mean
    assert max(difference) < 8, f"icon@2x.png differs from icon.png: {difference}"


def test_logos_have_a_size_home_assistant_accepts() -> None:
    for path in present(LOGO_FILES):
        with Image.open(path) as image:
            shortest = min(image.size)
        low, high = (256, 512) if "@2x" in path.name else (128, 256)
        assert low <= shortest <= high, f"{path.name}: shortest side {shortest}"
