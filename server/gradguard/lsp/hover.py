"""Hover: a finding in brief (its message, evidence, why, a link to the rule page), the core's text for the
API under the cursor (`apis.py`), and which statement disabled gradients there (`dataflow/places.py`).

Short enough to read without scrolling, as Ruff's and Pylance's hovers: the whole rule page stays in
`gradguard rule` and `docs/rules/`."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace import PositionCodec

from ..apis import api_explanation
from ..dataflow.places import region_at
from ..findings import Finding, Span
from ..rules import find_rule
from ..rules.base import Rule
from .convert import sentence_ends, to_range
from .documents import Program

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Of the rule's "Why is this bad?", in a finding's hover: the rest is on the rule page. One, so the hover fits
# VS Code's box without scrolling (tests/e2e/vscode checks it).
WHY_SENTENCES = 1


def finding_hover(program: Program, finding: Finding, rule: Rule, uri: str) -> str:
    """The whole message (a diagnostic has its first sentence), the evidence (related statements), the first
    sentence of why, and where the rest is."""
    parts = [f"**{finding.code}** `{finding.slug}` ({finding.severity})", finding.message]
    evidence = [f"- {_place_label(program, related.span, uri)}: {related.message}" for related in finding.related]
    if evidence:
        parts.append("\n".join(evidence))
    parts.append(why_in_brief(rule))
    parts.append(f"[Full rule page]({rule.url}) · `gradguard rule {rule.code}`")
    return "\n\n".join(parts)


def why_in_brief(rule: Rule) -> str:
    paragraph = " ".join(textwrap.dedent(rule.why).strip().split("\n\n", 1)[0].split())
    ends = sentence_ends(paragraph)
    if len(ends) < WHY_SENTENCES:
        return paragraph
    return paragraph[: ends[WHY_SENTENCES - 1]] + " …"


def _place_label(program: Program, span: Span, uri: str) -> str:
    """ "line 5", or "cell 2, line 5" for another cell of the notebook."""
    place_uri, local = program.layout.place(span)
    label = f"line {local.start_line + 1}"
    if place_uri != uri:
        label = f"cell {program.layout.numbers[program.layout.uris.index(place_uri)]}, {label}"
    return label


def _api_at(program: Program, uri: str, line_text: str, line: int, col: int) -> tuple[str, int, int] | None:
    """(Markdown, start column, end column) of the API name under the cursor, where the name resolves to it."""
    located = program.layout.to_program(uri, line, col)
    if located is None:
        return None
    for name in program.api_names:
        if name.line == located[0] and name.start_col <= col <= name.end_col:
            if not WORD.fullmatch(line_text[name.start_col : name.end_col]):
                return None  # the line was edited since the names were found
            text = api_explanation(name.api, name.entered_uncalled)
            return (text, name.start_col, name.end_col) if text is not None else None
    return None


def hover_at(
    program: Program | None, uri: str, lines: Sequence[str], codec: PositionCodec, position: types.Position
) -> types.Hover | None:
    if not 0 <= position.line < len(lines):
        return None
    col = codec.position_from_client_units(lines, types.Position(position.line, position.character)).character
    sections: list[str] = []
    hover_range = None
    if program is not None:
        for finding in program.findings:
            finding_uri, span = program.layout.place(finding.span)
            rule = find_rule(finding.code)
            if finding_uri == uri and rule and _contains(span, position.line, col):
                sections.append(finding_hover(program, finding, rule, uri))
                hover_range = to_range(codec, lines, span)

        api = _api_at(program, uri, lines[position.line], position.line, col)
        if api is not None:
            text, start, end = api
            sections.append(text)
            hover_range = hover_range or to_range(codec, lines, Span(position.line, start, position.line, end))

    region = _region_text(program, uri, position.line, col) if program is not None else None
    if region is not None:
        sections.append(region)

    if not sections:
        return None
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(sections)),
        range=hover_range,
    )


def _region_text(program: Program, uri: str, line: int, col: int) -> str | None:
    located = program.layout.to_program(uri, line, col)
    region = region_at(program.regions, located[0]) if located else None
    if region is None:
        return None
    label = _place_label(program, Span(region.anchor_line, 0, region.anchor_line, 0), uri)
    text = region.describe(label)
    return text[:1].upper() + text[1:]


def _contains(span: Span, line: int, col: int) -> bool:
    return (span.start_line, span.start_col) <= (line, col) <= (span.end_line, span.end_col)
