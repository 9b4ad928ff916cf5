"""Questions several rules ask of the dataflow facts, answered once."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..dataflow.events import CallEvent
from ..dataflow.facts import ModuleFacts
from ..dataflow.functions import FunctionFacts
from ..dataflow.names import dotted
from ..dataflow.state import Grad, Setting, only
from ..report import Report


def forward_passes(facts: ModuleFacts) -> Iterator[tuple[FunctionFacts, CallEvent]]:
    """Forward passes, except a module's calls of its own submodules: in `forward` or in a helper
    method such as `predict_masks`, they are part of the model's computation, whose grad mode and
    training mode belong to whoever calls the model (not evaluation code of their own)."""
    for fn in facts.functions:
        if fn.framework_hook:
            continue
        own_module = fn.cls is not None and fn.cls.name in facts.module_classes
        for event in fn.call_events():
            if event.model is None or (own_module and (fn.name == "forward" or event.model.startswith("self."))):
                continue
            yield fn, event


def grad_disabled(event: CallEvent) -> bool:
    return only(event.state.grad, Grad.DISABLED)


def grad_enabled(event: CallEvent) -> bool:
    return only(event.state.grad, Grad.ENABLED)


def describe_grad(setting: Setting, report: Report) -> str:
    """'the `with` block (line 12)' for messages and related locations."""
    origin = setting.origin
    where = f" ({report.line(origin)})" if origin is not None else ""
    if setting.via == "decorator":
        return f"the function's decorator{where}"
    if setting.via == "framework":
        return "the framework hook"
    if setting.via == "call":
        return f"`set_grad_enabled(...)`{where}"
    if setting.via == "callee":
        return f"the call{where}"
    if setting.via == "with":
        return f"the `with` block{where}"
    return f"the callers' context{where}"


def mode_switched_by(setting: Setting, report: Report) -> str:
    line = report.line(setting.origin)
    if setting.via == "callee":
        call = setting.origin
        name = dotted(call.func) if isinstance(call, ast.Call) else None
        return f"`{name}()` (called at {line})"
    return f"the call at {line}"


def statement_of(fn: FunctionFacts, node: ast.stmt | ast.expr) -> ast.stmt | ast.expr:
    """The innermost statement of `fn` that holds `node` (`node` itself when none does)."""
    if isinstance(node, ast.stmt):
        return node
    best = None
    for stmt in ast.walk(fn.node):
        if (
            isinstance(stmt, ast.stmt)
            and stmt.lineno <= node.lineno <= (stmt.end_lineno or stmt.lineno)
            and (not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or stmt is fn.node)
            and (best is None or stmt.lineno >= best.lineno)
        ):
            best = stmt
    return best if best is not None else node
