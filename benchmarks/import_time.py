"""Import time of the integration, each in a fresh interpreter.

Cold: nothing imported yet, so the Home Assistant modules the integration uses are paid for
here too. In Home Assistant: those modules already imported, as they are in a running instance,
so only the integration's own modules are timed. Bytecode is compiled once and cached first, as
in an installation.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import os
from pathlib import Path
import statistics
import subprocess
import sys
import tempfile

REPO = Path(__file__).resolve().parents[1]
# What Home Assistant imports to set up an entry: the package and its sensor platform.
SETUP_MODULES = (
    "custom_components.tesla_token",
    "custom_components.tesla_token.sensor",
)
# What it imports when a person starts adding an account.
FLOW_MODULES = ("custom_components.tesla_token.config_flow",)
_OWN_PREFIX = "custom_components"

# argv: the modules to import first (untimed), then groups of modules to time one after another.
_TIME_IMPORTS = """
import json, sys, time
for name in json.loads(sys.argv[1]):
    try:
        __import__(name)
    except Exception:
        pass  # a module only its importer's context can load (e.g. __mp_main__)
times = []
for group in json.loads(sys.argv[2]):
    start = time.perf_counter()
    for name in group:
        __import__(name)
    times.append(time.perf_counter() - start)
print(json.dumps({"seconds": times, "modules": sorted(sys.modules)}))
"""


@dataclass(frozen=True)
class ImportTimes:
    """Median import times in milliseconds."""

    cold_setup_ms: float  # package and sensor platform, nothing imported before
    setup_ms: float  # the same with Home Assistant's modules already imported
    flow_ms: (
        float  # the config flow, with Home Assistant and the package already imported
    )
    own_modules: int
    runs: int


def _run(preload: list[str], pycache: str) -> dict[str, object]:
    groups = [list(SETUP_MODULES), list(FLOW_MODULES)]
    # Bytecode cached (in a folder of our own), as in a Home Assistant installation.
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONPYCACHEPREFIX": pycache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    output = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", _TIME_IMPORTS, json.dumps(preload), json.dumps(groups)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, object] = json.loads(output)
    return result


def _median_ms(runs: list[dict[str, object]], group: int) -> float:
    seconds = [run["seconds"] for run in runs]
    return (
        statistics.median(float(s[group]) for s in seconds if isinstance(s, list))
        * 1000
    )


def measure_import_times(runs: int = 5) -> ImportTimes:
    """Import the integration `runs` times cold and `runs` times after Home Assistant's modules."""
    with tempfile.TemporaryDirectory() as pycache:
        first = _run([], pycache)  # compiles and caches the bytecode: not counted
        cold = [_run([], pycache) for _ in range(runs)]
        loaded = first["modules"]
        if not isinstance(loaded, list):
            raise TypeError("unexpected output from the import timer")
        others = [name for name in loaded if not name.startswith(_OWN_PREFIX)]
        warm = [_run(others, pycache) for _ in range(runs)]
    return ImportTimes(
        cold_setup_ms=_median_ms(cold, 0),
        setup_ms=_median_ms(warm, 0),
        flow_ms=_median_ms(warm, 1),
        own_modules=sum(1 for name in loaded if name.startswith(_OWN_PREFIX)),
        runs=runs,
    )
