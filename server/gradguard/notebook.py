"""Notebooks are analysed as one program: their code cells joined in order.

The joined source keeps each cell's lines intact, so a position maps back to a cell by
line offset alone. An IPython magic or shell escape at the start of a logical line becomes
`pass` at its indentation (its backslash-continued lines become empty), so a block whose body
is only magics stays a block, the joined program parses and positions stay put. Inside brackets
or after a line continuation `%` and `!` are Python (`x = (a\n    != b)`), and are kept.

Jupyter compiles each cell on its own: a cell that does not parse fails alone and the others
run. `JoinedCells.without` blanks such cells, so the others are still analysed as one program.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .findings import Span
from .lines import LINE_BREAK

# `%time f()`, `!pip install x`, `?torch.no_grad`; and assigned, `files = !ls`, `t = %timeit -o f()`.
MAGIC = re.compile(r"^[ \t]*([\w.\[\], \t]+=[ \t]*)?[%!?]")
TRIPLE_QUOTES = ('"""', "'''")


@dataclass(frozen=True)
class JoinedCells:
    source: str
    starts: tuple[int, ...]  # 0-based line of the joined source where each cell begins
    magic_lines: frozenset[int] = frozenset()  # joined lines that stand for a magic or shell escape

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

    def cell_lines(self, cell: int) -> range:
        """The joined lines of one cell."""
        end = self.starts[cell + 1] if cell + 1 < len(self.starts) else self.source.count("\n")
        return range(self.starts[cell], end)

    def cell_source(self, cell: int) -> str:
        """One cell as the joined program has it (magics as `pass`)."""
        lines = self.source.split("\n")
        return "".join(lines[line] + "\n" for line in self.cell_lines(cell))

    def without(self, cells: Iterable[int]) -> JoinedCells:
        """The program with these cells left out: their lines are blank, every position stays put."""
        lines = self.source.split("\n")
        blanked = {line for cell in cells for line in self.cell_lines(cell)}
        source = "\n".join("" if number in blanked else line for number, line in enumerate(lines))
        return JoinedCells(source, self.starts, self.magic_lines - blanked)

    def edits_magic(self, spans: Iterable[Span]) -> bool:
        """Whether edits of these spans touch a line that stands for a magic: in the cell they would
        overwrite the magic with its `pass`."""
        for span in spans:
            last = span.end_line - 1 if span.end_col == 0 and span.end_line > span.start_line else span.end_line
            if any(span.start_line <= line <= last for line in self.magic_lines):
                return True
        return False


def join_cells(cells: list[str]) -> JoinedCells:
    parts: list[str] = []
    starts: list[int] = []
    magic_lines: set[int] = set()
    for text in cells:
        lines = _lines(text)
        starts.append(len(parts))
        python_lines = [""] * len(lines) if lines[0].lstrip().startswith("%%") else _as_python(lines)  # a cell magic
        for line, python in zip(lines, python_lines):  # makes the whole cell non-Python
            if python != line:
                magic_lines.add(len(parts))
            parts.append(python)
    return JoinedCells("\n".join(parts) + "\n", tuple(starts), frozenset(magic_lines))


def cells_after_fixes(joined: JoinedCells, sources: Sequence[str], fixed: str) -> list[str] | None:
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
        replaced = cell_lines[cell][first : first + i2 - i1]
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


def _as_python(lines: list[str]) -> list[str]:
    """A cell's lines with each magic (a logical line starting with `%`, `!` or `?`, or assigning one) and
    each help request (a one-line logical line ending with `?`: `torch.no_grad?`) as `pass` at its indentation,
    and the lines a magic continues with a trailing backslash as empty lines."""
    result = []
    depth, quote, continued, in_magic = 0, None, False, False
    for line in lines:
        starts_logical_line = depth == 0 and quote is None and not continued
        placeholder = line[: len(line) - len(line.lstrip(" \t"))] + "pass"
        if in_magic:
            result.append("")
            in_magic = line.endswith("\\")
        elif starts_logical_line and MAGIC.match(line):
            result.append(placeholder)
            in_magic = line.endswith("\\")
        else:
            depth, quote, continued, code_end = _scan(line, depth, quote)
            one_line = starts_logical_line and depth == 0 and quote is None and not continued
            result.append(placeholder if one_line and line[:code_end].rstrip().endswith("?") else line)
    return result


def _scan(line: str, depth: int, quote: str | None) -> tuple[int, str | None, bool, int]:
    """(bracket depth, open string's quote, backslash continuation, where a comment starts) after `line`, given
    them before it. Enough of Python's tokenizer to tell where logical lines start; a cell that does not parse
    may mislead it."""
    i = 0
    while i < len(line):
        char = line[i]
        if quote is not None:
            if char == "\\":
                i += 2  # an escaped character, or (at the end) the line break: the string goes on
                continue
            if line.startswith(quote, i):
                i, quote = i + len(quote), None
                continue
        elif char == "#":
            return depth, None, False, i
        elif char in "\"'":
            quote = line[i : i + 3] if line[i : i + 3] in TRIPLE_QUOTES else char
            i += len(quote)
            continue
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif char == "\\" and i == len(line) - 1:
            return depth, None, True, len(line)
        i += 1
    if quote is not None and quote not in TRIPLE_QUOTES and i == len(line):
        quote = None  # a one-line string left open without a backslash: a syntax error, not a string going on
    return depth, quote, False, len(line)
