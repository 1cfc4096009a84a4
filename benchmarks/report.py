"""The benchmark's tables (markdown, which also reads as plain text) and docs/benchmarks.md."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .import_time import ImportTimes
from .machine import Machine


@dataclass(frozen=True)
class Figures:
    """Everything one run of the benchmark measured."""

    machine: Machine
    sign_ins: list[dict[str, Any]]  # PathFigures.to_json() per path
    home_assistant: dict[str, Any]  # what benchmarks/ha_session.py recorded
    imports: ImportTimes
    seconds: float  # how long the whole benchmark took


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table with aligned columns."""
    cells = [[str(cell) for cell in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row))
            + " |"
        )

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"


def machine_table(machine: Machine) -> str:
    """Where the figures come from."""
    return table(
        ["", ""],
        [
            ["CPU", machine.cpu],
            ["cores", machine.cores],
            ["system", machine.system],
            ["Python", machine.python],
            ["Home Assistant", machine.home_assistant],
            ["date", machine.date],
        ],
    )


def requests_table(sign_ins: list[dict[str, Any]]) -> str:
    """1. Requests per sign-in."""
    rows = [
        [
            f["path"],
            f["minimum"],
            f["ours_requests"],
            f"{f['teslapy_requests']} ({f['teslapy_sso_requests']} SSO + 1 owner-API exchange)",
        ]
        for f in sign_ins
    ]
    return table(
        ["sign-in path", "protocol minimum", "this client", "TeslaPy 1.5.0"], rows
    )


def wall_time_table(sign_ins: list[dict[str, Any]]) -> str:
    """2. Sign-in wall time."""
    rows = [
        [
            f["path"],
            _ms(f["ours_median_ms"]),
            _ms(f["teslapy_median_ms"]),
            f"{f['teslapy_median_ms'] / f['ours_median_ms']:.2f} x",
        ]
        for f in sign_ins
    ]
    return table(
        [
            "sign-in path",
            "this client (median)",
            "TeslaPy 1.5.0 (median)",
            "TeslaPy / this client",
        ],
        rows,
    )


def refresh_table(refresh: dict[str, Any]) -> str:
    """3. Refresh overhead."""
    return table(
        [
            "coordinator refresh, check off (median)",
            "bare aiohttp POST (median)",
            "ratio",
            "with the API check (median)",
            "the check adds",
        ],
        [
            [
                _ms(refresh["coordinator_median_ms"]),
                _ms(refresh["bare_median_ms"]),
                f"{refresh['ratio']:.2f} x",
                _ms(refresh["checked_median_ms"]),
                _ms(refresh["check_extra_ms"]),
            ]
        ],
    )


def cost_table(home_assistant: dict[str, Any]) -> str:
    """4. Home Assistant cost of 1, 10 and 100 entries."""
    rows = []
    for count, timing in sorted(
        home_assistant["setup_time"].items(), key=lambda i: int(i[0])
    ):
        memory = home_assistant["setup_memory"][count]
        rows.append(
            [
                count,
                timing["entities"],
                _ms(timing["total_ms"]),
                _ms(timing["per_entry_ms"]),
                f"{memory['kept_kib']:.0f} KiB",
                f"{memory['kept_per_entry_kib']:.1f} KiB",
                f"{memory['peak_kib']:.0f} KiB",
            ]
        )
    return table(
        [
            "entries",
            "entities",
            "set-up time",
            "per entry",
            "memory kept",
            "per entry",
            "peak during set-up",
        ],
        rows,
    )


def import_table(imports: ImportTimes) -> str:
    """4b. Import time."""
    return table(
        ["what is imported", "median"],
        [
            [
                "package + sensor platform, in a running Home Assistant",
                _ms(imports.setup_ms),
            ],
            ["config flow, when a person adds an account", _ms(imports.flow_ms)],
            [
                "package + sensor platform, cold (Home Assistant's modules included)",
                _ms(imports.cold_setup_ms),
            ],
        ],
    )


def week_table(week: dict[str, Any]) -> str:
    """5. Requests over a simulated week."""
    return table(
        [
            "access token lifetime",
            "schedule",
            "one per lifetime",
            "schedule minimum",
            "token requests",
            "API checks",
            "goal (schedule x 2)",
            "other requests",
        ],
        [
            [
                f"{week['lifetime_hours']:g} h",
                f"refresh at {week['refresh_share']} % of the lifetime",
                week["one_per_lifetime"],
                week["schedule_minimum"],
                week["token_requests"],
                week["api_checks"],
                (
                    f"{week['token_requests'] + week['api_checks']} <= "
                    f"{2 * week['schedule_minimum']}"
                ),
                week["other_requests"],
            ]
        ],
    )


def paste_table(paste: dict[str, Any]) -> str:
    """6. Refusing an over-long paste."""
    size = f"{paste['bytes'] / 1024 / 1024:g} MB"
    return table(
        ["what", "pasted", "median"],
        [
            [
                "browser step refuses the callback field (REST API round trip)",
                size,
                _ms(paste["browser_median_ms"]),
            ],
            [
                "token step refuses the refresh token field (REST API round trip)",
                size,
                _ms(paste["token_median_ms"]),
            ],
            [
                "SSO client reads the paste itself, without the cap",
                size,
                _ms(paste["parse_median_ms"]),
            ],
        ],
    )


def profiles_table(profiles: dict[str, Any]) -> str:
    """7. Connection profiles."""
    rows = [
        [
            name,
            figures["connection"],
            _ms(figures["first_refresh_ms"]),
            _ms(figures["refresh_median_ms"]),
            _ms(figures["check_median_ms"]),
        ]
        for name, figures in profiles.items()
        if name != "runs"
    ]
    return table(
        [
            "profile",
            "connection the emulator saw",
            "first refresh (new connection)",
            "refresh (median)",
            "Owner API check (median)",
        ],
        rows,
    )


def summary(figures: Figures) -> str:
    """All tables, for the terminal."""
    home_assistant = figures.home_assistant
    runs = figures.sign_ins[0]["runs"]
    return "\n\n".join(
        [
            f"Tesla Token benchmarks ({figures.seconds:.0f} s)",
            machine_table(figures.machine),
            "1. Requests per sign-in\n" + requests_table(figures.sign_ins),
            f"2. Sign-in wall time, median of {runs} runs\n"
            + wall_time_table(figures.sign_ins),
            f"3. Refresh overhead, median of {home_assistant['refresh']['runs']} runs\n"
            + refresh_table(home_assistant["refresh"]),
            "4. Home Assistant cost\n"
            + cost_table(home_assistant)
            + "\n\n"
            + import_table(figures.imports),
            "5. Requests over a simulated week, one account\n"
            + week_table(home_assistant["week"]),
            f"6. Refusing an over-long paste, median of "
            f"{home_assistant['long_paste']['runs']} runs\n"
            + paste_table(home_assistant["long_paste"]),
            f"7. Connection profiles over HTTPS, median of "
            f"{home_assistant['profiles']['runs']} runs\n"
            + profiles_table(home_assistant["profiles"]),
        ]
    )


def _sequences(sign_ins: list[dict[str, Any]]) -> str:
    lines = []
    for f in sign_ins:
        lines.append(f"- {f['path']}, this client: " + ", ".join(f["ours_sequence"]))
        lines.append(f"- {f['path']}, TeslaPy: " + ", ".join(f["teslapy_sequence"]))
    return "\n".join(lines)


def document(figures: Figures) -> str:
    """docs/benchmarks.md."""
    home_assistant = figures.home_assistant
    runs = figures.sign_ins[0]["runs"]
    refresh = home_assistant["refresh"]
    week = home_assistant["week"]
    return _DOCUMENT.format(
        machine=machine_table(figures.machine),
        seconds=f"{figures.seconds:.0f}",
        requests=requests_table(figures.sign_ins),
        sequences=_sequences(figures.sign_ins),
        runs=runs,
        wall_time=wall_time_table(figures.sign_ins),
        refresh_runs=refresh["runs"],
        refresh=refresh_table(refresh),
        cost=cost_table(home_assistant),
        imports=import_table(figures.imports),
        import_runs=figures.imports.runs,
        own_modules=figures.imports.own_modules,
        week=week_table(week),
        step=week["step_minutes"],
        paste=paste_table(home_assistant["long_paste"]),
        paste_runs=home_assistant["long_paste"]["runs"],
        profiles=profiles_table(home_assistant["profiles"]),
        profile_runs=home_assistant["profiles"]["runs"],
    )


_DOCUMENT = """# Benchmarks

Figures, not tests: what a sign-in costs in requests and time next to TeslaPy 1.5.0, what a
refresh costs on top of the HTTP request itself, what the integration costs Home Assistant, how
many requests an account makes in a week, and how fast an over-long paste is refused. Everything
runs against the local Tesla SSO emulator (`emulator/`) on 127.0.0.1; nothing talks to Tesla.

These figures come from one run of `scripts/bench` ({seconds} s) on:

{machine}

## How to reproduce

```sh
scripts/bench                # set-up when needed, then all measurements; rewrites this file
scripts/bench --runs 10      # fewer sign-in runs (default 30)
scripts/bench --no-write     # print the tables only
```

`scripts/bench` runs `scripts/setup` (so a fresh clone works), then `python -m benchmarks`, which
prints the tables and writes this file. The measurements inside Home Assistant (sections 3 to 6)
run as a pytest session of `benchmarks/ha_session.py` under pytest-homeassistant-custom-component,
which gives each one a fresh `HomeAssistant` instance and lets sockets reach 127.0.0.1 only.
Times depend on the machine; the request counts do not. Expect the times to move by 10 to 20 %
between runs on a shared machine, and compare ratios rather than absolute values.

## 1. Requests per sign-in

{requests}

Counted from the emulator's request log (its `/__emulator__` control calls are not in it), for
complete sign-ins per path: accounts set up alike, the same emulator, the same run. The protocol
minimum is what Tesla's sign-in cannot do with less: plain 3 (load the form, post the password,
exchange the code), captcha 4 (+ the image), MFA 6 (+ the device list, the passcode check and
the final post), both 7. This client makes exactly the minimum on every path, and the same count
in every run (the benchmark stops if a count varies). TeslaPy makes the same SSO requests and
then one more: its 2021 exchange of the SSO token for an owner-API token (`POST /oauth/token`),
which the v3 tokens no longer need.

The requests, in order:

{sequences}

## 2. Sign-in wall time

{wall_time}

Median of {runs} complete sign-ins per path and client, after two warm-up rounds, alternating
between the clients. Measured from creating the client (a fresh HTTP session with its own cookie
jar, as the config flow does; a fresh `teslapy.Tesla`) to holding the tokens, including reading
the captcha answer and the passcode from the emulator's control API, as a person would read them.
The emulator runs in its own process; this client runs on an asyncio loop and TeslaPy (which is
synchronous, built on requests and requests-oauthlib) in the main thread, so both reach the same
server over loopback in the same way. Both times include the emulator's own work, which is the
same for both; the ratio is the figure to compare.

## 3. Refresh overhead

{refresh}

A refresh as the integration does it (`TeslaTokenCoordinator.async_refresh_token` in a real
Home Assistant instance: the lock, `TeslaSso.refresh` with its checks of the answer, storing the
rotated tokens in the config entry, rescheduling, updating the five sensors, firing the
`tesla_token_refreshed` event, clearing repair issues) against a bare aiohttp POST of the same
refresh request to the same `/token` endpoint, reading the JSON answer. Median of
{refresh_runs} of each, interleaved, with the emulator in the same process. The ratio is what
the integration adds to the request itself, per refresh; Home Assistant writes the config entry
file later, coalescing writes, so that disk write is not in the figure. "With the API check" is
the same refresh of an entry whose option "Check the token with Tesla's API" is on (the
default): one more read-only request and the verdict saved beside the tokens.

## 4. Home Assistant cost

{cost}

Each row sets up that many entries (different accounts, fresh tokens) in a fresh Home Assistant
instance. Set-up time is from adding the first entry to the moment every task they started is
done; it sends no request (fresh tokens are not refreshed at start-up). The first entry also
pays for loading the integration into Home Assistant (its manifest, translations, actions and
sensor platform), which is why the per-entry time falls with more entries. Memory is what
Python allocated and still holds after set-up and a garbage collection (tracemalloc, measured in
a separate run so that tracing does not slow the timed one), and the peak during set-up; each
entry has a coordinator, its timers and five sensor entities.

{imports}

Median of {import_runs} fresh interpreters each, with bytecode compiled and cached beforehand, as
in an installation. "In a running Home Assistant" imports every non-integration module the
integration needs first (Home Assistant has them loaded already), so only the integration's own
modules ({own_modules} with the config flow) are timed; Home Assistant imports them in its
executor, not in the event loop. The cold figure is what a bare interpreter pays, nearly all of it Home Assistant itself.

## 5. Requests over a simulated week

{week}

One account on the default schedule, in a real Home Assistant instance with the real coordinator,
while a frozen clock moves through seven days in {step}-minute steps (the emulator reads the same
clock, so its tokens expire on time). "One per lifetime" is the floor for keeping a token valid
without a gap: refresh exactly at expiry. The integration refreshes at 75 % of the lifetime
instead, leaving a quarter of it to retry when Tesla is unreachable, so its schedule asks for one
refresh every 6 hours: the schedule minimum. The token requests equal that minimum. Each new token
is checked once with Tesla's API (`GET /api/1/products`, read-only), plus once at start-up for a
stored token never checked: the goal is at most twice the schedule's count in all. There are no
other requests: the integration never polls.

## 6. Refusing an over-long paste

{paste}

Home Assistant's API takes requests of up to 16 MB, so a field can receive far more than a person
means to paste. Each of the first two rows posts the console line of a callback followed by 4 MB
of blanks to the config flow over Home Assistant's REST API, as the frontend does, and times the
round trip until the form comes back with the "too long" error on that field (median of
{paste_runs}, after two warm-up rounds); nothing is sent to Tesla. The figure includes Home
Assistant decoding the 4 MB JSON request. The third row is the SSO client reading such a paste
(and 4 MB of letters) itself, as it would without the field's cap: its scan is linear, where the
former regular expressions took about 20 s of the event loop for 64 kB of blanks.

## 7. Connection profiles

{profiles}

Since June 2026 Tesla judges the client connection of each token request, so the integration
can refresh over three (`connection.py`): HTTP/2 over TLS 1.3 (httpx with h2), HTTP/1.1 over TLS
capped at 1.2 and HTTP/1.1 over TLS 1.3 (both aiohttp). Each row refreshes a token through
`TeslaSso` over that profile's shared token transport, then asks the Owner API
(`GET /api/1/products`) whether it accepts the new access token, against the emulator's HTTPS
port with certificate verification on (Home Assistant's client contexts trust the emulator's
throw-away CA for the run). The first refresh opens the connection (TCP, TLS handshake, for
HTTP/2 the preface and settings); the medians of the next {profile_runs} reuse it, as requests
close together do. Refreshes hours apart open a new connection each time: the first column is
the figure for them. The HTTP/2 times include the emulator's own HTTP/2 bridge (the pure-Python
h2 state machine and an HTTP/1.1 round trip per stream), so they overstate the client's share.
"""
