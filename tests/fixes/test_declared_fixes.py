"""Each rule declares its fixes (`Rule.fixes`, as Ruff's `FixAvailability` and Fixit's rule classes): the fix
engine builds what the rule names, and the rule page's "No automatic fix" follows from declaring none."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gradguard.analysis import analyze
from gradguard.config import Config
from gradguard.fixes import builders, code_fixes
from gradguard.rules import RULES
from gradguard.rules.base import EXPECT_MARK


def test_every_declared_fix_is_a_builder_of_the_fix_engine():
    for rule in RULES:
        found = builders(rule.code)
        assert len(found) == len(rule.fixes) and all(callable(build) for build in found), rule.code
        assert [f"{build.__module__.removeprefix('gradguard.fixes.')}.{build.__name__}" for build in found] == list(
            rule.fixes
        )


def test_the_page_says_no_automatic_fix_exactly_when_the_rule_declares_none():
    for rule in RULES:
        fix_safety = rule.explanation().split("## Fix safety\n\n", 1)[1].split("\n\n## ", 1)[0]
        assert fix_safety.startswith("No automatic fix") == (not rule.fixes), rule.code
        assert "No automatic fix" not in rule.fix_safety, rule.code  # said once, by the page, from `fixes`
    assert {rule.code for rule in RULES if not rule.fixes} == {"GG104", "GG106", "GG107", "GG108", "GG109", "GG204"}


def test_declaring_fixes_does_not_import_the_fix_engine():
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, gradguard.rules, gradguard.analysis; "
            "print(sorted(m for m in sys.modules if m.startswith(('libcst', 'gradguard.fixes'))))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert loaded.strip() == "[]"


SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


def test_a_rule_declared_always_fixed_gets_that_fix_for_every_finding():
    """`Rule.always_fixed` lets the text output mark a finding fixable without computing the fix: it must hold
    for every finding of the rule in its firing examples and in the shared example files."""
    always = {rule.code: rule.always_fixed for rule in RULES if rule.always_fixed is not None}
    assert set(always) == {"GG101", "GG103", "GG110"}
    sources = [example for rule in RULES if rule.code in always for example in rule.fires]
    sources += [
        path.read_text() for folder in ("examples", "examples-intent") for path in (SHARED / folder).glob("*.py")
    ]
    checked = 0
    for source in sources:
        for finding in analyze(source):
            if finding.code in always:
                fixes = code_fixes(source, finding, Config())
                assert fixes and fixes[0].applicability == always[finding.code], (finding, source)
                checked += 1
    assert checked >= sum(example.count(EXPECT_MARK) for rule in RULES if rule.code in always for example in rule.fires)
