"""Child iteration for the hot paths: like `ast.iter_child_nodes`, without the `ctx` markers
(`Load`, `Store`) that make up a third of a tree and never matter here."""
from __future__ import annotations

import ast
from typing import Iterator

SKIPPED_FIELDS = frozenset({"ctx", "type_comment", "type_ignores", "kind"})
_FIELDS: dict[type, tuple[str, ...]] = {}


def children(node: ast.AST) -> Iterator[ast.AST]:
    for name in _fields(type(node)):
        value = getattr(node, name, None)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    yield item
        elif isinstance(value, ast.AST):
            yield value


def descendants(roots: list[ast.AST], skipped: tuple[type, ...]) -> list[ast.AST]:
    """`roots` and every node below them, depth first and last child first, neither entering nor
    listing nodes of the `skipped` types. A loop rather than a generator over `children`: a
    function's nodes are listed once per analysis, but there are millions of them."""
    found = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        if not isinstance(node, ast.AST) or isinstance(node, skipped):
            continue  # strings of `global` names and `match` keywords, constants' values
        found.append(node)
        for name in _fields(type(node)):
            value = getattr(node, name, None)
            if value.__class__ is list:
                stack.extend(value)
            elif value is not None:
                stack.append(value)
    return found


def _fields(kind: type) -> tuple[str, ...]:
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f for f in kind._fields if f not in SKIPPED_FIELDS)
    return names
