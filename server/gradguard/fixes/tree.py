"""The libcst side of a fix: parse once per source, find the node a finding points at, edit blocks.

libcst positions are 1-based lines and 0-based code-point columns; findings use 0-based lines.
The conversion happens here and nowhere else.
"""
from __future__ import annotations

from dataclasses import fields
from functools import lru_cache
from typing import Callable, Optional, Sequence, Union

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, ParentNodeProvider, PositionProvider

from ..findings import Applicability, Fix, Span
from .text import edits_between

Block = Union[cst.Module, cst.IndentedBlock]


class SourceTree:
    def __init__(self, source: str) -> None:
        self.source = source
        self.module = cst.parse_module(source)
        # libcst takes the indentation of a new block from the file's first indented line, form feed
        # included; Python resets the column at a form feed, so inside an indentation it breaks the block.
        self.block_indent = self.module.default_indent.rsplit("\x0c", 1)[-1]
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        self.positions: dict[cst.CSTNode, CodeRange] = dict(wrapper.resolve(PositionProvider))
        self.parents: dict[cst.CSTNode, cst.CSTNode] = dict(wrapper.resolve(ParentNodeProvider))

    def smallest(self, span: Span, kind: Callable[[cst.CSTNode], bool]) -> Optional[cst.CSTNode]:
        """The innermost node of the given kind whose range holds the span."""
        start, end = (span.start_line + 1, span.start_col), (span.end_line + 1, span.end_col)
        best, best_size = None, None
        for node, where in self.positions.items():
            node_start = (where.start.line, where.start.column)
            node_end = (where.end.line, where.end.column)
            if node_start <= start and end <= node_end and kind(node):
                size = (node_end[0] - node_start[0], node_end[1] - node_start[1])
                if best_size is None or size < best_size:
                    best, best_size = node, size
        return best

    def ancestors(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        """Parent first, module last."""
        chain = []
        while node in self.parents:
            node = self.parents[node]
            chain.append(node)
        return chain

    def statement_of(self, node: cst.CSTNode) -> Optional[tuple[cst.BaseStatement, Block, int]]:
        """The innermost statement of a block (module or indented body) that holds `node`."""
        for candidate in [node, *self.ancestors(node)]:
            parent = self.parents.get(candidate)
            if isinstance(parent, (cst.Module, cst.IndentedBlock)) and isinstance(candidate, cst.BaseStatement):
                return candidate, parent, _index(parent.body, candidate)
        return None

    def statement_at_line(self, line: int) -> Optional[tuple[cst.BaseStatement, Block, int]]:
        """The outermost block statement that starts on 0-based `line`."""
        found = [
            node for node, where in self.positions.items()
            if where.start.line == line + 1 and isinstance(self.parents.get(node), (cst.Module, cst.IndentedBlock))
            and isinstance(node, cst.BaseStatement)
        ]
        if not found:
            return None
        node = min(found, key=lambda n: len(self.ancestors(n)))
        parent = self.parents[node]
        return node, parent, _index(parent.body, node)  # type: ignore[union-attr]

    def start_line(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line - 1

    def replace_block_body(self, block: Block, body: Sequence[cst.BaseStatement]) -> cst.Module:
        return self.replace(block, block.with_changes(body=list(body)))

    def replace(self, old: cst.CSTNode, new: cst.CSTNode) -> cst.Module:
        """The module with `old` replaced: rebuilds only the ancestors (a `deep_replace` walks the whole tree)."""
        for parent in self.ancestors(old):
            old, new = parent, _with_child(parent, old, new)
        return new  # type: ignore[return-value]

    def fix(self, title: str, applicability: Applicability, new_module: cst.Module, preferred: bool = False) -> Optional[Fix]:
        edits = edits_between(self.source, new_module.code)
        return Fix(title, applicability, edits, preferred) if edits else None


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


@lru_cache(maxsize=4)
def source_tree(source: str) -> Optional[SourceTree]:
    """Parsed once per text: a fix-all round asks for the fixes of every finding of one file."""
    try:
        return SourceTree(source)
    except (cst.ParserSyntaxError, RecursionError):
        return None


def move_leading_lines(new: cst.BaseStatement, old: cst.BaseStatement) -> tuple[cst.BaseStatement, cst.BaseStatement]:
    """A statement inserted before `old` takes over the comments and blank lines above `old`."""
    return (
        new.with_changes(leading_lines=[*old.leading_lines, *new.leading_lines]),  # type: ignore[attr-defined]
        old.with_changes(leading_lines=[]),
    )


def code_of(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)
