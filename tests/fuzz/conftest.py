"""Hypothesis profiles for the hostile-input (fuzz) tests.

Two profiles per suite, picked once per run by the environment:

* fast (default, part of ``make test``): few examples, ``derandomize=True`` so
  every run draws the same examples and a green suite stays green;
* long (``INSPECTOR_STRESS=1``, what ``make stress`` sets): many random
  examples, with the example database on, so a failure found once is
  replayed first next time.

``INSPECTOR_FUZZ_EXAMPLES=N`` sets the examples per test of either profile,
for a run between the two (e.g. a few thousand before a release).

The profiles are only *registered* here, under fixed names, and the fuzz
modules apply them with ``@settings(settings.get_profile(...))``.  Loading a
profile globally would change the settings of every other Hypothesis test in
the session as well.  Pytest imports this file before the modules beside it,
so the names exist when those modules are decorated.
"""

from __future__ import annotations

import os
from typing import Final

from hypothesis import HealthCheck, settings

#: Whether the long (stress) profiles are in force.
STRESS: Final = os.environ.get("INSPECTOR_STRESS", "") == "1"

#: Profile names the fuzz modules look up.
PAYLOAD_PROFILE: Final = "inspector-fuzz-payloads"
API_PROFILE: Final = "inspector-fuzz-api"
ARCHIVE_PROFILE: Final = "inspector-fuzz-archives"

# Generation can be slow for the 61,200-crystal ECAL layout and the checks
# are expensive by design (tracemalloc, whole WSGI requests): these health
# checks would only report that, not a problem in the code under test.
_SLOW_OK: Final = [HealthCheck.too_slow, HealthCheck.data_too_large]

# Built on Hypothesis's own defaults rather than on whatever profile happens
# to be loaded when this file is imported.  The time limits are our own (see
# test_fuzz_payloads.py): ``deadline`` would also count data generation and
# flake on a busy machine.
_BASE: Final = settings.get_profile("default")
_FAST: Final = settings(
    _BASE,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_OK,
)
_LONG: Final = settings(
    _BASE,
    derandomize=False,
    deadline=None,
    print_blob=True,
    suppress_health_check=[*_SLOW_OK, HealthCheck.filter_too_much],
)


def _examples(fast: int, long: int) -> int:
    """Examples per test: the profile's, or ``INSPECTOR_FUZZ_EXAMPLES`` for a run in between."""
    override = os.environ.get("INSPECTOR_FUZZ_EXAMPLES", "")
    return int(override) if override else long if STRESS else fast


settings.register_profile(
    PAYLOAD_PROFILE, settings(_LONG if STRESS else _FAST, max_examples=_examples(80, 100_000))
)
settings.register_profile(
    API_PROFILE, settings(_LONG if STRESS else _FAST, max_examples=_examples(20, 500))
)
settings.register_profile(
    ARCHIVE_PROFILE, settings(_LONG if STRESS else _FAST, max_examples=_examples(30, 20_000))
)
