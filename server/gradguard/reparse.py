"""Parsing a new version of a text by re-parsing only the top-level statements an edit touched.

An editor sends one keystroke at a time; a 20,000-line file takes `ast.parse` 150 ms. A top-level
statement that begins a line at column 0 starts the tokenizer afresh (no open bracket, string or
indent), so the lines between two such starts parse the same alone as inside the file. The changed
lines are widened to those starts and parsed alone; the statements before them are kept, and those
after them are kept with their line numbers moved by the lines the edit added or removed. When the
changed lines do not parse alone (an edit opened a string that closes further down, say), the
whole text is parsed as usual, so the result is always what `ast.parse` gives for the whole text.
When the changed lines lie inside one class's body (a model's methods, a trainer's), the same is
done one level down: the touched body statements are parsed as the body of a stand-in class.
"""

from __future__ import annotations

import ast
import bisect
import copy
from typing import Callable

from .dataflow.traverse import descendants
from .lines import split_lines


class Reparser:
    """Parses successive versions of one document."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.statements: list[ast.stmt] = []
        self.starts: list[int] = []  # 0-based line where each chunk of statements begins (the first is 0)
        self.chunks: list[list[ast.stmt]] = []  # the top-level statements that begin in each chunk

    def parse(self, source: str, parse_whole: Callable[[str], ast.Module]) -> ast.Module:
        """`parse_whole` parses the whole text, and reports errors, as usual."""
        lines = split_lines(source)
        reused = self._reparse(lines) if self.chunks else None
        tree = reused if reused is not None else parse_whole(source)
        self._remember(lines, tree.body)
        return tree

    def _reparse(self, lines: list[str]) -> ast.Module | None:
        old = self.lines
        same_head = _common_head(old, lines)
        if same_head == len(old) == len(lines):
            return ast.Module(body=list(self.statements), type_ignores=[])
        same_tail = _common_head(old[::-1], lines[::-1], limit=min(len(old), len(lines)) - same_head)
        changed = (same_head, len(old) - same_tail)  # the changed lines, before the edit
        first, after = _touched(self.starts, changed)
        start = self.starts[first]
        end = self.starts[after] if after < len(self.starts) else len(old)
        moved = len(lines) - len(old)
        touched = [statement for chunk in self.chunks[first:after] for statement in chunk]
        inner = (
            _reparse_class(touched[0], lines, changed, end, moved)
            if len(touched) == 1 and isinstance(touched[0], ast.ClassDef)
            else None
        )
        if inner is not None:
            middle: list[ast.stmt] = [inner]
        else:  # the line breaks before the lines cost the parser next to nothing, and put them at their lines
            parsed = _parsed("\n" * start + "".join(lines[start : end + moved]))
            if parsed is None:
                return None
            middle = parsed.body
        return ast.Module(body=_spliced(self.chunks, first, after, middle, moved), type_ignores=[])

    def _remember(self, lines: list[str], statements: list[ast.stmt]) -> None:
        self.lines, self.statements = lines, statements
        self.starts, self.chunks = _chunked(statements, 0, [0], [[]])


def _chunked(
    statements: list[ast.stmt], column: int, starts: list[int], chunks: list[list[ast.stmt]]
) -> tuple[list[int], list[list[ast.stmt]]]:
    """Appends to `starts` and `chunks` a chunk for each statement that begins a line at `column`;
    the others join the chunk before them."""
    previous_end = 0
    for statement in statements:
        first_line = _first_line(statement)
        if statement.col_offset == column and first_line >= previous_end and (not starts or first_line > starts[-1]):
            starts.append(first_line)
            chunks.append([])
        chunks[-1].append(statement)
        previous_end = statement.end_lineno or statement.lineno
    return starts, chunks


def _touched(starts: list[int], changed: tuple[int, int]) -> tuple[int, int]:
    """The chunks that hold the changed lines: the first one, and the one after the last."""
    first = bisect.bisect_right(starts, changed[0]) - 1
    if first > 0 and starts[first] == changed[0]:
        first -= 1  # a line appended to the chunk before may continue its last statement
    return first, bisect.bisect_left(starts, changed[1])


def _parsed(text: str) -> ast.Module | None:
    """`ast.parse(text)`; None when it fails (then more of the text is parsed)."""
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _spliced(
    chunks: list[list[ast.stmt]], first: int, after: int, middle: list[ast.stmt], moved: int
) -> list[ast.stmt]:
    """The statements of `chunks`, with those of chunks[first:after] replaced by `middle`, and those
    after them moved down by `moved` lines (up when negative)."""
    tail = [statement for chunk in chunks[after:] for statement in chunk]
    if moved:
        for statement in tail:
            _move(statement, moved)
    return [*(statement for chunk in chunks[:first] for statement in chunk), *middle, *tail]


def _reparse_class(
    cls: ast.ClassDef, lines: list[str], changed: tuple[int, int], end: int, moved: int
) -> ast.ClassDef | None:
    """A class with only the statements of its body that the change touched parsed again, as the body
    of a stand-in `class _:` (so they keep their indentation and columns); `end`: the line where the
    top-level chunk holding the class ends. None when the change reaches the header, or when the
    statements do not parse alone at the body's indentation."""
    column = cls.body[0].col_offset
    body_start = _first_line(cls.body[0])
    if body_start <= cls.lineno - 1 or changed[0] < body_start:
        return None  # `class A: pass`, or an edit of the header or the decorators
    starts, chunks = _chunked(cls.body, column, [], [])
    first, after = _touched(starts, changed)
    start = starts[first]
    stand_in = _parsed(
        "\n" * (start - 1)
        + "class _:\n"
        + "".join(lines[start : (starts[after] if after < len(starts) else end) + moved])
    )
    if stand_in is None:
        return None
    indent = lines[body_start][:column]
    middle = stand_in.body[0].body if len(stand_in.body) == 1 and isinstance(stand_in.body[0], ast.ClassDef) else []
    if not middle or not all(_indented_by(lines[_first_line(s)], indent) for s in middle):
        return None  # the edit changed the body's indentation: the whole class, or file, must say what it means now
    updated = copy.copy(cls)
    updated.body = _spliced(chunks, first, after, middle, moved)
    updated.end_lineno, updated.end_col_offset = updated.body[-1].end_lineno, updated.body[-1].end_col_offset
    return updated


def _indented_by(line: str, indent: str) -> bool:
    return line.startswith(indent) and not line[len(indent) : len(indent) + 1].isspace()


def _first_line(statement: ast.stmt) -> int:
    """0-based, decorators included."""
    return min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))]) - 1


def _common_head(a: list[str], b: list[str], limit: int | None = None) -> int:
    """How many leading items `a` and `b` share (at most `limit`)."""
    count = min(len(a), len(b)) if limit is None else limit
    for index in range(count):
        if a[index] != b[index]:
            return index
    return count


def _move(statement: ast.stmt, lines: int) -> None:
    """`ast.increment_lineno`, over the nodes that carry positions only."""
    for node in descendants([statement], ()):
        if hasattr(node, "lineno"):
            node.lineno += lines
            if node.end_lineno is not None:  # type: ignore[attr-defined]  # hasattr: a node that carries a position
                node.end_lineno += lines  # type: ignore[attr-defined]  # the same node
