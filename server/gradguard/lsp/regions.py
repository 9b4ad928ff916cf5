"""What the hover needs from the code, computed in a worker after each analysis:
- where gradients are disabled, and by which statement (the "region" hover): a small `ast` walk over
  `with` blocks, decorators and plain `torch.set_grad_enabled(False)` calls, until the dataflow engine
  exposes the same as a query;
- which names resolve to an API the hover explains: `torch.no_grad` however imported, `.eval()` and
  `.train()` only where they are module calls (not `args.train`).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator, Optional

from ..dataflow.models import module_method_receiver
from ..dataflow.names import Names
from ..vocabulary import GRAD_MODE_APIS, GRAD_OFF_APIS

DISABLING = frozenset(GRAD_OFF_APIS)
ENABLING = frozenset({"torch.enable_grad"})
SWITCH = "torch.set_grad_enabled"
DECORATOR_BARE_FORMS = GRAD_MODE_APIS - {SWITCH}  # usable as `@torch.no_grad` without the call
GATE = tuple(api.rsplit(".", 1)[1] for api in GRAD_MODE_APIS)  # the names the text must contain


@dataclass(frozen=True)
class GradRegion:
    """0-based lines [first_line, last_line] run with gradients off (or back on, when `disables` is False)."""

    first_line: int
    last_line: int
    disables: bool
    statement: str  # as written, e.g. "with torch.no_grad()"
    anchor_line: int  # 0-based line of that statement

    def describe(self, anchor_label: str) -> str:
        return f"gradients are disabled here by `{self.statement}` ({anchor_label})"


@dataclass(frozen=True)
class ApiName:
    """A name that resolves to an API the hover explains: 0-based `line`, code-point columns [start, end)."""

    line: int
    start_col: int
    end_col: int
    api: str  # "torch.no_grad", "Module.eval", "Tensor.detach", "requires_grad"...


@dataclass(frozen=True)
class HoverFacts:
    regions: list[GradRegion]
    api_names: list[ApiName]


def hover_facts(source: str) -> HoverFacts:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return HoverFacts([], [])
    names, lines = Names(tree), source.splitlines()
    regions = list(_regions(tree, names, lines)) if any(name in source for name in GATE) else []
    return HoverFacts(regions, list(_api_names(tree, names, lines)))


def _api_names(tree: ast.Module, names: Names, lines: list[str]) -> Iterator[ApiName]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Name, ast.Attribute)) and names.qualified(node) in GRAD_MODE_APIS:
            yield _name_at(lines, node, names.qualified(node))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method in ("eval", "train") and module_method_receiver(node) is not None:
                yield _name_at(lines, node.func, f"Module.{method}")
            elif method == "detach" and not (node.args or node.keywords):
                yield _name_at(lines, node.func, "Tensor.detach")
            elif method == "requires_grad_":
                yield _name_at(lines, node.func, "requires_grad")
        if isinstance(node, ast.Attribute) and node.attr == "requires_grad":
            yield _name_at(lines, node, "requires_grad")


def _name_at(lines: list[str], node: ast.expr, api: str) -> ApiName:
    """The last identifier of `node` (`no_grad` of `torch.no_grad`), which ends where the node ends."""
    identifier = node.attr if isinstance(node, ast.Attribute) else node.id  # type: ignore[union-attr]
    line = (node.end_lineno or node.lineno) - 1
    end_byte = node.end_col_offset or 0
    end = len(lines[line].encode("utf-8")[:end_byte].decode("utf-8", errors="replace")) if line < len(lines) else end_byte
    return ApiName(line, end - len(identifier), end, api)


def innermost(regions: list[GradRegion], line: int) -> Optional[GradRegion]:
    containing = [r for r in regions if r.first_line <= line <= r.last_line]
    return max(containing, key=lambda r: (r.first_line, -r.last_line), default=None)


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, nested ones included; expressions are not visited (regions start at statements)."""
    for statement in body:
        yield statement
        for name in ("body", "orelse", "finalbody"):
            nested = getattr(statement, name, None)
            if isinstance(nested, list):
                yield from _statements(nested)
        for handler in getattr(statement, "handlers", ()):
            yield from _statements(handler.body)
        for case in getattr(statement, "cases", ()):
            yield from _statements(case.body)


def _regions(tree: ast.Module, names: Names, lines: list[str]) -> Iterator[GradRegion]:
    yield from _switched_off(tree.body, names, lines)
    for node in _statements(tree.body):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                disables = _mode_of_call(item.context_expr, names)
                if disables is not None:
                    yield from _body_region(node, disables, f"with {_text(lines, item.context_expr)}")
        elif isinstance(node, ast.FunctionDef):  # on `async def` the decorator has no effect inside
            for decorator in node.decorator_list:
                disables = _mode_of_decorator(decorator, names)
                if disables is not None:
                    yield from _body_region(node, disables, f"@{_text(lines, decorator)}", decorator.lineno - 1)
        for name in ("body", "orelse", "finalbody"):
            nested = getattr(node, name, None)
            if isinstance(nested, list):
                yield from _switched_off(nested, names, lines)


def _switched_off(body: list[ast.stmt], names: Names, lines: list[str]) -> Iterator[GradRegion]:
    """A plain `torch.set_grad_enabled(False)` statement lasts until switched back, or until an enclosing
    grad-mode `with` block exits (TORCH-FACTS 10)."""
    for index, statement in enumerate(body):
        if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
            continue
        call = statement.value
        if names.qualified(call.func) != SWITCH or _flag(call) is not False:
            continue
        rest = body[index + 1:]
        if not rest:
            continue
        switched_back = next((s for s in rest if _is_switch(s, names, True)), None)
        last_line = switched_back.lineno - 2 if switched_back else (rest[-1].end_lineno or rest[-1].lineno) - 1
        covered = rest[:rest.index(switched_back)] if switched_back else rest
        for first, last in _outside_functions(rest[0].lineno - 1, last_line, covered):
            yield GradRegion(first, last, True, _text(lines, call), statement.lineno - 1)


def _is_switch(statement: ast.stmt, names: Names, flag: bool) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and names.qualified(statement.value.func) == SWITCH
        and _flag(statement.value) is flag
    )


def _body_region(node: ast.AST, disables: bool, statement: str, anchor_line: Optional[int] = None) -> Iterator[GradRegion]:
    body = node.body  # type: ignore[attr-defined]
    for first, last in _outside_functions(body[0].lineno - 1, (node.end_lineno or node.lineno) - 1, body):
        yield GradRegion(first, last, disables, statement, node.lineno - 1 if anchor_line is None else anchor_line)


def _outside_functions(first_line: int, last_line: int, body: list[ast.stmt]) -> Iterator[tuple[int, int]]:
    """The 0-based line ranges of [first_line, last_line] outside the bodies of functions defined in `body`:
    a function body runs when it is called, maybe in another thread, with the mode of that moment
    (TORCH-FACTS 12, 14), not with the mode of the block that defines it."""
    start = first_line
    for inner in _outermost_functions(body):
        inner_first, inner_last = inner.body[0].lineno - 1, (inner.end_lineno or inner.lineno) - 1
        if inner_first > start:
            yield start, inner_first - 1
        start = max(start, inner_last + 1)
    if start <= last_line:
        yield start, last_line


def _outermost_functions(body: list[ast.stmt]) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield statement
            continue
        for name in ("body", "orelse", "finalbody"):
            nested = getattr(statement, name, None)
            if isinstance(nested, list):
                yield from _outermost_functions(nested)
        for handler in getattr(statement, "handlers", ()):
            yield from _outermost_functions(handler.body)
        for case in getattr(statement, "cases", ()):
            yield from _outermost_functions(case.body)


def _mode_of_call(expr: ast.expr, names: Names) -> Optional[bool]:
    """True: the call disables gradients; False: it enables them; None: not a grad-mode call."""
    if not isinstance(expr, ast.Call):
        return None
    name = names.qualified(expr.func)
    if name in DISABLING:
        return _flag(expr) is not False  # inference_mode(False) leaves inference mode
    if name in ENABLING:
        return False
    if name == SWITCH:
        flag = _flag(expr)
        return None if flag is None else not flag
    return None


def _mode_of_decorator(decorator: ast.expr, names: Names) -> Optional[bool]:
    if not isinstance(decorator, ast.Call) and names.qualified(decorator) in DECORATOR_BARE_FORMS:
        return names.qualified(decorator) in DISABLING
    return _mode_of_call(decorator, names)


def _flag(call: ast.Call) -> Optional[bool]:
    """The literal bool passed as the first argument (or `mode=`), True when absent, None when unknown."""
    argument = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "mode"), None)
    if argument is None:
        return True
    if isinstance(argument, ast.Constant) and isinstance(argument.value, bool):
        return argument.value
    return None


def _text(lines: list[str], node: ast.AST) -> str:
    """The node as written when it fits on one line (`ast` columns count UTF-8 bytes), else unparsed."""
    if node.lineno == node.end_lineno and node.lineno <= len(lines):
        encoded = lines[node.lineno - 1].encode("utf-8")
        return encoded[node.col_offset:node.end_col_offset].decode("utf-8", errors="replace")
    return " ".join(ast.unparse(node).split())
