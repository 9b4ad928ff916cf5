"""Notebooks are analysed as one program: their code cells joined in order.

The joined source keeps each cell's lines intact, so a position maps back to a cell by
line offset alone. IPython magics and shell escapes are blanked out (kept as empty lines)
so the joined program parses and positions stay put.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

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
        lines = LINE_BREAK.split(text[:-1] if text.endswith("\n") else text)
        if lines[0].lstrip().startswith("%%"):  # a cell magic makes the whole cell non-Python
            lines = [""] * len(lines)
        lines = ["" if MAGIC.match(item) else item for item in lines]
        starts.append(line)
        parts.extend(lines)
        line += len(lines)
    return JoinedCells("\n".join(parts) + "\n", tuple(starts))
