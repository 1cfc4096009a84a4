"""How the fuzz examples ended, per test: printed after the run to show how deep they got.

(Hypothesis's own `--hypothesis-show-statistics` events do not reach async tests.)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

_TALLY: defaultdict[str, Counter[str]] = defaultdict(Counter)


def count(test: str, outcome: str) -> None:
    """Count one example of `test` that ended in `outcome`."""
    _TALLY[test][outcome] += 1


def print_tally(terminalreporter: Any) -> None:
    """Print the outcomes of this run's fuzz examples, if any ran in this process."""
    if not _TALLY:
        return
    terminalreporter.section("fuzz outcomes (examples per outcome)")
    for test, outcomes in sorted(_TALLY.items()):
        total = sum(outcomes.values())
        terminalreporter.write_line(f"{test}: {total} examples")
        for outcome, number in outcomes.most_common():
            terminalreporter.write_line(f"  {number:5d}  {outcome}")
