"""Requests per sign-in and sign-in wall time: this client and TeslaPy 1.5.0, same emulator, same run.

The emulator runs in its own process; this client runs on an asyncio loop in this process and
TeslaPy (synchronous) in the main thread while that loop is idle, so both talk to the same
server over loopback in the same way. Runs alternate between the clients and the paths.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
import statistics
import time
from typing import Any

from .emulator_process import EmulatorProcess, emulator_process
from .sign_ins import (
    PROTOCOL_MINIMUM,
    SignInPath,
    email_for,
    point_teslapy_at,
    scenario_accounts,
    sign_in_with_teslapy,
    sign_in_with_this_client,
)

OURS = "ours"
TESLAPY = "teslapy"
# The owner-API token exchange TeslaPy still does after signing in (a 2021 step, not SSO).
LEGACY_EXCHANGE_PATH = "/oauth/token"


@dataclass
class ClientRuns:
    """One client's runs of one path."""

    requests: list[list[str]] = field(default_factory=list)  # "METHOD /path" per run
    seconds: list[float] = field(default_factory=list)

    @property
    def request_count(self) -> int:
        """Requests per sign-in (the same in every run, or the benchmark fails)."""
        counts = {len(run) for run in self.requests}
        if len(counts) != 1:
            raise RuntimeError(
                f"the request count varied between runs: {sorted(counts)}"
            )
        return counts.pop()

    @property
    def median_ms(self) -> float:
        """Median wall time in milliseconds."""
        return statistics.median(self.seconds) * 1000


@dataclass
class PathFigures:
    """Both clients on one sign-in path."""

    path: SignInPath
    ours: ClientRuns = field(default_factory=ClientRuns)
    teslapy: ClientRuns = field(default_factory=ClientRuns)

    @property
    def minimum(self) -> int:
        """The protocol's minimum for this path."""
        return PROTOCOL_MINIMUM[self.path]

    @property
    def teslapy_sso_count(self) -> int:
        """TeslaPy's requests without its owner-API exchange."""
        return sum(
            1
            for request in self.teslapy.requests[0]
            if LEGACY_EXCHANGE_PATH not in request
        )

    def to_json(self) -> dict[str, Any]:
        """The figures as JSON-ready data."""
        return {
            "path": self.path.value,
            "minimum": self.minimum,
            "ours_requests": self.ours.request_count,
            "teslapy_requests": self.teslapy.request_count,
            "teslapy_sso_requests": self.teslapy_sso_count,
            "ours_sequence": self.ours.requests[0],
            "teslapy_sequence": self.teslapy.requests[0],
            "ours_median_ms": self.ours.median_ms,
            "teslapy_median_ms": self.teslapy.median_ms,
            "runs": len(self.ours.seconds),
        }


def _served(emulator: EmulatorProcess) -> list[str]:
    """The requests served since the last clear, as "METHOD /path"; all must have worked."""
    served = emulator.requests()
    failed = [r for r in served if not 200 <= int(r["status"]) < 400]
    if failed:
        raise RuntimeError(f"requests failed during a sign-in: {failed}")
    return [f"{r['method']} {r['path']}" for r in served]


async def _timed(work: Awaitable[object]) -> float:
    start = time.perf_counter()
    await work
    return time.perf_counter() - start


def measure_sign_ins(runs: int, warmup: int = 2) -> list[PathFigures]:
    """Sign in `runs` times per path and client (after `warmup` unrecorded rounds)."""
    total = runs + warmup
    figures = {path: PathFigures(path) for path in SignInPath}
    accounts = scenario_accounts([OURS, TESLAPY], total)
    with emulator_process(accounts) as emulator, asyncio.Runner() as runner:
        point_teslapy_at(emulator)
        for run in range(total):
            for path in SignInPath:
                emulator.clear_requests()
                email = email_for(path, OURS, run)
                ours = runner.run(_timed(sign_in_with_this_client(emulator, email)))
                ours_requests = _served(emulator)

                emulator.clear_requests()
                start = time.perf_counter()
                sign_in_with_teslapy(emulator, email_for(path, TESLAPY, run))
                teslapy = time.perf_counter() - start
                teslapy_requests = _served(emulator)

                if run >= warmup:
                    figures[path].ours.seconds.append(ours)
                    figures[path].ours.requests.append(ours_requests)
                    figures[path].teslapy.seconds.append(teslapy)
                    figures[path].teslapy.requests.append(teslapy_requests)
    return list(figures.values())
