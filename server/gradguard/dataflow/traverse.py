"""Child iteration for the hot paths: like `ast.iter_child_nodes`, reading only the fields that
can hold nodes, and without the `ctx` markers (`Load`, `Store`) that make up a third of a tree
and never matter here."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

from .events import FunctionNode

SKIPPED_FIELDS = frozenset({"ctx", "type_ignores"})
# Each node class's docstring is its ASDL signature, `Name(identifier id, expr_context ctx)`
# (Python 3.9 to 3.13): fields of these types hold names, numbers and constants, never nodes.
SCALAR_TYPES = frozenset({"identifier", "string", "constant", "int"})
FIELD_SIGNATURE = re.compile(r"(\w+)[*?]? (\w+)")
_NODE_FIELDS: dict[type, tuple[str, ...] | None] = {}
STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def node_fields(kind: type) -> tuple[str, ...] | None:
    """The fields of a node type that may hold nodes (or lists of them); None for what is not a node."""
    try:
        return _NODE_FIELDS[kind]
    except KeyError:
        pass
    names = None
    if issubclass(kind, ast.AST):
        signature = (kind.__doc__ or "").split("\n", 1)[0]
        types = {field: kind_name for kind_name, field in FIELD_SIGNATURE.findall(signature)}
        names = tuple(f for f in kind._fields if f not in SKIPPED_FIELDS and types.get(f) not in SCALAR_TYPES)
    _NODE_FIELDS[kind] = names
    return names


def children(node: ast.AST) -> list[ast.AST]:
    found: list[ast.AST] = []
    for name in node_fields(type(node)) or ():
        value: Any = getattr(node, name, None)
        if value.__class__ is list:
            found.extend(item for item in value if item is not None)  # the key of `**mapping` in a dict
        elif value is not None:
            found.append(value)
    return found


def descendants(roots: list[ast.AST], skipped: tuple[type, ...]) -> list[ast.AST]:
    """`roots` and every node below them, depth first and last child first, neither entering nor
    listing nodes of the `skipped` types. A loop rather than a generator over `children`: a
    function's nodes are listed once per analysis, but there are millions of them."""
    skipped_types = frozenset(skipped)  # exact types: `ast.parse` makes no subclasses
    fields_of = _NODE_FIELDS
    found = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        kind = node.__class__
        if kind in skipped_types:
            continue
        names = fields_of[kind] if kind in fields_of else node_fields(kind)
        if names is None:
            continue  # the None key of `**mapping` in a dict
        found.append(node)
        for name in names:
            value: Any = getattr(node, name, None)
            if value.__class__ is list:
                stack.extend(value)
            elif value is not None:
                stack.append(value)
    return found


def statements_within(node: ast.AST) -> list[ast.stmt]:
    """Every statement inside `node`, at any depth, in source order, without walking expressions (cheap)."""
    found = []
    stack = nested_statements(node)[::-1]
    while stack:
        stmt = stack.pop()
        found.append(stmt)
        nested = nested_statements(stmt)
        if nested:
            stack.extend(reversed(nested))
    return found


def nested_statements(node: ast.AST) -> list[ast.stmt]:
    """The statements of `node`'s blocks (its body, `else:`, `finally:`, except handlers, match cases)."""
    nested: list[ast.stmt] = []
    for name in _statement_fields(type(node)):
        for child in getattr(node, name):
            if isinstance(child, ast.stmt):
                nested.append(child)
            else:  # except handlers and match cases hold statements
                nested.extend(child.body)
    return nested


def _statement_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    fields = _STATEMENT_FIELDS.get(kind)
    if fields is None:
        fields = _STATEMENT_FIELDS[kind] = tuple(name for name in STATEMENT_LISTS if name in kind._fields)
    return fields


_STATEMENT_FIELDS: dict[type, tuple[str, ...]] = {}


def local_definitions(node: FunctionNode) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
    """Functions and classes defined in this body (at any depth of blocks, not inside other defs).
    Definitions are statements: only statement lists are searched, never expressions."""
    stack = list(node.body) if not isinstance(node, ast.Lambda) else []
    while stack:
        child = stack.pop()
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield child
            continue
        stack.extend(nested_statements(child))


def nodes_outside_definitions(node: FunctionNode) -> list[ast.AST]:
    """Every node of this function's body, not descending into nested defs, classes or lambdas."""
    return descendants(list(children(node)) if not isinstance(node, ast.Lambda) else [node.body], DEFINITIONS)
