"""docs/rules/ is generated from the rule registry; this fails when a page is stale or missing."""

import difflib
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

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


def test_rule_links_open_the_shipped_page():
    """Diagnostics, hovers and the JSON output link each rule's page as installed with the package: the
    project declares no web address to link instead."""
    pages = rule_pages()
    for rule in RULES:
        assert rule.url.startswith("file:///"), rule.url
        page = Path(url2pathname(urlparse(rule.url).path))
        assert page.read_text(encoding="utf-8") == pages[page.name]


SAME_CODE_RATIO = 0.6  # of the lines (indentation aside) of the Example kept in "Use instead"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_use_instead_is_the_example_corrected(rule):
    """The rule page's "Use instead" is its "Example" with the fix applied, not another program (issue 15)."""
    example = [line.partition(EXPECT_MARK)[0].strip() for line in rule.fires[0].splitlines()]
    use_instead = [line.strip() for line in rule.silent[0].splitlines()]
    assert difflib.SequenceMatcher(a=example, b=use_instead).ratio() >= SAME_CODE_RATIO
