"""Text positions and text edits: the one place where (line, column) meets string offsets.

Lines break at `\\r\\n`, `\\r` and `\\n` only, as in Python's tokenizer and in LSP; columns count
code points, which is what Python string indexing counts.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

from ..findings import Edit, Fix, Span
from ..lines import LINE_BREAK, line_starts, split_lines

# Only a break that ends the text: a last line of spaces without one is the file's own tail.
FINAL_LINE_BREAK = re.compile(r"(?:\r\n|\r|\n)\Z")


def line_text(text: str, line: int) -> str:
    """Line `line` (0-based) without its line break; "" past the end."""
    starts = line_starts(text)
    if line >= len(starts):
        return ""
    return LINE_BREAK.sub("", text[starts[line] : starts[line + 1] if line + 1 < len(starts) else len(text)])


def to_offset(starts: Sequence[int], text_length: int, line: int, col: int) -> int:
    if line >= len(starts):
        return text_length
    return min(starts[line] + col, text_length)


def to_position(starts: Sequence[int], offset: int) -> tuple[int, int]:
    line = bisect_right(starts, offset) - 1
    return line, offset - starts[line]


def edits_between(old: str, new: str) -> tuple[Edit, ...]:
    """Minimal line-level edits turning `old` into `new`; a one-line change shrinks to the changed characters."""
    final_break = FINAL_LINE_BREAK.search(old, max(len(old) - 2, 0))
    if final_break and not new.endswith(("\n", "\r")):
        new += final_break.group()  # libcst drops a lone final "\r"; the file keeps its last line break
    old_lines, new_lines = split_lines(old), split_lines(new)
    starts = line_starts(old)
    # A fix touches a few lines: diff only the stretch between the common head and tail,
    # or SequenceMatcher's cost grows with the whole file (minutes on 50,000 lines).
    head, tail = _common_ends(old_lines, new_lines)
    matcher = SequenceMatcher(
        None, old_lines[head : len(old_lines) - tail], new_lines[head : len(new_lines) - tail], autojunk=False
    )
    edits = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        i1, i2, j1, j2 = i1 + head, i2 + head, j1 + head, j2 + head
        start, end = to_offset(starts, len(old), i1, 0), to_offset(starts, len(old), i2, 0)
        replacement = "".join(new_lines[j1:j2])
        if i2 - i1 == 1 and j2 - j1 == 1:
            start, end, replacement = _trim_common(old, start, end, replacement)
        edits.append(Edit(Span(*to_position(starts, start), *to_position(starts, end)), replacement))
    return tuple(edits)


def _trim_common(old: str, start: int, end: int, new: str) -> tuple[int, int, str]:
    prefix, suffix = _common_ends(old[start:end], new)
    return start + prefix, end - suffix, new[prefix : len(new) - suffix]


def _common_ends(a: Sequence[str], b: Sequence[str]) -> tuple[int, int]:
    """How many items `a` and `b` share at the start, and then at the end (never overlapping the start)."""
    shortest = min(len(a), len(b))
    head = 0
    while head < shortest and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < shortest - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return head, tail


def apply_fixes(source: str, fixes: Iterable[Fix]) -> str:
    """Apply every fix whose edits overlap or touch no edit taken before it, and whose isolation key no fix
    taken before it has; the others wait for the next round.

    An edit identical to one already taken (two fixes adding the same `import torch`) is shared.
    """
    _, taken = _take(source, fixes)
    for start, end, new_text in sorted(taken, reverse=True):
        source = source[:start] + new_text + source[end:]
    return source


def taken_fixes(source: str, fixes: Iterable[Fix]) -> list[Fix]:
    """The fixes `apply_fixes` applies, in order."""
    return _take(source, fixes)[0]


def _take(source: str, fixes: Iterable[Fix]) -> tuple[list[Fix], set[tuple[int, int, str]]]:
    starts = line_starts(source)
    chosen: list[Fix] = []
    taken: set[tuple[int, int, str]] = set()
    isolated: set[tuple[str, int]] = set()
    for fix in fixes:
        if fix.isolation in isolated:
            continue
        ranges = {
            (
                to_offset(starts, len(source), e.span.start_line, e.span.start_col),
                to_offset(starts, len(source), e.span.end_line, e.span.end_col),
                e.new_text,
            )
            for e in fix.edits
        }
        fresh = ranges - taken
        if not any(_overlap(a, b) for a in fresh for b in taken):
            taken |= fresh
            chosen.append(fix)
            if fix.isolation is not None:
                isolated.add(fix.isolation)
    return chosen, taken


def _overlap(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    """Touching counts: two edits that meet at one point (two insertions there, or a replacement ending where
    the other begins) are each right alone, but together their order is a guess and the text may not parse."""
    return a[0] <= b[1] and b[0] <= a[1]
