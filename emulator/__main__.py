"""Run the emulator: python -m emulator [--host 127.0.0.1] [--port 8765] [--https-port 0] [--scenario FILE] [--ca-file FILE] [--app JSON ...]."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from pathlib import Path
import shutil
import signal
import sys

from .app import Emulator
from .apps import app_from_dict
from .errors import ScenarioError
from .scenario import Scenario


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
    parser.add_argument(
        "--app",
        action="append",
        default=[],
        metavar="JSON",
        help='register a Fleet API app, e.g. \'{"client_id": "x", "client_secret": "y", '
        '"redirect_uris": ["http://127.0.0.1:8123/auth/external/callback"]}\' (repeatable)',
    )
    return parser.parse_args(argv)


def with_apps(scenario: Scenario, apps: list[str]) -> Scenario:
    """The scenario with the `--app` JSON objects registered (a same client_id replaces)."""
    for raw in apps:
        try:
            data = json.loads(raw)
        except ValueError as err:
            raise ScenarioError(f"--app: not JSON: {err}") from err
        app = app_from_dict(data)
        scenario.apps = [a for a in scenario.apps if a.client_id != app.client_id]
        scenario.apps.append(app)
    return scenario


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
        scenario = with_apps(
            Scenario.from_file(args.scenario) if args.scenario else Scenario.default(),
            args.app,
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
