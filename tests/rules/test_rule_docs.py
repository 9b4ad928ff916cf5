"""docs/rules/ is generated from the rule registry; this fails when a page is stale or missing."""

import difflib
from pathlib import Path

import pytest
from gradguard.ruledocs import rule_pages
from gradguard.rules import RULES
from gradguard.rules.base import EXPECT_MARK

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"


def test_rule_pages_are_current():
    pages = rule_pages()
    stale = [
        name
        for name, text in pages.items()
        if not (DOCS / name).is_file() or (DOCS / name).read_text(encoding="utf-8") != text
    ]
    extra = sorted(p.name for p in DOCS.glob("*.md") if p.name not in pages)
    assert not stale and not extra, (
        f"stale: {stale}, unexpected: {extra}; run `python -m gradguard.ruledocs docs/rules`"
    )


SAME_CODE_RATIO = 0.6  # of the lines (indentation aside) of the Example kept in "Use instead"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_use_instead_is_the_example_corrected(rule):
    """The rule page's "Use instead" is its "Example" with the fix applied, not another program (issue 15)."""
    example = [line.partition(EXPECT_MARK)[0].strip() for line in rule.fires[0].splitlines()]
    use_instead = [line.strip() for line in rule.silent[0].splitlines()]
    assert difflib.SequenceMatcher(a=example, b=use_instead).ratio() >= SAME_CODE_RATIO
