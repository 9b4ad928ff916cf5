"""The three properties every program must satisfy, shared by the generated programs and the seeds.

(a) `analyze` raises nothing but `AnalysisError`; (b) each fix of each finding, applied alone,
leaves code that parses; (c) `fix_all`, safe and unsafe, leaves code that parses and every comment
of the source, and a second run changes nothing.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections import Counter

import gradguard
from gradguard.fixes import apply_fixes, fix_all, fixes_for
from hypothesis import settings

PATH = "f.py"


def fuzz_settings() -> settings:
    """The budget conftest.py registered (bounded, or GRADGUARD_FUZZ_EXAMPLES per property)."""
    return settings.get_profile("gradguard-fuzz-programs")


def analyze_or_none(source: str) -> list[gradguard.Finding] | None:
    """(a): the findings, or None when the core declares the source unanalysable (the one allowed
    exception). Any other exception propagates and fails the test."""
    try:
        findings = gradguard.analyze(source, PATH, gradguard.Config())
    except gradguard.AnalysisError:
        return None
    assert all(isinstance(finding, gradguard.Finding) for finding in findings), findings
    return findings


def check_each_fix_parses(source: str, findings: list[gradguard.Finding]) -> int:
    """(b); returns how many fixes were applied, so tests can report what they exercised."""
    applied = 0
    for finding in findings:
        for fix in fixes_for(source, finding, gradguard.Config()):
            fixed = apply_fixes(source, [fix])
            try:
                ast.parse(fixed)
            except SyntaxError as error:
                raise AssertionError(
                    f"fix {fix.title!r} of {finding.code} at line {finding.span.start_line + 1} "
                    f"leaves code that does not parse ({error.msg}, line {error.lineno}):\n{fixed}"
                ) from None
            applied += 1
    return applied


def check_fix_all_parses_and_is_idempotent(source: str) -> None:
    """(c)."""
    for unsafe in (False, True):
        kind = "unsafe" if unsafe else "safe"
        fixed = fix_all(source, PATH, gradguard.Config(), unsafe=unsafe)
        try:
            ast.parse(fixed)
        except SyntaxError as error:
            raise AssertionError(
                f"fix_all ({kind}) leaves code that does not parse ({error.msg}, line {error.lineno}):\n{fixed}"
            ) from None
        lost = comments(source) - comments(fixed)
        assert not lost, f"fix_all ({kind}) deleted the comments {sorted(lost)}:\n{fixed}"
        again = fix_all(fixed, PATH, gradguard.Config(), unsafe=unsafe)
        assert again == fixed, f"a second fix_all ({kind}) changed the code:\n--- first\n{fixed}\n--- second\n{again}"


def comments(source: str) -> Counter[str]:
    """Each comment's text, as often as it occurs (a fix may move a comment, or re-indent it, but never drop it)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return Counter(token.string for token in tokens if token.type == tokenize.COMMENT)
