"""Code actions from the fix engine: each finding's fixes as quick fixes, `source.fixAll.gradguard` (safe
fixes: what fix on save applies) and `source.fixAllUnsafe.gradguard` (unsafe fixes too: a kind outside
`source.fixAll`, so that `"source.fixAll": "explicit"` on save never applies them).

Runs in the fix worker process (fixes parse with libcst); takes plain snapshots, returns edits per
document URI in code points. The server converts them to the client's encoding.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..config import Config
from ..findings import Edit, Finding, Fix, Span
from ..rules import find_rule
from .documents import Layout

FIX_ALL_KIND = "source.fixAll.gradguard"
FIX_ALL_UNSAFE_KIND = "source.fixAllUnsafe.gradguard"
# `notebook.codeActionsOnSave`: asked once per notebook; the edit covers every cell
NOTEBOOK_FIX_ALL_KIND = "notebook.source.fixAll.gradguard"


@dataclass(frozen=True)
class PlannedAction:
    title: str
    kind: str  # "quickfix", FIX_ALL_KIND or FIX_ALL_UNSAFE_KIND
    preferred: bool
    edits: dict  # uri -> list[Edit] in that document's code points
    finding: Finding | None = None


def prepare_fixes(source: str, codes: list[str]) -> str:
    """Parse `source` ahead of code-action requests when any of the findings' `codes` has a code fix: the fix
    engine keeps the parse of its last few texts, and the parse costs ten times the transform of one fix.
    Says how it went, for the server's trace."""
    from ..fixes.tree import source_tree

    if not any(rule.fixes for code in codes if (rule := find_rule(code)) is not None):
        return "no code fix"
    tree = source_tree(source)
    if tree is None:
        return "does not parse"
    return "whole" if tree.parsed_whole else "edits re-parsed"


def quick_fixes(source: str, finding: Finding, config: Config, layout: Layout) -> list[PlannedAction]:
    from ..fixes import fixes_for

    return [
        PlannedAction(f"GradGuard: {fix.title}", "quickfix", fix.preferred, _per_document(fix.edits, layout), finding)
        for fix in fixes_for(source, finding, config, _cell_starts(layout))
        if _keeps_magics(fix, layout)
    ]


def fix_all(
    source: str, path: str, config: Config, layout: Layout, findings: list[Finding], unsafe: bool = False
) -> PlannedAction | None:
    """Safe fixes, or unsafe ones too. A file gets the fix engine's whole-file result as minimal line edits;
    notebook cells get each finding's preferred fix (non-overlapping), since the joined program blanks magics.
    The title says which fixes it applies, so a deletion is never silent."""
    from ..fixes import fix_rounds, fixes_for

    if layout.joined is None:
        fixed = fix_rounds(source, path, config, unsafe)
        edits, applied = line_edits(source, fixed.text), list(fixed.applied)
    else:
        edits, applied = [], []
        for finding in findings:
            fix = _preferred_allowed(fixes_for(source, finding, config, _cell_starts(layout)), unsafe)
            if (
                fix
                and _keeps_magics(fix, layout)
                and not any(_overlaps(new.span, old.span) for new in fix.edits for old in edits)
            ):
                edits.extend(fix.edits)
                applied.append(fix.title)
    if not edits:
        return None
    return PlannedAction(
        fix_all_title(applied, unsafe),
        FIX_ALL_UNSAFE_KIND if unsafe else FIX_ALL_KIND,
        False,
        _per_document(edits, layout),
    )


FIX_ALL_TITLES_SHOWN = 3  # a menu line, not a report: the rest is counted


def fix_all_title(applied: list[str], unsafe: bool) -> str:
    """ "GradGuard: apply 3 safe fixes: Remove `torch.no_grad()` (it has no effect) ×2; Call it: ..."."""
    counts = {title: applied.count(title) for title in applied}  # first-applied order
    shown = [
        f"{title} ×{count}" if count > 1 else title for title, count in list(counts.items())[:FIX_ALL_TITLES_SHOWN]
    ]
    if len(counts) > FIX_ALL_TITLES_SHOWN:
        shown.append(f"and {len(counts) - FIX_ALL_TITLES_SHOWN} more")
    fixes = "fix" if len(applied) == 1 else "fixes"
    which = f"{len(applied)} {fixes}, including unsafe ones" if unsafe else f"{len(applied)} safe {fixes}"
    return f"GradGuard: apply {which}: " + "; ".join(shown)


def line_edits(before: str, after: str) -> list[Edit]:
    """The smallest whole-line replacements turning `before` into `after`."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    edits = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            edits.append(Edit(Span(i1, 0, i2, 0), "".join(new[j1:j2])))
    return edits


def _cell_starts(layout: Layout) -> tuple[int, ...]:
    return layout.joined.starts if layout.joined is not None else ()


def _keeps_magics(fix: Fix, layout: Layout) -> bool:
    """In a notebook, an edit over a magic's `pass` would replace the magic in its cell."""
    return layout.joined is None or not layout.joined.edits_magic(edit.span for edit in fix.edits)


def _preferred_allowed(fixes: tuple[Fix, ...], unsafe: bool) -> Fix | None:
    return next((fix for fix in fixes if fix.preferred and (unsafe or fix.applicability == "safe")), None)


def _overlaps(a: Span, b: Span) -> bool:
    return (a.start_line, a.start_col) < (b.end_line, b.end_col) and (b.start_line, b.start_col) < (
        a.end_line,
        a.end_col,
    )


def _per_document(edits: tuple[Edit, ...] | list[Edit], layout: Layout) -> dict:
    by_uri: dict[str, list[Edit]] = {}
    for edit in edits:
        uri, span = layout.place(edit.span)
        by_uri.setdefault(uri, []).append(Edit(span, edit.new_text))
    return by_uri
