"""Every rule's own examples are its test spec: `fires` report exactly the marked lines, `silent` nothing."""

import pytest
from gradguard import analyze
from gradguard.config import Config
from gradguard.rules import RULES
from gradguard.rules.base import expected_lines

FIRING = [
    pytest.param(rule, source, id=f"{rule.code}-fires-{i}") for rule in RULES for i, source in enumerate(rule.fires)
]
SILENT = [
    pytest.param(rule, source, id=f"{rule.code}-silent-{i}") for rule in RULES for i, source in enumerate(rule.silent)
]


def lines_reported(rule, source):
    return sorted(f.span.start_line for f in analyze(source, "example.py", Config(select=(rule.code,))))


@pytest.mark.parametrize(("rule", "source"), FIRING)
def test_fires_on_marked_lines(rule, source):
    assert expected_lines(source), "a firing example must mark at least one line"
    assert lines_reported(rule, source) == expected_lines(source)


@pytest.mark.parametrize(("rule", "source"), SILENT)
def test_silent(rule, source):
    assert lines_reported(rule, source) == []


def test_codes_and_slugs_are_unique():
    assert len({r.code for r in RULES}) == len({r.slug for r in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_enough_examples(rule):
    minimum = 10 if rule.code.startswith("GG2") and rule.code != "GG204" else 6
    assert len(rule.fires) >= minimum and len(rule.silent) >= minimum


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_explanation_has_the_fixed_headings(rule):
    text = rule.explanation()
    for heading in (
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## Fix safety",
        "## References",
    ):
        assert heading in text
    assert "# expect" not in text
