"""Building findings by hand, as the rules will report them, and applying one fix."""

from __future__ import annotations

import ast
from typing import Any

from gradguard import Config, Finding, Span
from gradguard.fixes import apply_fixes, fixes_for
from gradguard.fixes.text import to_position
from gradguard.lines import line_starts

SLUGS = {
    "GG101": "no-grad-not-called",
    "GG102": "grad-mode-call-discarded",
    "GG103": "mode-switch-not-called",
    "GG104": "backward-under-no-grad",
    "GG105": "global-grad-disabled",
    "GG110": "volatile-has-no-effect",
    "GG201": "forward-without-no-grad",
    "GG202": "missing-eval",
    "GG203": "train-mode-not-restored",
    "GG205": "mode-unset-after-load",
    "GG206": "functional-dropout-ignores-eval",
}


def span_of(source: str, needle: str, occurrence: int = 0) -> Span:
    """The span of `needle` without its leading whitespace (which may be given to pick the right one)."""
    start = -1
    for _ in range(occurrence + 1):
        start = source.index(needle, start + 1)
    stripped = needle.lstrip()
    start += len(needle) - len(stripped)
    starts = line_starts(source)
    return Span(*to_position(starts, start), *to_position(starts, start + len(stripped)))


def line_of(source: str, needle: str) -> int:
    return span_of(source, needle).start_line


def finding(code: str, source: str, needle: str, occurrence: int = 0, **data: Any) -> Finding:
    return Finding(code, SLUGS[code], "warning", "message", span_of(source, needle, occurrence), (), data)


def titles(source: str, found: Finding, config: Config = Config()) -> list[str]:
    return [fix.title for fix in fixes_for(source, found, config)]


def apply(source: str, found: Finding, title_start: str = "", config: Config = Config()) -> str:
    """Apply the first fix whose title starts with `title_start`; the result must parse."""
    fix = next(f for f in fixes_for(source, found, config) if f.title.startswith(title_start))
    fixed = apply_fixes(source, [fix])
    ast.parse(fixed)
    return fixed
