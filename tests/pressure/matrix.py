"""The fault matrix report: each pressure test records its cell, the run prints the grid.

A test records `(fault, phase)` and, when it gets to the end, the outcome; the report hooks in
tests/conftest.py collect them from the test reports (so that it works under xdist too) and
print the grid in the terminal summary.
"""

from __future__ import annotations

from typing import Any, Final

import pytest

CELL_PROPERTY: Final = "fault_matrix_cell"
OUTCOME_PROPERTY: Final = "fault_matrix_outcome"
MAX_WIDTH: Final = 110

# Display order and names.
FAULTS: Final = {
    "500": "500",
    "503": "503",
    "429": "429+Retry-After",
    "timeout": "timeout*",
    "dropped": "dropped",
    "malformed_json": "bad JSON",
    "truncated": "truncated*",
    "waf_403": "WAF 403",
    "waf_challenge": "WAF challenge",
}
PHASES: Final = {
    "scheduled": "scheduled refresh",
    "action": "refresh action",
    "flow_token": "flow: refresh token",
    "login_authorize_get": "login: GET authorize",
    "login_authorize_post": "login: POST credentials",
    "login_captcha": "login: GET captcha",
    "login_mfa_factors": "login: MFA factors",
    "login_mfa_verify": "login: MFA verify",
    "login_mfa_finish": "login: MFA finish POST",
    "login_token": "login: code exchange",
}
LEGEND: Final = (
    "A cell is what the person is told while the fault lasts; every such cell also recovered",
    "once the fault cleared (the test asserts it; a failed test shows FAILED). Scheduled refresh",
    "and refresh action: the failure reason (status sensor 'Refresh failing', failure event,",
    "repair issue after the grace period, the action's translated 'refresh_failed' error); the",
    "stored refresh token is kept and works afterwards. Flow phases: the form error, cannot_connect",
    "on the password or token form, waf_blocked on the browser form (then signed in through the",
    "browser path). *: the scheduled refresh, the refresh action and the flow's refresh-token path",
    "ran with refresh_rotation=reuse: a late or cut-off answer arrives after Tesla rotated a",
    "single-use token, which is then lost by nature. Every other cell ran with single_use.",
)

_cells: dict[tuple[str, str], str] = {}


def collect_matrix_cell(report: pytest.TestReport) -> None:
    """Take the cell a pressure test recorded (a failed test shows FAILED)."""
    if report.when != "call":
        return
    properties = dict(report.user_properties)
    cell = properties.get(CELL_PROPERTY)
    if cell is None:
        return
    fault, phase = cell
    outcome = properties.get(OUTCOME_PROPERTY)
    _cells[(str(fault), str(phase))] = (
        "FAILED" if report.failed or outcome is None else str(outcome)
    )


def _grid(
    cells: dict[tuple[str, str], str], faults: list[str], phases: list[str]
) -> list[str]:
    """One grid: a row per phase, a column per fault."""
    first = max(len(PHASES[p]) for p in phases)
    widths = [
        max(len(FAULTS[f]), *(len(cells.get((f, p), "-")) for p in phases))
        for f in faults
    ]
    header = " | ".join(
        [
            " " * first,
            *(FAULTS[f].ljust(w) for f, w in zip(faults, widths, strict=True)),
        ]
    )
    lines = [header.rstrip(), "-" * len(header.rstrip())]
    lines.extend(
        " | ".join(
            [
                PHASES[p].ljust(first),
                *(
                    cells.get((f, p), "-").ljust(w)
                    for f, w in zip(faults, widths, strict=True)
                ),
            ]
        ).rstrip()
        for p in phases
    )
    return lines


def matrix_lines(
    cells: dict[tuple[str, str], str], max_width: int = MAX_WIDTH
) -> list[str]:
    """The matrix as grids no wider than max_width (the faults split over several grids)."""
    faults = [f for f in FAULTS if any(key[0] == f for key in cells)]
    phases = [p for p in PHASES if any(key[1] == p for key in cells)]
    lines: list[str] = []
    chunk: list[str] = []
    for fault in faults:
        if chunk and len(_grid(cells, [*chunk, fault], phases)[0]) > max_width:
            lines += [*_grid(cells, chunk, phases), ""]
            chunk = []
        chunk.append(fault)
    if chunk:
        lines += _grid(cells, chunk, phases)
    return lines


def print_fault_matrix(terminalreporter: Any) -> None:
    """Print the grid (fault x phase -> outcome) when pressure tests ran."""
    if not _cells:
        return
    terminalreporter.section("fault matrix: fault x phase -> outcome")
    for line in matrix_lines(_cells):
        terminalreporter.write_line(line)
    terminalreporter.write_line("")
    for line in LEGEND:
        terminalreporter.write_line(line)
