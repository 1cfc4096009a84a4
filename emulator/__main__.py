"""Run the emulator: python -m emulator [--host 127.0.0.1] [--port 8765] [--https-port 0] [--scenario FILE] [--ca-file FILE]."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path
import shutil
import signal
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
        "--https-port",
        type=int,
        default=0,
        help="HTTPS port (default 0 = any)",
    )
    parser.add_argument(
        "--scenario", help="scenario JSON file (default: the built-in scenario)"
    )
    parser.add_argument(
        "--ca-file",
        type=Path,
        help="also write the HTTPS port's throw-away CA certificate (PEM) here",
    )
    return parser.parse_args(argv)


async def serve(
    scenario: Scenario,
    host: str,
    ports: tuple[int, int],
    ca_file: Path | None = None,
) -> None:
    """Run until interrupted (`ports`: HTTP and HTTPS)."""
    emulator = Emulator(scenario)
    await emulator.start(host, *ports)
    if ca_file is not None:
        await asyncio.to_thread(shutil.copyfile, emulator.ca_file, ca_file)
    print(emulator.base_url, flush=True)  # noqa: T201 - the command's output
    print(emulator.https_url, flush=True)  # noqa: T201
    print(f"global SSO: {emulator.global_sso}", file=sys.stderr)  # noqa: T201
    print(f"China SSO:  {emulator.china_sso}", file=sys.stderr)  # noqa: T201
    print(  # noqa: T201
        f"HTTPS CA:   {ca_file or emulator.ca_file}", file=sys.stderr
    )
    stopped = asyncio.Event()
    # SIGTERM (scripts/develop stopping it) ends as cleanly as Ctrl-C: the CA files go too.
    with contextlib.suppress(NotImplementedError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    try:
        await stopped.wait()
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
        asyncio.run(
            serve(scenario, args.host, (args.port, args.https_port), args.ca_file)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
