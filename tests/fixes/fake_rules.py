"""A stand-in analysis for the engine's own tests: finds GG101/GG102/GG103/GG201 the simple way,
with the spans and data the real rules report, so fix composition is tested without them."""

from __future__ import annotations

import ast

from gradguard import Config, Finding, Span
from support import SLUGS

GRAD_MODES = {"no_grad", "inference_mode", "enable_grad"}


def fake_analyze(source: str, path: str = "<string>", config: Config = Config()) -> list[Finding]:
    tree = ast.parse(source)
    found: list[Finding] = []
    _walk(tree, found, in_grad_off=False, function=None)
    return sorted(found, key=lambda f: (f.span, f.code))


def _walk(node: ast.AST, found: list[Finding], in_grad_off: bool, function: str | None) -> None:
    for child in ast.iter_child_nodes(node):
        grad_off, name = in_grad_off, function
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = child.name
            grad_off = any(isinstance(d, ast.Call) and _attr(d.func) in GRAD_MODES for d in child.decorator_list)
        if isinstance(child, ast.With):
            for item in child.items:
                if _attr(item.context_expr) in GRAD_MODES:
                    found.append(_finding("GG101", item.context_expr))
                grad_off = (
                    grad_off
                    or _attr(item.context_expr) in GRAD_MODES
                    or (isinstance(item.context_expr, ast.Call) and _attr(item.context_expr.func) in GRAD_MODES)
                )
        if isinstance(child, ast.Expr):
            if _attr(child.value) in ("eval", "train"):
                found.append(_finding("GG103", child))
            if isinstance(child.value, ast.Call) and _attr(child.value.func) in GRAD_MODES:
                found.append(_finding("GG102", child))
        if (
            isinstance(child, ast.Call)
            and isinstance(child.func, ast.Name)
            and child.func.id == "model"
            and not in_grad_off
        ):
            found.append(_finding("GG201", child, function=name))
        _walk(child, found, grad_off, name)


def _attr(node: ast.AST) -> str | None:
    return node.attr if isinstance(node, ast.Attribute) else None


def _finding(code: str, node: ast.AST, **data: object) -> Finding:
    span = Span(node.lineno - 1, node.col_offset, node.end_lineno - 1, node.end_col_offset)  # type: ignore[operator]
    return Finding(code, SLUGS[code], "warning", "message", span, (), data)  # type: ignore[arg-type]
