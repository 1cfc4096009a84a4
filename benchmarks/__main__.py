"""Run every measurement, print the tables and write docs/benchmarks.md.

Usage: .venv/bin/python -m benchmarks [--runs 30] [--refresh-runs 200] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import subprocess
import sys
import tempfile
import time
from typing import Any

from .import_time import measure_import_times
from .machine import this_machine
from .report import Figures, document, summary
from .sign_in_figures import measure_sign_ins

REPO = Path(__file__).resolve().parents[1]
DOCUMENT = REPO / "docs" / "benchmarks.md"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="Tesla Token benchmarks."
    )
    parser.add_argument(
        "--runs", type=int, default=30, help="sign-ins per path and client (default 30)"
    )
    parser.add_argument(
        "--refresh-runs",
        type=int,
        default=200,
        help="refreshes of each kind for the overhead figure (default 200)",
    )
    parser.add_argument(
        "--no-write",
        action="store_true",
        help=f"do not rewrite {DOCUMENT.relative_to(REPO)}",
    )
    return parser.parse_args(argv)


def say(message: str) -> None:
    """Progress, on stderr (the tables go to stdout)."""
    sys.stderr.write(f"==> {message}\n")
    sys.stderr.flush()


def measure_in_home_assistant(refresh_runs: int) -> dict[str, Any]:
    """Run benchmarks/ha_session.py as a pytest session and read back what it recorded."""
    with tempfile.TemporaryDirectory() as folder:
        results = Path(folder) / "results.json"
        env = {
            **os.environ,
            "TESLA_TOKEN_BENCH_RESULTS": str(results),
            "TESLA_TOKEN_BENCH_REFRESH_RUNS": str(refresh_runs),
        }
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "benchmarks/ha_session.py",
                "-o",
                "addopts=",
                "-p",
                "no:cacheprovider",
                "-q",
                "-x",
            ],
            cwd=REPO,
            env=env,
            check=True,
            stdout=sys.stderr,
        )
        recorded: dict[str, Any] = json.loads(results.read_text(encoding="utf-8"))
        return recorded


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    start = time.perf_counter()
    machine = this_machine()
    say(f"sign-ins: {args.runs} runs per path, this client and TeslaPy 1.5.0")
    sign_ins = [path.to_json() for path in measure_sign_ins(args.runs)]
    say("refresh overhead, entries, memory and a simulated week in Home Assistant")
    home_assistant = measure_in_home_assistant(args.refresh_runs)
    say("import time, in fresh interpreters")
    imports = measure_import_times()
    figures = Figures(
        machine=machine,
        sign_ins=sign_ins,
        home_assistant=home_assistant,
        imports=imports,
        seconds=time.perf_counter() - start,
    )
    sys.stdout.write(summary(figures) + "\n")
    sys.stdout.flush()
    if not args.no_write:
        DOCUMENT.parent.mkdir(exist_ok=True)
        DOCUMENT.write_text(document(figures), encoding="utf-8")
        say(f"wrote {DOCUMENT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
