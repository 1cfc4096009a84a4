"""Run the browser test: python -m tests_ui [--screenshots DIR].

Starts the emulator and Home Assistant on 127.0.0.1, drives headless Chromium through the
journeys (the README's sign-in, a retry after a wrong password, the browser path, the Fleet
API with the demo app), stops
everything, and ends with a line such as "3 passed, 0 failed" (exit code 1 on failure).
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
from .fleet import FleetJourney
from .journey import Journey, SignInJourney
from .retries import BrowserPathJourney, PasswordRetryJourney
from .servers import REPO, running_servers

# The README's pictures are refreshed on purpose (--screenshots docs/screenshots), not by every run.
DEFAULT_SCREENSHOTS = REPO / ".develop" / "screenshots"
# Where the page looked like when a step failed (outside the deleted work folder).
FAILURE_SCREENSHOTS = Path(tempfile.gettempdir())
# In this order: only the first takes screenshots; each later one opens Home Assistant anew.
JOURNEYS: tuple[type[Journey], ...] = (
    SignInJourney,
    PasswordRetryJourney,
    BrowserPathJourney,
    FleetJourney,
)


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM (e.g. from `timeout`) into SystemExit, so that both servers get stopped."""
    raise SystemExit(128 + signum)


def _print_server_logs(work: Path) -> None:
    """The last lines both servers printed (they keep running for the next journey)."""
    for name in ("emulator", "hass"):
        log = work / f"{name}.log"
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        sys.stderr.write(f"--- last output of {name} ---\n{text[-3000:]}\n")


def run(screenshots: Path) -> tuple[int, int]:
    """Every journey against one set of fresh servers.

    Returns:
        How many journeys passed and failed; a failing one does not stop the next.
    """
    screenshots.mkdir(parents=True, exist_ok=True)
    passed = failed = 0
    with (
        tempfile.TemporaryDirectory(prefix="tesla-token-ui-") as work,
        running_servers(Path(work)) as servers,
        chromium_page(Path(work) / "chromium-profile") as page,
    ):
        for number, journey_type in enumerate(JOURNEYS, start=1):
            journey = journey_type(page, servers, screenshots if number == 1 else None)
            started = time.monotonic()
            try:
                journey.run()
            except Exception:  # noqa: BLE001 - reported, then the next journey runs
                traceback.print_exc()
                failure = FAILURE_SCREENSHOTS / f"tesla-token-ui-failure-{number}.png"
                page.screenshot(path=failure)
                sys.stderr.write(f"The page at the failure: {failure}\n")
                _print_server_logs(Path(work))
                sys.stdout.write(f"FAILED tests_ui: {journey.name}\n")
                failed += 1
            else:
                elapsed = time.monotonic() - started
                sys.stdout.write(f"PASSED tests_ui: {journey.name} ({elapsed:.0f} s)\n")
                passed += 1
    return passed, failed


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
    try:
        passed, failed = run(args.screenshots.resolve())
    except BaseException:  # noqa: BLE001 - any failure (a timeout's SIGTERM too) fails the test
        traceback.print_exc()
        sys.stdout.write(
            f"FAILED tests_ui (servers or browser)\n0 passed, {len(JOURNEYS)} failed\n"
        )
        return 1
    elapsed = time.monotonic() - started
    sys.stdout.write(
        f"{passed} passed, {failed} failed ({elapsed:.0f} s; screenshots in "
        f"{args.screenshots})\n"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
