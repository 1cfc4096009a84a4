"""Debian's headless Chromium, driven through Playwright (no browser download)."""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from pathlib import Path

from playwright.sync_api import Page, ViewportSize, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Big enough that the email-and-password dialog shows every field at once.
VIEWPORT: ViewportSize = {"width": 1280, "height": 1000}
# Milliseconds any one step may wait for the page (a click, a field, a text).
STEP_TIMEOUT_MS = 20_000


@contextlib.contextmanager
def chromium_page(profile_dir: Path) -> Iterator[Page]:
    """A page of a fresh Chromium profile, in English and light colours."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=VIEWPORT,
            locale="en-US",
            color_scheme="light",
        )
        try:
            context.set_default_timeout(STEP_TIMEOUT_MS)
            expect.set_options(timeout=STEP_TIMEOUT_MS)
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
