"""The machine a benchmark ran on: CPU model, cores, Python, Home Assistant, date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
import os
from pathlib import Path
import platform

from homeassistant import const as ha_const


@dataclass(frozen=True)
class Machine:
    """What the figures depend on."""

    cpu: str
    cores: int
    python: str
    home_assistant: str
    system: str
    date: str


def cpu_model() -> str:
    """The CPU model from /proc/cpuinfo (Linux), else what the platform module says."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                return value.strip()
    return platform.processor() or platform.machine() or "unknown"


def this_machine() -> Machine:
    """Describe the machine running this process."""
    cores = os.process_cpu_count() or os.cpu_count() or 1
    return Machine(
        cpu=cpu_model(),
        cores=cores,
        python=platform.python_version(),
        home_assistant=ha_const.__version__,
        system=f"{platform.system()} {platform.release()} ({platform.machine()})",
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
