"""What the server knows about each analysed program: a Python file, or a notebook's code cells joined.

A program keeps its last good findings while the code does not parse; they are moved
through the editor's edits (line shifts) so they stay on the statements they describe. The same moving
carries the findings of a text typed in during its analysis to the newest text (see `Program.catch_up`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..analysis import AnalysisError, UnparsableCell
from ..dataflow.crossfile import OutgoingCall, module_name
from ..dataflow.places import ApiName, GradRegion
from ..findings import Finding, Related, Span
from ..notebook import JoinedCells, join_cells

if TYPE_CHECKING:
    from .workers import Analysed

Stamp = tuple  # versions of the documents analysed + settings generation + rechecks for other files' changes


@dataclass(frozen=True)
class Layout:
    """Maps spans of the analysed program to the documents the editor knows (one file, or cells)."""

    uris: tuple[str, ...]
    joined: JoinedCells | None = None  # None for a plain file
    numbers: tuple[int, ...] = ()  # each cell's number as Jupyter shows it: from 1, markdown cells counted

    def place(self, span: Span) -> tuple[str, Span]:
        if self.joined is None:
            return self.uris[0], span
        cell, local = self.joined.span_in_cell(span)
        return self.uris[cell], local

    def to_program(self, uri: str, line: int, col: int) -> tuple[int, int] | None:
        if self.joined is None:
            return (line, col) if uri == self.uris[0] else None
        if uri not in self.uris:
            return None
        return self.joined.starts[self.uris.index(uri)] + line, col

    def line_offset(self, uri: str) -> int | None:
        located = self.to_program(uri, 0, 0)
        return located[0] if located else None


@dataclass(frozen=True)
class Snapshot:
    """The text to analyse, taken on the event loop so the worker thread never reads live documents."""

    key: str
    path: str
    source: str
    layout: Layout
    versions: tuple
    root: str = ""  # the workspace folder holding it, whose modules' summaries apply
    module: str = ""  # its dotted name under `root`, when it is a module there (not a notebook)


def file_snapshot(key: str, path: str, source: str, version: int, root: str = "") -> Snapshot:
    module = module_name(path, root) if root and path.endswith(".py") else ""
    return Snapshot(key, path, source, Layout((key,)), (version,), root, module)


def notebook_snapshot(
    key: str, path: str, cells: Sequence[tuple[str, str, int | None, int]], root: str = ""
) -> Snapshot:
    """`cells`: (uri, text, version, index among all the notebook's cells) of the code cells, in notebook order."""
    joined = join_cells([text for _, text, _, _ in cells])
    layout = Layout(tuple(uri for uri, _, _, _ in cells), joined, tuple(index + 1 for _, _, _, index in cells))
    return Snapshot(key, path, joined.source, layout, tuple(v for _, _, v, _ in cells), root)


@dataclass(frozen=True)
class Edit:
    """One change the editor made to a document: the range from (start_line, start_char) to (end_line, end_char),
    in the editor's position encoding, replaced by `text`."""

    uri: str
    version: int  # the document's version once it is made
    start_line: int
    start_char: int
    end_line: int
    end_char: int
    text: str
    whole: bool = False  # the whole text was replaced: findings of an older text cannot be moved through it


@dataclass
class Program:
    key: str
    layout: Layout
    source: str = ""
    findings: list[Finding] = field(default_factory=list)
    syntax_error: AnalysisError | None = None
    left_out: tuple[UnparsableCell, ...] = ()  # notebook cells that do not parse, analysed without
    regions: tuple[GradRegion, ...] = ()  # for the hover, as the findings: kept while the code does not parse
    api_names: tuple[ApiName, ...] = ()
    analysed: Stamp | None = None
    root: str = ""
    module: str = ""
    calls: tuple[OutgoingCall, ...] = ()  # into other modules of the workspace, as last analysed
    published_uris: set[str] = field(default_factory=set)
    # Fixes already computed for this text: editors ask for code actions on every cursor move.
    fixes: dict = field(default_factory=dict)
    # The edits made since the text analysed last, for `catch_up`.
    edits: list[Edit] = field(default_factory=list)

    def record(self, snapshot: Snapshot, stamp: Stamp, outcome: Analysed | AnalysisError) -> None:
        self.layout, self.source, self.analysed = snapshot.layout, snapshot.source, stamp
        self.root, self.module = snapshot.root, snapshot.module
        self.fixes.clear()
        analysed_versions = dict(zip(snapshot.layout.uris, snapshot.versions))
        self.edits = [edit for edit in self.edits if edit.version > (analysed_versions.get(edit.uri) or 0)]
        if isinstance(outcome, AnalysisError):
            self.syntax_error = outcome  # keep the last good findings, already moved through the edits
        else:
            self.findings, self.calls, self.syntax_error = list(outcome.findings), outcome.calls, None
            self.left_out, self.regions, self.api_names = outcome.left_out, outcome.regions, outcome.api_names
            if self.left_out and self.layout.joined is not None:  # fixes are made to the program analysed
                self.source = self.layout.joined.without(cell.cell for cell in self.left_out).source

    def catch_up(self, snapshot: Snapshot, stamp: Stamp, outcome: Analysed) -> bool:
        """Record the result of a file's older text moved through the edits made since, so it can be shown
        while the person keeps typing (each edit arriving before the analysis of the previous one ends).
        False, and nothing recorded, when an edit cannot be followed. The stamp stays the older text's:
        the newest text is still to be analysed, and fixes are computed only for an analysed text."""
        if snapshot.layout.joined is not None:  # a notebook: its cells' line offsets move with the edits
            return False
        later = [edit for edit in self.edits if edit.version > (snapshot.versions[0] or 0)]
        if any(edit.whole for edit in later):
            return False
        self.record(snapshot, stamp, outcome)
        for edit in self.edits:
            self._move_through(edit)
        return True

    def follow_edit(self, edit: Edit) -> None:
        self.edits.append(edit)
        self._move_through(edit)

    def _move_through(self, edit: Edit) -> None:
        """Move findings, regions and API names below the edit by the number of lines it added or removed,
        and what follows the edit on its last line along with it; drop the findings that started on a line
        it replaced, and the API names on a line it touched (the hover checks the name's text anyway)."""
        if edit.whole:
            return
        offset = self.layout.line_offset(edit.uri)
        if offset is None:
            return
        move = _Move(edit, offset)
        if move.delta == 0 and move.shift == 0:
            return
        self.findings = [moved for f in self.findings if (moved := move.finding(f))]
        if move.delta == 0:
            return
        self.regions = tuple(
            replace(
                r,
                first_line=move.line(r.first_line),
                last_line=move.line(r.last_line),
                anchor_line=move.line(r.anchor_line),
            )
            for r in self.regions
        )
        self.api_names = tuple(
            replace(name, line=move.line(name.line))
            for name in self.api_names
            if not move.first <= name.line <= move.last
        )


class _Move:
    """Where a program position lands after an edit. Columns are code points and the editor's are in its
    position encoding (UTF-16 by default): they differ after a character outside the BMP on the edited line,
    until the newest text is analysed."""

    def __init__(self, edit: Edit, offset: int) -> None:
        self.first, self.last, self.end_char = offset + edit.start_line, offset + edit.end_line, edit.end_char
        added = edit.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.delta = len(added) - 1 - (self.last - self.first)  # lines added
        # where the text after the edit on its last line moves to, in columns
        self.shift = len(added[-1]) + (edit.start_char if len(added) == 1 else 0) - edit.end_char

    def line(self, line: int) -> int:
        return line + self.delta if line > self.last else line

    def position(self, line: int, col: int) -> tuple[int, int]:
        if line == self.last and col >= self.end_char:
            return line + self.delta, col + self.shift
        return self.line(line), col

    def span(self, span: Span) -> Span:
        return Span(*self.position(span.start_line, span.start_col), *self.position(span.end_line, span.end_col))

    def finding(self, finding: Finding) -> Finding | None:
        if self.first < finding.span.start_line <= self.last:  # its line was replaced by the edit
            return None
        related = tuple(Related(self.span(r.span), r.message) for r in finding.related)
        return replace(finding, span=self.span(finding.span), related=related)
