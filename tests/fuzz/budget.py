"""How hard the fuzz tests try: a few hundred examples in scripts/test, more on request.

`TESLA_TOKEN_FUZZ_SCALE=10 scripts/test tests/fuzz` runs ten times as many examples. Examples are
random on every run (no example database is written into the repository); a failure prints the
`@reproduce_failure` blob that replays it.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SCALE = max(1, int(os.environ.get("TESLA_TOKEN_FUZZ_SCALE", "1")))


def fuzz(examples: int) -> settings:
    """Settings for one fuzz test: `examples` examples (times the scale), no deadline.

    Tests reuse function-scoped fixtures (Home Assistant, the emulator) across examples on
    purpose: each example cleans up after itself.
    """
    return settings(
        max_examples=examples * _SCALE,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )
