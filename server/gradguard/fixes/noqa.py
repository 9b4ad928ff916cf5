""" "Ignore GGnnn on this line": the `noqa` edit for one finding (`noqa.py` has the grammar; `--add-noqa`
applies the same edit for all of a line's findings)."""

from __future__ import annotations

from ..findings import Finding, Fix
from ..noqa import noqa_edit
from .text import line_text


def ignore_fix(source: str, finding: Finding) -> Fix | None:
    edit = noqa_edit(line_text(source, finding.span.start_line), [finding])
    return None if edit is None else Fix(f"Ignore {finding.code} on this line", "safe", (edit,), preferred=False)
