"""Questions several rules ask of the dataflow facts, answered once."""
from __future__ import annotations

import ast
import os
import re
from typing import Iterator

from ..dataflow.events import CallEvent
from ..dataflow.facts import FunctionFacts, ModuleFacts, is_training_step
from ..dataflow.names import dotted
from ..dataflow.state import Grad, Mode, Setting, first_origin, only
from ..vocabulary import GRADIENT_ATTRS, GRADIENT_CONSUMER_PREFIXES, GRADIENT_CONSUMERS

TEST_FILE = re.compile(r"(^|[\\/])(test_[^\\/]*|[^\\/]*_test|conftest)\.py$|(^|[\\/])tests?[\\/]")


def needs_gradients(facts: ModuleFacts, fn: FunctionFacts, event: CallEvent) -> bool:
    """Code that may consume this forward pass's graph backpropagates, reads `.grad`, or asks
    autograd for gradients (SPEC "Gradients needed"): code after it in its function, or anywhere
    in a loop around it (the next iteration). Training code that ran *before* an evaluation
    (a notebook, a script) does not count."""
    line = event.node.lineno
    loops = [loop.node for loop in fn.loops.values() if loop.node.lineno <= line <= (loop.node.end_lineno or line)]
    if event.loop_val is not None:
        loops = [event.loop_val]  # a validation loop is its own scope
    start = min([line, *(loop.lineno for loop in loops)])

    def after(node: ast.AST) -> bool:
        return getattr(node, "lineno", 0) >= start

    return any(after(node) and _consumes_gradients(facts, node) for node in facts.own_nodes(fn)) or any(
        after(e.node) and is_training_step(e) for e in fn.call_events())


def _consumes_gradients(facts: ModuleFacts, node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in GRADIENT_ATTRS or (node.attr == "grad" and isinstance(node.ctx, ast.Load))
    if isinstance(node, ast.Call):
        qualified = facts.names.qualified(node.func) or ""
        return qualified in GRADIENT_CONSUMERS or qualified.startswith(GRADIENT_CONSUMER_PREFIXES)
    return False


def is_evaluation_function(facts: ModuleFacts, fn: FunctionFacts) -> bool:
    """Named for evaluation or inference; pytest test functions in test files are not."""
    if isinstance(fn.node, ast.Module):
        return False
    if fn.name.startswith("test") and TEST_FILE.search(facts.path.replace(os.sep, "/")):
        return False
    return facts.config.is_eval_function_name(fn.name)


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


def describe_grad(setting: Setting, report) -> str:
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


def mode_switched_by(setting: Setting, report) -> str:
    line = report.line(setting.origin)
    if setting.via.endswith("callee"):
        call = setting.origin
        name = dotted(call.func) if isinstance(call, ast.Call) else None
        return f"`{name}()` (called at {line})"
    return f"the call at {line}"


def evaluation_reason(facts: ModuleFacts, fn: FunctionFacts, event: CallEvent, explicit_eval_counts: bool,
                      report) -> str | None:
    """Why this forward pass is evaluation code, in words for the message; None when it is not."""
    if is_evaluation_function(facts, fn):
        return f"function `{fn.name}`"
    if event.loop_val is not None:
        names = [n.id for n in ast.walk(event.loop_val.iter) if isinstance(n, ast.Name)]  # type: ignore[attr-defined]
        loader = next((n for n in reversed(names) if n not in ("enumerate", "tqdm", "zip", "iter")), "the loader")
        return f"loop over `{loader}`"
    if explicit_eval_counts and event.model is not None:
        mode = event.state.mode(event.model)
        if only(mode, Mode.EVAL) and all(s.via in ("call", "callee") for s in mode):
            origin = first_origin(mode)
            return f"after `{event.model}.eval()` at {report.line(origin.origin)}"
    return None


def statement_of(fn: FunctionFacts, node: ast.AST) -> ast.AST:
    """The innermost statement of `fn` that holds `node` (`node` itself when none does)."""
    if isinstance(node, ast.stmt):
        return node
    best = None
    for stmt in ast.walk(fn.node):
        if isinstance(stmt, ast.stmt) and stmt.lineno <= node.lineno <= (stmt.end_lineno or stmt.lineno):
            if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or stmt is fn.node:
                if best is None or stmt.lineno >= best.lineno:
                    best = stmt
    return best if best is not None else node
