"""Child iteration for the hot paths: like `ast.iter_child_nodes`, without the `ctx` markers
(`Load`, `Store`) that make up a third of a tree and never matter here."""
from __future__ import annotations

import ast
from typing import Iterator

SKIPPED_FIELDS = frozenset({"ctx", "type_comment", "type_ignores", "kind"})
_FIELDS: dict[type, tuple[str, ...]] = {}


def children(node: ast.AST) -> Iterator[ast.AST]:
    kind = type(node)
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f for f in kind._fields if f not in SKIPPED_FIELDS)
    for name in names:
        value = getattr(node, name, None)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    yield item
        elif isinstance(value, ast.AST):
            yield value
