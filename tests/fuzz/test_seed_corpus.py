"""Properties (a)-(c) of properties.py on seeds/: short, hand-written programs with the constructs
generators rarely reach (match, walrus, except*, nonlocal, backslash continuations, non-ASCII
names before findings, stacked decorators, async comprehensions, one-line suites, form feeds), and
programs the fuzzers once broke fix-all with. Each seed also runs with CRLF
line endings, since fixes are text edits computed from line and column positions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from properties import analyze_or_none, check_each_fix_parses, check_fix_all_parses_and_is_idempotent

SEEDS = sorted((Path(__file__).parent / "seeds").glob("*.py"))
LINE_ENDINGS = {"lf": "\n", "crlf": "\r\n"}


@pytest.mark.parametrize("line_ending", LINE_ENDINGS.values(), ids=LINE_ENDINGS.keys())
@pytest.mark.parametrize("seed", SEEDS, ids=[seed.stem for seed in SEEDS])
def test_seed_analyzes_and_fixes_cleanly(seed: Path, line_ending: str) -> None:
    source = seed.read_text(encoding="utf-8").replace("\n", line_ending)
    findings = analyze_or_none(source)
    assert findings is not None, "AnalysisError on a seed that parses"
    check_each_fix_parses(source, findings)
    check_fix_all_parses_and_is_idempotent(source)
