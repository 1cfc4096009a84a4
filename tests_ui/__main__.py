"""Run the browser test: python -m tests_ui [--screenshots DIR].

Starts the emulator and Home Assistant on 127.0.0.1, drives headless Chromium through the sign-in,
stops everything, and ends with a line such as "1 passed, 0 failed" (exit code 1 on failure).
"""

from __future__ import annotations

import argparse
from pathlib import Path
import signal
import sys
import tempfile
import time
import traceback
from types import FrameType

from .browser import chromium_page
from .journey import SignInJourney
from .servers import REPO, running_servers

# The README's pictures are refreshed on purpose (--screenshots docs/screenshots), not by every run.
DEFAULT_SCREENSHOTS = REPO / ".develop" / "screenshots"
# Where the page looked like when a step failed (outside the deleted work folder).
FAILURE_SCREENSHOT = Path(tempfile.gettempdir()) / "tesla-token-ui-failure.png"


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM (e.g. from `timeout`) into SystemExit, so that both servers get stopped."""
    raise SystemExit(128 + signum)


def run(screenshots: Path) -> None:
    """The journey against fresh servers; raises on failure."""
    screenshots.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="tesla-token-ui-") as work,
        running_servers(Path(work)) as servers,
        chromium_page(Path(work) / "chromium-profile") as page,
    ):
        try:
            SignInJourney(page, servers, screenshots).run()
        except BaseException:
            page.screenshot(path=FAILURE_SCREENSHOT)
            sys.stderr.write(f"The page at the failure: {FAILURE_SCREENSHOT}\n")
            raise


def main() -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m tests_ui", description=__doc__)
    parser.add_argument(
        "--screenshots",
        type=Path,
        default=DEFAULT_SCREENSHOTS,
        help=f"folder for the step screenshots (default {DEFAULT_SCREENSHOTS})",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    started = time.monotonic()
    name = "tests_ui: sign in with captcha and the second MFA device"
    try:
        run(args.screenshots.resolve())
    except BaseException:  # noqa: BLE001 - any failure (a timeout's SIGTERM too) fails the test
        traceback.print_exc()
        sys.stdout.write(f"FAILED {name}\n0 passed, 1 failed\n")
        return 1
    elapsed = time.monotonic() - started
    sys.stdout.write(
        f"PASSED {name} ({elapsed:.0f} s; screenshots in {args.screenshots})\n"
        "1 passed, 0 failed\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
