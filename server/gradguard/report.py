"""What rules report, and how it becomes findings.

Rules report `ast` nodes; the positions of those nodes become spans, line numbers in messages and
lines in a finding's data only when the report is rendered (`Rendering.findings`). So the language
server can keep what a rule reported on a function an edit did not touch, and render it again after
the edit moved the function down the file (`incremental.py`): its nodes were moved with it.
Rendering also applies suppression (`# noqa`, `# gradguard: ignore[...]`) and severity.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .config import Config
from .findings import Finding, Related, Severity, Span
from .fixdata import FixData, LineOf
from .noqa import directives

if TYPE_CHECKING:
    from .rules.base import Rule

LINE_REFERENCE = re.compile("\x00(\\d+)\x00")  # stands for "line 12" in a text until it is rendered


@dataclass(frozen=True)
class Reported:
    rule: Rule
    node: ast.AST
    message: str
    related: tuple[tuple[ast.AST, str], ...]
    data: FixData | None
    lines: Mapping[int, ast.AST]  # the nodes whose lines the texts name, by LINE_REFERENCE number
    severity: Severity | None = None  # when not the rule's: GG202 on a model no layer of which depends on the mode


class Report:
    """Collects what the rules report on one module."""

    def __init__(self) -> None:
        self.reported: list[Reported] = []
        self._named: list[ast.AST] = []

    def add(
        self,
        rule: Rule,
        node: ast.AST,
        message: str,
        related: Iterable[tuple[ast.AST, str]] = (),
        data: FixData | None = None,
        severity: Severity | None = None,
    ) -> None:
        links = tuple(related)
        named = {
            int(number): self._named[int(number)]
            for text in (message, *(text for _, text in links))
            for number in LINE_REFERENCE.findall(text)
        }
        self.reported.append(Reported(rule, node, message, links, data, named, severity))

    def line(self, node: ast.AST | None) -> str:
        """How a message names the line of `node`: "line 12", or in a notebook "line 3 of cell 2"."""
        if node is None or not hasattr(node, "lineno"):
            return "an earlier line"
        self._named.append(node)
        return f"\x00{len(self._named) - 1}\x00"

    @staticmethod
    def first_line(node: ast.AST) -> LineOf:
        return LineOf(node)

    @staticmethod
    def last_line(node: ast.AST) -> LineOf:
        return LineOf(node, last=True)


class Rendering:
    """Turns what was reported into findings for one text: `ast` positions (UTF-8 byte columns)
    become code points, line references become "line 12" (or "line 3 of cell 2")."""

    def __init__(
        self, lines: list[str], config: Config, cell_starts: Sequence[int] = (), cell_numbers: Sequence[int] = ()
    ) -> None:
        self.lines = lines
        self.config = config
        self.cell_starts = cell_starts
        self.cell_numbers = cell_numbers or range(1, len(cell_starts) + 1)

    def findings(self, reported: Iterable[Reported], rules: list[Rule]) -> list[Finding]:
        enabled = {rule.code for rule in rules}
        result = []
        for item in reported:
            rule, span = item.rule, self.span(item.node)
            if rule.code not in enabled or self._suppressed(rule, span):
                continue
            severity = (
                self.config.severity.get(rule.code)
                or self.config.severity.get(rule.slug)
                or item.severity
                or rule.severity
            )
            related = tuple(Related(self.span(node), self._text(text, item.lines)) for node, text in item.related)
            data = item.data.rendered(self._line_number) if item.data is not None else None
            result.append(
                Finding(rule.code, rule.slug, severity, self._text(item.message, item.lines), span, related, data)
            )
        return sorted(set(result), key=lambda f: (f.span, f.code))

    def span(self, node: ast.AST) -> Span:
        line, col = start_of(node)
        end_line = getattr(node, "end_lineno", None) or line
        end_col = getattr(node, "end_col_offset", None)
        if end_col is None:
            end_col = col
        return Span(line - 1, self._column(line - 1, col), end_line - 1, self._column(end_line - 1, end_col))

    def _text(self, text: str, lines: Mapping[int, ast.AST]) -> str:
        if "\x00" not in text:
            return text
        return LINE_REFERENCE.sub(lambda match: self._line_name(lines[int(match.group(1))]), text)

    def _line_name(self, node: ast.AST) -> str:
        line = start_of(node)[0] - 1
        if not self.cell_starts:
            return f"line {line + 1}"
        cell = bisect.bisect_right(self.cell_starts, line) - 1
        return f"line {line - self.cell_starts[cell] + 1} of cell {self.cell_numbers[cell]}"

    @staticmethod
    def _line_number(line: LineOf) -> int:
        node = line.node
        last = getattr(node, "end_lineno", None) if line.last else None
        return (last or start_of(node)[0]) - 1

    def _column(self, line: int, byte_col: int) -> int:
        text = self.lines[line] if line < len(self.lines) else ""
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def _suppressed(self, rule: Rule, span: Span) -> bool:
        text = self.lines[span.start_line] if span.start_line < len(self.lines) else ""
        return "#" in text and directives(text, span.start_col).suppresses(rule.code, rule.slug)


def start_of(node: ast.AST) -> tuple[int, int]:
    """Line and column where a node starts: rules report statements and expressions, which have them."""
    return node.lineno, node.col_offset  # type: ignore[attr-defined]  # ast.AST itself declares no position
