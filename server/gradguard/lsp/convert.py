"""Findings -> LSP diagnostics. Positions are converted here, once, to the negotiated encoding."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Callable

from lsprotocol import types
from pygls.workspace import PositionCodec, ServerTextPosition, ServerTextRange, TextDocument, Workspace

from ..analysis import AnalysisError, UnparsableCell
from ..findings import Finding, Span
from ..fixdata import FixData
from ..lines import split_lines
from ..rules import find_rule

if TYPE_CHECKING:
    from .actions import PlannedAction

SOURCE = "gradguard"
SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}
# A sentence ends at ". " before a capital, code, emphasis or a parenthesis, outside quotes, code and parentheses.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*(])")
# Where a span of the analysed program lands: (document URI, span inside that document).
Place = Callable[[Span], "tuple[str, Span]"]
LinesOf = Callable[[str], Sequence[str]]


class ClampingPositionCodec(PositionCodec):
    """Positions from the client clamped as LSP says: a character past the end of its line means the end
    (before the line break), a line past the last one means the end of the document. pygls 2.1.1 puts a
    character past the end one code point before the last one, or after the line break, so an edit there
    would change other text than the client's (and it clamps by changing the client's `Position`)."""

    def position_from_client_units(self, lines: Sequence[str], position: types.Position) -> ServerTextPosition:
        if not lines:
            return ServerTextPosition(0, 0)
        if position.line >= len(lines):
            return ServerTextPosition(len(lines) - 1, len(lines[-1]))
        length = self.client_num_units(lines[position.line].rstrip("\r\n"))
        clamped = types.Position(position.line, min(position.character, length))
        return super().position_from_client_units(lines, clamped)


class LspLinesDocument(TextDocument):
    """Lines broken at `\\r\\n`, `\\r` and `\\n` only, as LSP and Python count them. pygls uses `str.splitlines`,
    which also breaks at form feeds, \\x1c-\\x1e, \\x85 and U+2028/9: after one of them, edits from the client
    and diagnostics to it would land on another line than the client's."""

    _lines: tuple[str, ...] = ()
    _lines_of: str | None = None  # the text `_lines` were split from: a large text is asked for its lines often

    @property
    def lines(self) -> Sequence[str]:
        source = self.source
        if source is not self._lines_of:
            self._lines, self._lines_of = tuple(split_lines(source)), source
        return self._lines


def use_lsp_positions(workspace: Workspace) -> None:
    """Documents the workspace creates from now on count lines and clamp positions as the client does.
    pygls has no public hook for either, hence its private attributes."""
    codec = ClampingPositionCodec(workspace.position_encoding)
    sync_kind = workspace._sync_kind

    def create_document(
        uri: str, source: str | None = None, version: int | None = None, language_id: str | None = None
    ) -> TextDocument:
        return LspLinesDocument(
            uri, source=source, version=version, language_id=language_id, sync_kind=sync_kind, position_codec=codec
        )

    workspace._position_codec = codec
    workspace._create_text_document = create_document  # type: ignore[method-assign,assignment]  # no hook


def to_range(codec: PositionCodec, lines: Sequence[str], span: Span) -> types.Range:
    return codec.range_to_client_units(
        lines,
        ServerTextRange(
            ServerTextPosition(span.start_line, span.start_col),
            ServerTextPosition(span.end_line, span.end_col),
        ),
    )


def finding_data(finding: Finding) -> dict:
    """What a code action needs to rebuild the finding without re-analysing (program coordinates)."""
    span = finding.span
    return {
        "code": finding.code,
        "slug": finding.slug,
        "severity": finding.severity,
        "message": finding.message,
        "span": [span.start_line, span.start_col, span.end_line, span.end_col],
        "data": finding.data.to_json() if finding.data is not None else None,
    }


def finding_from_data(data: object) -> Finding | None:
    if not isinstance(data, dict) or not isinstance(data.get("code"), str):
        return None
    try:
        return Finding(
            code=data["code"],
            slug=data["slug"],
            severity=data["severity"],
            message=data["message"],
            span=Span(*(int(n) for n in data["span"])),
            data=FixData.from_json(data.get("data")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def sentence_ends(text: str) -> list[int]:
    """Where each sentence of `text` but the last ends (a quoted warning has sentences of its own)."""
    return [end.start() for end in SENTENCE_END.finditer(text) if _balanced(text[: end.start()])]


def first_sentence(text: str) -> str:
    ends = sentence_ends(text)
    return text[: ends[0]] if ends else text


def _balanced(text: str) -> bool:
    return text.count('"') % 2 == 0 and text.count("`") % 2 == 0 and text.count("(") == text.count(")")


def to_diagnostic(
    finding: Finding, place: Place, lines_of: LinesOf, codec: PositionCodec
) -> tuple[str, types.Diagnostic]:
    uri, span = place(finding.span)
    rule = find_rule(finding.code)
    related = []
    for item in finding.related:
        related_uri, related_span = place(item.span)
        related.append(
            types.DiagnosticRelatedInformation(
                location=types.Location(related_uri, to_range(codec, lines_of(related_uri), related_span)),
                message=item.message,
            )
        )
    diagnostic = types.Diagnostic(
        range=to_range(codec, lines_of(uri), span),
        # The first sentence says what and where, short enough for a Problems panel row; the rest is in the
        # hover (VS Code shows this message above the hover: the whole message would be there twice).
        message=first_sentence(finding.message),
        severity=SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.code,
        code_description=types.CodeDescription(href=rule.url) if rule else None,
        source=SOURCE,
        related_information=related or None,
        data=finding_data(finding),
    )
    return uri, diagnostic


def syntax_note(
    error: AnalysisError, place: Place, lines_of: LinesOf, codec: PositionCodec
) -> tuple[str, types.Diagnostic]:
    """One note where parsing stopped; the findings shown beside it are from the last version that parsed."""
    message = f"GradGuard paused here ({error.message}); findings shown are from the last version that parsed"
    return _syntax_note_at(error.line, error.col, message, place, lines_of, codec)


def left_out_note(
    cell: UnparsableCell, place: Place, lines_of: LinesOf, codec: PositionCodec
) -> tuple[str, types.Diagnostic]:
    """One note in a notebook cell that does not parse: Jupyter runs the other cells without it, and so does
    the analysis."""
    message = f"GradGuard left this cell out ({cell.message}); the other cells are analysed without it"
    return _syntax_note_at(cell.line, cell.col, message, place, lines_of, codec)


def _syntax_note_at(
    line: int, col: int, message: str, place: Place, lines_of: LinesOf, codec: PositionCodec
) -> tuple[str, types.Diagnostic]:
    uri, span = place(Span(line, col, line, col))
    lines = lines_of(uri)
    line_length = len(lines[span.start_line].rstrip("\r\n")) if span.start_line < len(lines) else 0
    end_col = min(span.start_col + 1, line_length) if line_length > span.start_col else span.start_col
    note = types.Diagnostic(
        range=to_range(codec, lines, Span(span.start_line, span.start_col, span.start_line, end_col)),
        message=message,
        severity=types.DiagnosticSeverity.Information,
        source=SOURCE,
        data={"syntax": True},
    )
    return uri, note


def to_code_action(
    plan: PlannedAction,
    diagnostics: list[types.Diagnostic],
    open_document: Callable[[str], TextDocument | None],
    codec: PositionCodec,
    versioned: bool,
) -> types.CodeAction:
    """`versioned`: the client takes `documentChanges`, so each edit names the version it was made for."""
    document_edits = []
    for uri, edits in plan.edits.items():
        doc = open_document(uri)
        lines = doc.lines if doc else []
        text_edits = [types.TextEdit(range=to_range(codec, lines, edit.span), new_text=edit.new_text) for edit in edits]
        document_edits.append((uri, doc.version if doc else None, text_edits))
    if versioned:
        edit = types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                    edits=text_edits,
                )
                for uri, version, text_edits in document_edits
            ]
        )
    else:
        edit = types.WorkspaceEdit(changes={uri: text_edits for uri, _, text_edits in document_edits})
    return types.CodeAction(
        title=plan.title,
        kind=plan.kind,
        diagnostics=diagnostics or None,
        is_preferred=plan.preferred or None,
        edit=edit,
    )
