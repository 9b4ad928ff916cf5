"""Notebooks are analysed as one program: their code cells joined in order.

The joined source keeps each cell's lines intact, so a position maps back to a cell by
line offset alone. IPython magics and shell escapes are blanked out (kept as empty lines)
so the joined program parses and positions stay put.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Optional, Sequence

from .findings import Span
from .lines import LINE_BREAK

MAGIC = re.compile(r"^[ \t]*[%!?]")


@dataclass(frozen=True)
class JoinedCells:
    source: str
    starts: tuple[int, ...]  # 0-based line of the joined source where each cell begins

    def locate(self, line: int) -> tuple[int, int]:
        """Joined-source line -> (index into the cells given to `join_cells`, line within that cell)."""
        cell = max(i for i, start in enumerate(self.starts) if start <= line)
        return cell, line - self.starts[cell]

    def span_in_cell(self, span: Span) -> tuple[int, Span]:
        cell, start = self.locate(span.start_line)
        offset = self.starts[cell]
        return cell, Span(start, span.start_col, span.end_line - offset, span.end_col)

    def to_joined(self, cell: int, span: Span) -> Span:
        offset = self.starts[cell]
        return Span(span.start_line + offset, span.start_col, span.end_line + offset, span.end_col)


def join_cells(cells: list[str]) -> JoinedCells:
    parts: list[str] = []
    starts: list[int] = []
    line = 0
    for text in cells:
        lines = _lines(text)
        if lines[0].lstrip().startswith("%%"):  # a cell magic makes the whole cell non-Python
            lines = [""] * len(lines)
        lines = ["" if MAGIC.match(item) else item for item in lines]
        starts.append(line)
        parts.extend(lines)
        line += len(lines)
    return JoinedCells("\n".join(parts) + "\n", tuple(starts))


def cells_after_fixes(joined: JoinedCells, sources: Sequence[str], fixed: str) -> Optional[list[str]]:
    """Each code cell's source once `fixed` (the joined program after fixes) replaces `joined.source`;
    None when a change spans two cells or touches a line blanked for a magic, which cannot be put back.
    Unchanged lines are taken from the cells themselves, so magics and shell escapes stay."""
    old_lines = joined.source.split("\n")[:-1]
    new_lines = fixed.split("\n")[:-1] if fixed.endswith("\n") else fixed.split("\n")
    cell_lines = [_lines(source) for source in sources]
    changes: list[list[tuple[int, int, list[str]]]] = [[] for _ in sources]
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        cell, first = joined.locate(min(i1, len(old_lines) - 1)) if old_lines else (0, 0)
        if i1 == len(old_lines) and old_lines:
            first += 1  # appended after the last line
        if i2 > i1 and joined.locate(i2 - 1)[0] != cell:
            return None
        replaced = cell_lines[cell][first:first + i2 - i1]
        if replaced != old_lines[i1:i2]:
            return None  # a blanked magic line is among them
        changes[cell].append((first, first + i2 - i1, new_lines[j1:j2]))
    result = []
    for source, lines, cell_changes in zip(sources, cell_lines, changes):
        if not cell_changes:
            result.append(source)
            continue
        for start, end, replacement in reversed(cell_changes):
            lines[start:end] = replacement
        result.append("\n".join(lines) + ("\n" if source.endswith("\n") else ""))
    return result


def _lines(source: str) -> list[str]:
    return LINE_BREAK.split(source[:-1] if source.endswith("\n") else source)
