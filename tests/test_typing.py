"""The types are written for mypy (`.ci/run` runs `mypy server/gradguard`): what mypy cannot ask itself."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import gradguard
from gradguard.rules import RULES

PACKAGE = Path(gradguard.__file__).parent
# `# type: ignore[code]` followed by `# why`, on the same line
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)$")


def test_every_rule_check_is_typed() -> None:
    untyped = [
        rule.code
        for rule in RULES
        if any(p.annotation is inspect.Parameter.empty for p in inspect.signature(rule.check).parameters.values())
        or inspect.signature(rule.check).return_annotation is inspect.Signature.empty
    ]
    assert untyped == []


def test_every_type_ignore_names_its_codes_and_says_why() -> None:
    unexplained = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found = IGNORE.search(line)
            if found and not (found["codes"] and found["rest"].strip().startswith("#") and found["rest"].strip("# ")):
                unexplained.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert unexplained == []
