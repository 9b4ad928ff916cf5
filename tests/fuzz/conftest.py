"""The hypothesis budget for the fuzz tests, as the profile `gradguard-fuzz-programs`.

By default it is bounded (BOUNDED_EXAMPLES per property, so the default test run stays quick);
`GRADGUARD_FUZZ_EXAMPLES=N` asks for N examples per property: `.ci/run` asks for 1,000 for the
generated programs (issue 19), and a longer hunt may ask for more. Runs are derandomized (the seed
comes from each test function's source: editing a test draws other programs) and keep no example
database. The same command draws the same programs, though not to the last: two runs of 6de49de at
1,000 drew the same 1,804 programs, then parted inside hypothesis's target climb. A failure prints
its program (the test's `note`), which reproduces it.

What 1,000 costs (6de49de): hypothesmith's two properties take 280 to 400 CPU-seconds and 1 GB, and
over 90 % of it is hypothesmith drawing programs (syntax trees: 309 s of 329 s; GradGuard's checks
20 s, none over 4 s). Hypothesis spends part of the budget (at 1,000: from the 200th program, up
to half) climbing hypothesmith's targets, more AST nodes and bytecode, so programs grow (11
characters on average in the first 200, 650 or 2,300 in the last 200, up to 2.7 kB), and it keeps a
record of every program drawn (the memory). On a machine shared with other work that is slow, not
stuck: a CI run sat there 24 minutes, and a run at load 12 to 20 took 20 minutes.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

BOUNDED_EXAMPLES = 100

settings.register_profile(
    "gradguard-fuzz-programs",
    max_examples=int(os.environ.get("GRADGUARD_FUZZ_EXAMPLES", "").strip() or BOUNDED_EXAMPLES),
    derandomize=True,
    database=None,
    # Programs differ widely in size; a slow one is not a failure.
    deadline=None,
    # hypothesmith's grammar strategy draws large, heavily filtered inputs by design.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
