"""`analyze(source, path, config) -> findings`: the one entry point every front calls.

Pure: no I/O, no global state. Suppression, selection and severity are applied here,
once, so a rule never looks at `noqa` comments or settings itself.
"""
from __future__ import annotations

import ast
import bisect
import fnmatch
import re
from typing import Iterable, Mapping, Optional, Sequence

from .config import Config
from .dataflow.crossfile import ProjectIndex
from .dataflow.facts import ModuleFacts, build_facts, exports, outgoing_calls
from .dataflow.memo import FactsMemo
from .dataflow.tokens import names_something_relevant
from .findings import Finding, JSONValue, Related, Span
from .lines import LINE_BREAK
from .incremental import DocumentMemo, ModuleAnalysis
from .rules import RULES, Rule

DEFAULT_CONFIG = Config()
SKIP_FILE = re.compile(r"^[ \t]*#[ \t]*gradguard:[ \t]*skip-file\b", re.MULTILINE)
NOQA = re.compile(r"#[ \t]*noqa(?::[ \t]*(?P<codes>[A-Za-z]+\d+(?:[ \t]*,[ \t]*[A-Za-z]+\d+)*))?", re.IGNORECASE)
IGNORE_COMMENT = re.compile(r"#[ \t]*gradguard:[ \t]*ignore\[(?P<codes>[^\]]*)\]")
DEFINED_NAME = re.compile(r"\bdef\s+(\w+)")


class AnalysisError(Exception):
    """The source cannot be analysed (it does not parse, or nests too deeply)."""

    def __init__(self, message: str, line: int = 0, col: int = 0) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col  # 0-based position


def analyze(source: str, path: str = "<string>", config: Config = DEFAULT_CONFIG,
            project: Optional[ProjectIndex] = None, module: str = "", cell_starts: Sequence[int] = (),
            cell_numbers: Sequence[int] = ()) -> list[Finding]:
    """For a notebook's joined code cells, `cell_starts` (`JoinedCells.starts`) and the numbers the
    front shows for them (default 1, 2, ...), so messages name cells rather than joined lines."""
    return analyze_module(source, path, config, project, module, cell_starts, cell_numbers).findings


def analyze_module(source: str, path: str = "<string>", config: Config = DEFAULT_CONFIG,
                   project: Optional[ProjectIndex] = None, module: str = "",
                   cell_starts: Sequence[int] = (), cell_numbers: Sequence[int] = (),
                   memo: Optional[DocumentMemo] = None) -> ModuleAnalysis:
    """`analyze`, plus what the file tells the project index (`module`: its dotted name in the project).
    `memo`: the same object for every version of one document, for faster analyses after an edit."""
    if SKIP_FILE.search(source):
        return ModuleAnalysis([])
    if not might_have_findings(source, config):
        if "torch" in source:
            parse(source, path)  # PyTorch code that does not parse is still reported, not skipped silently
        return ModuleAnalysis([])
    rules = enabled_rules(config, path)
    lines = LINE_BREAK.split(source)

    def run(tree: ast.Module, facts_memo: Optional[FactsMemo]) -> tuple[ModuleAnalysis, ModuleFacts]:
        report = Report(lines, config, cell_starts, cell_numbers)
        facts = build_facts(tree, config, path, source, project, module, facts_memo)
        for rule in rules:
            rule.check(facts, report)
        return ModuleAnalysis(report.findings(rules), exports(facts), outgoing_calls(facts)), facts

    try:
        if memo is None:
            return run(parse(source, path), None)[0]
        context = (config, path, module, tuple(cell_starts), tuple(cell_numbers),
                   (project, project.changes) if project is not None else None)
        return memo.analyse(source, lambda text: parse(text, path), context, run)
    except RecursionError:
        raise AnalysisError("code nests too deeply to analyse") from None


def might_have_findings(source: str, config: Config) -> bool:
    """The text gate: every finding involves a grad-mode or mode-switch name, a load, a functional
    dropout, a validation loader, or a function named for evaluation. Files without any are not parsed."""
    return names_something_relevant(source) or any(
        config.is_eval_function_name(name) for name in DEFINED_NAME.findall(source))


def parse(source: str, path: str) -> ast.Module:
    try:
        return ast.parse(source, filename=path)
    except SyntaxError as error:
        line = max((error.lineno or 1) - 1, 0)
        col = max((error.offset or 1) - 1, 0)
        raise AnalysisError(f"syntax error: {error.msg}", line, col) from None
    except (RecursionError, MemoryError):
        raise AnalysisError("code nests too deeply to parse") from None
    except ValueError as error:  # e.g. source with NUL bytes
        raise AnalysisError(f"cannot parse: {error}") from None


def matches(code_or_slug: str, rule: Rule) -> bool:
    """`GG2` selects every GG2xx rule; a slug selects its rule."""
    token = code_or_slug.strip()
    return rule.code.startswith(token.upper()) if token[:2].upper() == "GG" else token == rule.slug


def enabled_rules(config: Config, path: str) -> list[Rule]:
    ignored = list(config.ignore)
    for glob, codes in config.per_file_ignores.items():
        if fnmatch.fnmatch(path.replace("\\", "/"), glob) or fnmatch.fnmatch(path, f"*/{glob}"):
            ignored.extend(codes)
    return [
        rule for rule in RULES
        if (not config.select or any(matches(s, rule) for s in config.select))
        and not any(matches(i, rule) for i in ignored)
    ]


class Report:
    """Collects what rules find; converts `ast` positions (UTF-8 byte columns) to code points."""

    def __init__(self, lines: list[str], config: Config, cell_starts: Sequence[int] = (),
                 cell_numbers: Sequence[int] = ()) -> None:
        self.lines = lines
        self.config = config
        self.cell_starts = cell_starts
        self.cell_numbers = cell_numbers or range(1, len(cell_starts) + 1)
        self._found: list[tuple[Rule, Span, str, tuple[Related, ...], Mapping[str, JSONValue]]] = []

    def add(
        self,
        rule: Rule,
        node: ast.AST,
        message: str,
        related: Iterable[tuple[ast.AST, str]] = (),
        data: Mapping[str, JSONValue] | None = None,
    ) -> None:
        links = tuple(Related(self.span(n), text) for n, text in related)
        self._found.append((rule, self.span(node), message, links, data or {}))

    def line(self, node: Optional[ast.AST]) -> str:
        """How a message names the line of `node`: "line 12", or in a notebook "line 3 of cell 2"."""
        if node is None or not hasattr(node, "lineno"):
            return "an earlier line"
        line = node.lineno - 1
        if not self.cell_starts:
            return f"line {line + 1}"
        cell = bisect.bisect_right(self.cell_starts, line) - 1
        return f"line {line - self.cell_starts[cell] + 1} of cell {self.cell_numbers[cell]}"

    def span(self, node: ast.AST) -> Span:
        end_line = getattr(node, "end_lineno", None) or node.lineno
        end_col = getattr(node, "end_col_offset", None)
        if end_col is None:
            end_col = node.col_offset
        return Span(
            node.lineno - 1, self._column(node.lineno - 1, node.col_offset),
            end_line - 1, self._column(end_line - 1, end_col),
        )

    def _column(self, line: int, byte_col: int) -> int:
        text = self.lines[line] if line < len(self.lines) else ""
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def findings(self, rules: list[Rule]) -> list[Finding]:
        enabled = {rule.code for rule in rules}
        result = []
        for rule, span, message, related, data in self._found:
            if rule.code not in enabled or self._suppressed(rule, span.start_line):
                continue
            severity = self.config.severity.get(rule.code) or self.config.severity.get(rule.slug) or rule.severity
            result.append(Finding(rule.code, rule.slug, severity, message, span, related, data))  # type: ignore[arg-type]
        return sorted(set(result), key=lambda f: (f.span, f.code))

    def _suppressed(self, rule: Rule, line: int) -> bool:
        text = self.lines[line] if line < len(self.lines) else ""
        if "#" not in text:
            return False
        for match in NOQA.finditer(text):
            codes = match.group("codes")
            if codes is None or rule.code in _codes(codes):
                return True
        return any(
            rule.code in _codes(m.group("codes")) or rule.slug in _codes(m.group("codes"))
            for m in IGNORE_COMMENT.finditer(text)
        )


def _codes(text: str) -> set[str]:
    return {token.strip().upper() if token.strip()[:2].upper() == "GG" else token.strip() for token in text.split(",")}
