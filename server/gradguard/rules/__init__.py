"""The rule registry: every rule, in code order. A new rule is one module here plus one line below."""
from __future__ import annotations

from .base import Rule

RULES: tuple[Rule, ...] = ()
BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
BY_SLUG: dict[str, Rule] = {rule.slug: rule for rule in RULES}


def find_rule(code_or_slug: str) -> Rule | None:
    return BY_CODE.get(code_or_slug.upper()) or BY_SLUG.get(code_or_slug)
