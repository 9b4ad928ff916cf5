"""The libcst side of a fix: parse once per source, find the node a finding points at, edit blocks.

libcst positions are 1-based lines and 0-based code-point columns; findings use 0-based lines.
The conversion happens here and nowhere else.
"""

from __future__ import annotations

import ast
import bisect
from collections import deque
from collections.abc import Sequence
from dataclasses import fields
from functools import cached_property, lru_cache
from typing import Callable, Union

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, ParentNodeProvider, PositionProvider

from ..findings import Applicability, Edit, Fix, Span
from ..lines import LINE_BREAK
from .text import edits_between

Block = Union[cst.Module, cst.IndentedBlock]
MODULE_PARTS = ("header", "footer", "encoding", "default_indent", "default_newline", "has_trailing_newline")


class SourceTree:
    def __init__(self, source: str, earlier: SourceTree | None = None) -> None:
        """`earlier`: the tree of a text this one was edited from; the statements an edit left alone are
        taken from it (`_reparsed`) instead of parsed again, which costs seconds on a large file."""
        self.source = source
        reparsed = _reparsed(earlier, source) if earlier is not None else None
        self.parsed_whole = reparsed is None
        if reparsed is not None:
            self.module, self.__dict__["_statement_starts"] = reparsed  # the cached property, computed
        else:
            self.module = cst.parse_module(source)
        # libcst takes the indentation of a new block from the file's first indented line, form feed
        # included; Python resets the column at a form feed, so inside an indentation it breaks the block.
        self.block_indent = self.module.default_indent.rsplit("\x0c", 1)[-1]
        # Positions and parents cost four times the parse for a whole module, so they are resolved one
        # top-level statement at a time, when a fix first looks into it (`load`).
        self.positions: dict[cst.CSTNode, CodeRange] = {}
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self._loaded: set[int] = set()
        if self._statement_starts is None:  # laid out otherwise: the whole module at once
            self._resolve(self.module, 0)
            self._loaded.update(range(len(self.module.body)))

    def load(self, line: int) -> None:
        """Resolve the positions and parents of the top-level statement that holds 0-based `line`."""
        self._load_statement(max(self._statement_index(line), 0))

    def _load_statement(self, index: int) -> None:
        if index not in self._loaded and index < len(self.module.body):
            self._loaded.add(index)
            alone = self.module.with_changes(body=[self.module.body[index]], header=(), footer=())
            self._resolve(alone, self._top_level_lines[index])

    def _resolve(self, module: cst.Module, first_line: int) -> None:
        """`module`'s metadata, its lines moved down by `first_line`, its statements' parent `self.module`."""
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        for node, where in wrapper.resolve(PositionProvider).items():
            if node is not module:
                self.positions[node] = (
                    where
                    if not first_line
                    else CodeRange(
                        CodePosition(where.start.line + first_line, where.start.column),
                        CodePosition(where.end.line + first_line, where.end.column),
                    )
                )
        for node, parent in wrapper.resolve(ParentNodeProvider).items():
            self.parents[node] = self.module if parent is module else parent

    def smallest(self, span: Span, kind: Callable[[cst.CSTNode], bool]) -> cst.CSTNode | None:
        """The innermost node of the given kind whose range holds the span (the outermost of equal ones).
        Found by descending from the module into the child that holds the span: the nodes that hold
        it are one chain, and a large file has too many nodes to try them all for each quick fix."""
        start, end = (span.start_line + 1, span.start_col), (span.end_line + 1, span.end_col)
        self.load(span.start_line)
        best, best_size = None, None
        node: cst.CSTNode | None = self.module
        while node is not None:
            where = self.positions.get(node)
            if where is not None and kind(node):
                size = (where.end.line - where.start.line, where.end.column - where.start.column)
                if best_size is None or size < best_size:
                    best, best_size = node, size
            # a module's other children are blank lines and comments; `children` would visit every statement
            children = node.body if isinstance(node, cst.Module) else node.children
            node = next((child for child in children if self._holds(child, start, end)), None)
        return best

    def _holds(self, node: cst.CSTNode, start: tuple[int, int], end: tuple[int, int]) -> bool:
        where = self.positions.get(node)
        return (
            where is not None
            and (where.start.line, where.start.column) <= start
            and end <= (where.end.line, where.end.column)
        )

    def ancestors(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        """Parent first, module last."""
        chain = []
        while node in self.parents:
            node = self.parents[node]
            chain.append(node)
        return chain

    def statement_of(self, node: cst.CSTNode) -> tuple[cst.BaseStatement, Block, int] | None:
        """The innermost statement of a block (module or indented body) that holds `node`."""
        for candidate in [node, *self.ancestors(node)]:
            parent = self.parents.get(candidate)
            if isinstance(parent, (cst.Module, cst.IndentedBlock)) and isinstance(candidate, cst.BaseStatement):
                return candidate, parent, _index(parent.body, candidate)
        return None

    def statement_at_line(self, line: int) -> tuple[cst.BaseStatement, Block, int] | None:
        """The outermost block statement that starts on 0-based `line`. Searched breadth first from the
        top-level statement that holds the line, into the nodes that span it only: a search of every
        node resolved so far would grow with the file for each fix."""
        self.load(line)
        level: Sequence[cst.CSTNode] = self.module.body[max(self._statement_index(line), 0) :][:1]
        while level:
            for node in level:
                where = self.positions[node]
                parent = self.parents.get(node)
                if (
                    where.start.line == line + 1
                    and isinstance(node, cst.BaseStatement)
                    and isinstance(parent, (cst.Module, cst.IndentedBlock))
                ):
                    return node, parent, _index(parent.body, node)
            level = [
                child
                for node in level
                for child in node.children
                if child in self.positions
                and self.positions[child].start.line <= line + 1 <= self.positions[child].end.line
            ]
        return None

    def _statement_index(self, line: int) -> int:
        """The last top-level statement whose code begins at or before 0-based `line`; -1 if none."""
        return bisect.bisect_right(self._top_level_lines, line) - 1

    @cached_property
    def _top_level_lines(self) -> list[int]:
        """0-based line where each top-level statement's code (leading comments included) begins."""
        starts = self._statement_starts
        if starts is None:
            return [self.positions[statement].start.line - 1 for statement in self.module.body]
        return [line for _, line in starts[:-1]]

    def start_line(self, node: cst.CSTNode) -> int:
        if node not in self.positions:  # a top-level statement after the one a fix looked into
            self._load_statement(_index(self.module.body, node))
        return self.positions[node].start.line - 1

    def replace_block_body(self, block: Block, body: Sequence[cst.BaseStatement]) -> cst.Module:
        return self.replace(block, block.with_changes(body=list(body)))

    def replace(self, old: cst.CSTNode, new: cst.CSTNode) -> cst.Module:
        """The module with `old` replaced: rebuilds only the ancestors (a `deep_replace` walks the whole tree)."""
        for parent in self.ancestors(old):
            old, new = parent, _with_child(parent, old, new)
        return new  # type: ignore[return-value]  # the last ancestor: the Module

    def fix(
        self,
        title: str,
        applicability: Applicability,
        new_module: cst.Module,
        preferred: bool = False,
        isolation: tuple[str, int] | None = None,
    ) -> Fix | None:
        if "\x0c" in self.source and not _parses(new_module.code):
            return None  # a form feed in a moved line's indentation resets Python's column count: no fix
        edits = self._changed_statements(new_module)
        if edits is None:
            if self.module.code != self.source:  # libcst drops blank lines before a last one of spaces
                return None
            edits = edits_between(self.source, new_module.code)
        return Fix(title, applicability, edits, preferred, isolation) if edits else None

    def _changed_statements(self, new_module: cst.Module) -> tuple[Edit, ...] | None:
        """The edits of `new_module`, generating code only for the top-level statements that differ
        (a fix rebuilds only the ancestors of what it changes, so the others are the same objects):
        a quick fix in a large file need not regenerate all of it. None when the module's own parts
        (header, footer, layout) changed or its code is not the concatenation of its statements."""
        old_body, new_body = self.module.body, new_module.body
        starts = self._statement_starts
        if starts is None or any(getattr(new_module, name) is not getattr(self.module, name) for name in MODULE_PARTS):
            return None
        head = 0
        while head < min(len(old_body), len(new_body)) and old_body[head] is new_body[head]:
            head += 1
        tail = 0
        while tail < min(len(old_body), len(new_body)) - head and old_body[-1 - tail] is new_body[-1 - tail]:
            tail += 1
        (start, first_line), (end, _) = starts[head], starts[len(old_body) - tail]
        new_code = "".join(new_module.code_for_node(statement) for statement in new_body[head : len(new_body) - tail])
        return tuple(
            Edit(
                Span(e.span.start_line + first_line, e.span.start_col, e.span.end_line + first_line, e.span.end_col),
                e.new_text,
            )
            for e in edits_between(self.source[start:end], new_code)
        )

    @cached_property
    def _statement_starts(self) -> list[tuple[int, int]] | None:
        """(offset, 0-based line) where each top-level statement's code (leading comments included) begins,
        and where the last one ends; None when the source is not laid out that way."""
        pieces = [self.module.code_for_node(statement) for statement in self.module.body]
        offset = self.source.find("".join(pieces))
        if offset == -1 or not self.module.has_trailing_newline:
            return None
        starts = [(offset, len(LINE_BREAK.findall(self.source, 0, offset)))]
        for piece in pieces:
            offset, line = starts[-1]
            starts.append((offset + len(piece), line + len(LINE_BREAK.findall(piece))))
        return starts


def _reparsed(earlier: SourceTree, source: str) -> tuple[cst.Module, list[tuple[int, int]]] | None:
    """`source` as a module whose top-level statements are `earlier`'s, but for those an edit touched and
    one on each side (an edit may join a line to the statement before it), which are parsed again alone,
    with their statement starts. None when that would not give what parsing the whole source gives:
    the edit reaches the module's header or footer, the statements parsed again do not stand alone
    (their text ends inside a bracket, has lines after the last statement, or indents otherwise), or
    they are most of the file anyway."""
    old, starts, body = earlier.source, earlier._statement_starts, earlier.module.body
    if starts is None or source == old:
        return None
    offsets = [offset for offset, _ in starts]
    prefix = _common_prefix(old, source)
    changed_end = len(old) - _common_suffix(old, source, min(len(old), len(source)) - prefix)
    if prefix < offsets[0] or changed_end > offsets[-1]:
        return None
    first = max(bisect.bisect_right(offsets, prefix) - 2, 0)
    last = min(bisect.bisect_left(offsets, changed_end) + 1, len(body))
    start, end, grown = offsets[first], offsets[last], len(source) - len(old)
    if 2 * (end - start) > len(old):
        return None
    text = source[start : end + grown]
    try:
        part = cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError):
        return None
    module = earlier.module
    if (
        not part.body
        or part.footer
        or (part.header and first == 0)  # in the whole module, the header's
        or (part.default_indent, part.default_newline) != (module.default_indent, module.default_newline)
    ):
        return None
    statements = list(part.body)
    if part.header:  # lines above the first statement belong to it when other statements come before it
        statements[0] = statements[0].with_changes(leading_lines=[*part.header, *statements[0].leading_lines])
    pieces = [part.code_for_node(statement) for statement in statements]
    if "".join(pieces) != text:
        return None
    new_starts = starts[: first + 1]
    for piece in pieces:
        offset, line = new_starts[-1]
        new_starts.append((offset + len(piece), line + len(LINE_BREAK.findall(piece))))
    moved = new_starts[-1][1] - starts[last][1]
    new_starts.extend((offset + grown, line + moved) for offset, line in starts[last + 1 :])
    return module.with_changes(body=[*body[:first], *statements, *body[last:]]), new_starts


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix, by halving (string comparisons run in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the longest common suffix, at most `limit`."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle :] == b[len(b) - middle :]:
            low = middle
        else:
            high = middle - 1
    return low


def _with_child(parent: cst.CSTNode, old: cst.CSTNode, new: cst.CSTNode) -> cst.CSTNode:
    for field in fields(parent):
        value = getattr(parent, field.name)
        if value is old:
            return parent.with_changes(**{field.name: new})
        if isinstance(value, (list, tuple)) and any(item is old for item in value):
            return parent.with_changes(**{field.name: type(value)(new if item is old else item for item in value)})
    raise LookupError(f"{type(old).__name__} is no child of {type(parent).__name__}")


def _index(body: Sequence[cst.CSTNode], node: cst.CSTNode) -> int:
    return next(i for i, item in enumerate(body) if item is node)


# The trees parsed last, newest first: the next text is most likely an edit of one of them (the editor's
# next version of a document, the next round of a fix-all).
_recent: deque[SourceTree] = deque(maxlen=4)


@lru_cache(maxsize=4)
def source_tree(source: str) -> SourceTree | None:
    """Parsed once per text: a fix-all round asks for the fixes of every finding of one file. A text
    edited from one parsed lately re-parses only what the edit touched."""
    earlier = max(_recent, key=lambda tree: _shared_length(tree.source, source), default=None)
    try:
        tree = SourceTree(source, earlier)
    except (cst.ParserSyntaxError, RecursionError):
        return None
    _recent.appendleft(tree)
    return tree


def _shared_length(a: str, b: str) -> int:
    prefix = _common_prefix(a, b)
    return prefix + _common_suffix(a, b, min(len(a), len(b)) - prefix)


def move_leading_lines(new: cst.BaseStatement, old: cst.BaseStatement) -> tuple[cst.BaseStatement, cst.BaseStatement]:
    """A statement inserted before `old` takes over the comments and blank lines above `old`."""
    return (
        new.with_changes(leading_lines=[*old.leading_lines, *new.leading_lines]),  # type: ignore[attr-defined]  # statement lines
        old.with_changes(leading_lines=[]),
    )


def code_of(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True
