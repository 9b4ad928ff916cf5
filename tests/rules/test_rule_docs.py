"""docs/rules/ is generated from the rule registry; this fails when a page is stale or missing."""

from pathlib import Path

from gradguard.ruledocs import rule_pages

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
