"""Run the emulator: python -m emulator [--host 127.0.0.1] [--port 8765] [--scenario FILE]."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from .app import Emulator
from .scenario import Scenario, ScenarioError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m emulator", description="Local Tesla SSO emulator."
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8765,
        help="port to listen on (default 8765, 0 = any)",
    )
    parser.add_argument(
        "--scenario", help="scenario JSON file (default: the built-in scenario)"
    )
    return parser.parse_args(argv)


async def serve(scenario: Scenario, host: str, port: int) -> None:
    """Run until interrupted."""
    emulator = Emulator(scenario)
    await emulator.start(host, port)
    print(emulator.base_url, flush=True)  # noqa: T201 - the command's output
    print(f"global SSO: {emulator.global_sso}", file=sys.stderr)  # noqa: T201
    print(f"China SSO:  {emulator.china_sso}", file=sys.stderr)  # noqa: T201
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    try:
        scenario = (
            Scenario.from_file(args.scenario) if args.scenario else Scenario.default()
        )
    except ScenarioError as err:
        print(f"error: {err}", file=sys.stderr)  # noqa: T201
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(scenario, args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
