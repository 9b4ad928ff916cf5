"""Hypothesis profiles for the fuzzing tests.

`gradguard-fuzz` is bounded so this folder runs in about two minutes on two cores; set
`GRADGUARD_FUZZ_EXAMPLES=N` for a longer run (N examples per property). Runs are reproducible
(derandomized, no example database) and have no per-example deadline.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

DEFAULT_EXAMPLES = 200

_requested = os.environ.get("GRADGUARD_FUZZ_EXAMPLES", "").strip()
FUZZ_EXAMPLES = int(_requested) if _requested else DEFAULT_EXAMPLES

settings.register_profile(
    "gradguard-fuzz",
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
