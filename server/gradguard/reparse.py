"""Parsing a new version of a text by re-parsing only the top-level statements an edit touched.

An editor sends one keystroke at a time; a 20,000-line file takes `ast.parse` 150 ms. A top-level
statement that begins a line at column 0 starts the tokenizer afresh (no open bracket, string or
indent), so the lines between two such starts parse the same alone as inside the file. The changed
lines are widened to those starts and parsed alone; the statements before them are kept, and those
after them are kept with their line numbers moved by the lines the edit added or removed. When the
changed lines do not parse alone (an edit opened a string that closes further down, say), the
whole text is parsed as usual, so the result is always what `ast.parse` gives for the whole text.
"""
from __future__ import annotations

import ast
import bisect
from typing import Callable, Optional

from .lines import split_lines
from .dataflow.traverse import descendants


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

    def _reparse(self, lines: list[str]) -> Optional[ast.Module]:
        old = self.lines
        same_head = _common_head(old, lines)
        if same_head == len(old) == len(lines):
            return ast.Module(body=list(self.statements), type_ignores=[])
        same_tail = _common_head(old[::-1], lines[::-1], limit=min(len(old), len(lines)) - same_head)
        first = bisect.bisect_right(self.starts, same_head) - 1  # the chunk holding the first changed line
        if first > 0 and self.starts[first] == same_head:
            first -= 1  # a line appended to the chunk before may continue its last statement
        after = bisect.bisect_left(self.starts, len(old) - same_tail)  # the first chunk wholly unchanged at the end
        start = self.starts[first]
        end = self.starts[after] if after < len(self.starts) else len(old)
        moved = len(lines) - len(old)
        try:
            middle = ast.parse("".join(lines[start:end + moved])).body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        for statement in middle:
            _move(statement, start)
        tail = [statement for chunk in self.chunks[after:] for statement in chunk]
        if moved:
            for statement in tail:
                _move(statement, moved)
        head = [statement for chunk in self.chunks[:first] for statement in chunk]
        return ast.Module(body=[*head, *middle, *tail], type_ignores=[])

    def _remember(self, lines: list[str], statements: list[ast.stmt]) -> None:
        self.lines, self.statements = lines, statements
        self.starts, self.chunks = [0], [[]]
        previous_end = 0
        for statement in statements:
            first_line = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))]) - 1
            if statement.col_offset == 0 and first_line >= previous_end and first_line > self.starts[-1]:
                self.starts.append(first_line)
                self.chunks.append([])
            self.chunks[-1].append(statement)
            previous_end = statement.end_lineno or statement.lineno


def _common_head(a: list[str], b: list[str], limit: Optional[int] = None) -> int:
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
            if node.end_lineno is not None:
                node.end_lineno += lines
