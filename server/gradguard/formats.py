"""Output formats of `--check`: text, json, sarif, github. Rows and columns are 1-based here.

Positions arrive 0-based with columns in code points (see `findings`); each format adds
one at its edge. Notebook findings carry the number of their cell: 1-based, counting every
cell of the notebook (markdown too), as Jupyter shows them: `cell N` in text and github,
`"cell": N` in json (and in each fix edit and related location), `properties.cell` in sarif. Messages use
the same numbers.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, Callable
from urllib.parse import quote

from . import __version__
from .checking import FileResult, Problem
from .findings import Finding, Fix, Related, Span
from .rules import RULES, find_rule

SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note", "hint": "note"}
GITHUB_COMMAND = {"error": "error", "warning": "warning", "info": "notice", "hint": "notice"}
# ANSI styles of the text format on a terminal, as Ruff colours its output.
BOLD, RESET = "\x1b[1m", "\x1b[0m"
SEVERITY_COLOUR = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "info": "\x1b[1;34m", "hint": "\x1b[2m"}
FIXABLE_COLOUR = "\x1b[36m"


@dataclass(frozen=True)
class TextStyle:
    colour: bool = False
    unsafe_fixes: bool = False  # `--unsafe-fixes` was given: unsafe fixes count as fixable
    statistics: bool = False  # one line per rule with its count, instead of one per finding


def render(format_name: str, results: list[FileResult], style: TextStyle = TextStyle()) -> str:
    if format_name == "text":
        return render_text(results, style)
    renderer: Callable[[list[FileResult]], str] = {
        "json": render_json,
        "sarif": render_sarif,
        "github": render_github,
    }[format_name]
    return renderer(results)


def printable(text: str) -> str:
    """`text` as one line that changes no other: a file name may hold any character but `/`, and a line
    break or an escape sequence in one would forge output lines. Those (every character Python does not
    print: control characters, line separators, undecodable bytes) are written as Python escapes (`\\n`)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def problem_line(result: FileResult, problem: Problem) -> str:
    """How an unreadable or unparsable file (or notebook cell) is reported (on stderr, whatever the format)."""
    if problem.line is None:
        return printable(f"{result.path}: error: {problem.message}")
    cell, span = result.locate(Span(problem.line, problem.col or 0, problem.line, problem.col or 0))
    return printable(
        f"{result.path}:{_cell_prefix(cell)}{span.start_line + 1}:{span.start_col + 1}: error: {problem.message}"
    )


def render_text(results: list[FileResult], style: TextStyle = TextStyle()) -> str:
    """`path:row:col: CODE [*] severity: message` (`[*]`: `--fix` fixes it), then a summary with
    what `--fix` and `--unsafe-fixes` would fix."""

    def paint(text: str, ansi: str) -> str:
        return f"{ansi}{text}{RESET}" if style.colour else text

    lines = []
    fixable = hidden = 0
    by_code: Counter[str] = Counter()
    fixable_by_code: Counter[str] = Counter()
    for result in results:
        marks = result.fixable or (None,) * len(result.findings)  # none after --fix: what is left has no fix
        for finding, applicability in zip(result.findings, marks):
            can_fix = applicability == "safe" or (applicability == "unsafe" and style.unsafe_fixes)
            fixable += can_fix
            hidden += applicability is not None and not can_fix
            by_code[finding.code] += 1
            fixable_by_code[finding.code] += can_fix
            if style.statistics:
                continue
            cell, span = result.locate(finding.span)
            lines.append(
                f"{paint(printable(result.path), BOLD)}:"
                f"{_cell_prefix(cell)}{span.start_line + 1}:{span.start_col + 1}: "
                f"{paint(finding.code, BOLD)} {paint('[*]', FIXABLE_COLOUR) + ' ' if can_fix else ''}"
                f"{paint(finding.severity, SEVERITY_COLOUR[finding.severity])}: {finding.message}"
            )
    if style.statistics:
        width = len(str(max(by_code.values(), default=0)))
        any_fixable = any(fixable_by_code.values())  # as Ruff: a `[*]`/`[ ]` column only when something is fixable
        for code, count in sorted(by_code.items(), key=lambda item: (-item[1], item[0])):
            mark = (
                (paint("[*]", FIXABLE_COLOUR) if fixable_by_code[code] == count else "[ ]") + " " if any_fixable else ""
            )
            lines.append(
                f"{count:>{width}}\t{paint(code, BOLD)}\t{mark}{rule.slug if (rule := find_rule(code)) else ''}"
            )
    count = sum(by_code.values())
    with_findings = sum(1 for r in results if r.findings)
    failed = sum(1 for r in results if r.problem)
    checked = f"{plural(len(results) - failed, 'file')} checked" + (f", {failed} could not be" if failed else "")
    summary = (
        f"Found {plural(count, 'finding')} in {plural(with_findings, 'file')} ({checked})."
        if count
        else f"No findings ({checked})."
    )
    if fixable or hidden:
        summary += f" {fixable} fixable with `--fix`" + (f" ({hidden} more with `--unsafe-fixes`)." if hidden else ".")
    lines.append(summary)
    return "\n".join(lines) + "\n"


def fixes_by_file(results: list[FileResult], applied: bool, unsafe_fixes: bool) -> dict[str, Counter[str]]:
    """`--show-fixes`: per file, the codes of the findings that the fixes removed (`applied`: `--fix`, `--diff`)
    or that `--fix` would fix (each finding's fix, safe or with `--unsafe-fixes` unsafe too)."""
    by_file = {}
    for result in results:
        if applied:
            codes = Counter(result.fixed)
        else:
            codes = Counter(
                finding.code
                for finding, applicability in zip(result.findings, result.fixable)
                if applicability == "safe" or (applicability == "unsafe" and unsafe_fixes)
            )
        if codes:
            by_file[result.path] = codes
    return by_file


def fixes_listing(by_file: dict[str, Counter[str]]) -> str:
    """Ruff's enumeration: `- path:` then `    2 × GG101 (no-grad-not-called)`, most frequent rule first."""
    lines = []
    for path, codes in by_file.items():
        lines.append(printable(f"- {path}:"))
        for code, count in sorted(codes.items(), key=lambda item: (-item[1], item[0])):
            rule = find_rule(code)
            lines.append(f"    {count} × {code}" + (f" ({rule.slug})" if rule else ""))
    return "".join(line + "\n" for line in lines)


def render_json(results: list[FileResult]) -> str:
    items = []
    for result in results:
        fixes = result.fixes or (None,) * len(result.findings)
        for finding, fix in zip(result.findings, fixes):
            rule = find_rule(finding.code)
            items.append(
                {
                    "filename": result.path,
                    "code": finding.code,
                    "rule": finding.slug,
                    "severity": finding.severity,
                    "message": finding.message,
                    **_json_place(result, finding.span),
                    "fix": _json_fix(result, fix) if fix else None,
                    "url": rule.url if rule else None,
                    "related": [_json_related(result, related) for related in finding.related],
                }
            )
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


def _json_fix(result: FileResult, fix: Fix) -> dict[str, Any]:
    edits = [{"content": edit.new_text, **_json_place(result, edit.span)} for edit in fix.edits]
    return {"message": fix.title, "applicability": fix.applicability, "edits": edits}


def _json_related(result: FileResult, related: Related) -> dict[str, Any]:
    """Where the evidence for a finding is (the load, the `eval()`, the caller): what the editor shows as
    related information."""
    return {"message": related.message, **_json_place(result, related.span)}


def _json_place(result: FileResult, span: Span) -> dict[str, Any]:
    cell, span = result.locate(span)
    place: dict[str, Any] = {
        "location": _row_column(span.start_line, span.start_col),
        "end_location": _row_column(span.end_line, span.end_col),
    }
    if cell is not None:
        place["cell"] = cell
    return place


def _row_column(line: int, col: int) -> dict[str, int]:
    return {"row": line + 1, "column": col + 1}


def render_github(results: list[FileResult]) -> str:
    lines = []
    for result in results:
        for finding in result.findings:
            cell, span = result.locate(finding.span)
            where = f"cell {cell}: " if cell is not None else ""
            properties = ",".join(
                f"{key}={_github_escape(str(value), True)}"
                for key, value in (
                    ("file", result.path),
                    ("line", span.start_line + 1),
                    ("col", span.start_col + 1),
                    ("endLine", span.end_line + 1),
                    ("endColumn", span.end_col + 1),
                    ("title", finding.code),
                )
            )
            message = _github_escape(f"{where}{finding.message} [{finding.slug}]", False)
            lines.append(f"::{GITHUB_COMMAND[finding.severity]} {properties}::{message}")
    return "".join(line + "\n" for line in lines)


def _github_escape(text: str, is_property: bool) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if is_property else text


def render_sarif(results: list[FileResult]) -> str:
    rule_index = {rule.code: index for index, rule in enumerate(RULES)}
    sarif_results = [
        _sarif_result(result, finding, fix, rule_index)
        for result in results
        for finding, fix in zip(result.findings, result.fixes or (None,) * len(result.findings))
    ]
    notifications = [
        {
            "level": "error",
            "message": {"text": problem_line(r, problem)},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(r.path)}}}],
        }
        for r in results
        for problem in r.problems
    ]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "GradGuard",
                        "version": __version__,
                        "rules": [_sarif_rule(rule) for rule in RULES],
                    }
                },
                "invocations": [
                    {"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}
                ],
                "columnKind": "unicodeCodePoints",
                "results": sarif_results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _sarif_rule(rule: Any) -> dict[str, Any]:
    explanation = rule.explanation()
    return {
        "id": rule.code,
        "name": rule.slug,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": explanation, "markdown": explanation},
        # No helpUri: the only page is the installed one, a file on the machine that ran the check.
        "help": {"text": explanation, "markdown": explanation},
        "defaultConfiguration": {"level": SARIF_LEVEL[rule.severity]},
    }


def _sarif_result(result: FileResult, finding: Finding, fix: Fix | None, rule_index: dict[str, int]) -> dict[str, Any]:
    cell, span = result.locate(finding.span)
    entry: dict[str, Any] = {
        "ruleId": finding.code,
        "level": SARIF_LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [_sarif_location(result.path, span)],
    }
    if finding.code in rule_index:
        entry["ruleIndex"] = rule_index[finding.code]
    if finding.related:
        entry["relatedLocations"] = [
            {
                "id": number,
                "message": {"text": related.message},
                **_sarif_location(result.path, result.locate(related.span)[1]),
            }
            for number, related in enumerate(finding.related, start=1)
        ]
    if fix:
        replacements = [
            {"deletedRegion": _sarif_region(result.locate(edit.span)[1]), "insertedContent": {"text": edit.new_text}}
            for edit in fix.edits
        ]
        entry["fixes"] = [
            {
                "description": {"text": fix.title},
                "artifactChanges": [{"artifactLocation": {"uri": _uri(result.path)}, "replacements": replacements}],
            }
        ]
    if cell is not None:
        entry["properties"] = {"cell": cell}
    return entry


def _sarif_location(path: str, span: Span) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": {"uri": _uri(path)}, "region": _sarif_region(span)}}


def _sarif_region(span: Span) -> dict[str, int]:
    return {
        "startLine": span.start_line + 1,
        "startColumn": span.start_col + 1,
        "endLine": span.end_line + 1,
        "endColumn": span.end_col + 1,
    }


def _uri(path: str) -> str:
    if PurePath(path).is_absolute():
        return Path(path).as_uri()
    return quote(PurePath(path).as_posix())


def _cell_prefix(cell: int | None) -> str:
    return f"cell {cell}:" if cell is not None else ""


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
