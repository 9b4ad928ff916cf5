"""Each rule declares its fixes (`Rule.fixes`, as Ruff's `FixAvailability` and Fixit's rule classes): the fix
engine builds what the rule names, and the rule page's "No automatic fix" follows from declaring none."""

from __future__ import annotations

import subprocess
import sys

from gradguard.fixes import builders
from gradguard.rules import RULES


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
