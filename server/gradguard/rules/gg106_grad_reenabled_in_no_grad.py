from __future__ import annotations

import ast

from ..dataflow.events import CallEvent
from ..dataflow.facts import ModuleFacts
from ..dataflow.functions import FunctionFacts
from ..dataflow.state import first_origin
from ..report import Report
from .base import Rule, example
from .queries import describe_grad, grad_disabled


def _reenables(event: CallEvent) -> bool:
    call: ast.Call = event.node
    if event.qualified == "torch.enable_grad":
        return True
    args = [*call.args, *(k.value for k in call.keywords if k.arg == "mode")]
    literal = args[0].value if args and isinstance(args[0], ast.Constant) else None
    return event.qualified == "torch.set_grad_enabled" and literal is True


def _runs_callback(facts: ModuleFacts, fn: FunctionFacts, event: CallEvent) -> bool:
    """`with torch.enable_grad(): loss = closure()` in an optimizer's `step`: the documented idiom
    for re-evaluating the model, not a graph spent inside inference code."""
    for node in facts.of_type(ast.With):
        if any(item.context_expr is event.node for item in node.items):
            called = {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
            return len(node.body) == 1 and bool(called & set(fn.params))
    return False


def check(facts: ModuleFacts, report: Report) -> None:
    for fn in facts.functions:
        for event in fn.call_events():
            if _reenables(event) and grad_disabled(event) and not _runs_callback(facts, fn, event):
                origin = first_origin(event.state.grad)
                report.add(
                    RULE,
                    event.node,
                    f"gradients re-enabled where {describe_grad(origin, report)} disabled them. "
                    "Operations here are recorded again (intended for gradient steps inside a sampler; "
                    "inside `inference_mode` they still produce inference tensors)",
                    related=[(origin.origin, "gradients disabled here")] if origin.origin else (),
                )


RULE = Rule(
    code="GG106",
    slug="grad-reenabled-in-no-grad",
    severity="info",
    summary="`torch.enable_grad()` / `set_grad_enabled(True)` nested inside a grad-disabled region.",
    why="""
        Inside `no_grad`, `with torch.enable_grad():` (or a plain `torch.set_grad_enabled(True)`)
        turns recording back on for its block, and the results require grad again. That is often
        intended (Langevin sampling, classifier guidance, an attack step inside an evaluation
        loop), so this is information, not an error: it marks where memory for a graph is spent
        inside code that otherwise runs without one. Inside `torch.inference_mode()`, `enable_grad()`
        turns `is_grad_enabled()` on but new tensors are still inference tensors with
        `requires_grad=False`; only `torch.inference_mode(False)` leaves inference mode
        (measured with torch 2.13.0).
    """,
    fix_safety="",
    references=("https://docs.pytorch.org/docs/stable/generated/torch.enable_grad.html",),
    fires=(
        example("""
            import torch
            @torch.no_grad()
            def langevin(model, x, steps):
                for _ in range(steps):
                    with torch.enable_grad():  # expect
                        x = x.detach().requires_grad_()
                        g = torch.autograd.grad(model(x).sum(), x)[0]
                    x = x - 0.01 * g
                return x
        """),
        example("""
            import torch
            with torch.no_grad():
                torch.set_grad_enabled(True)  # expect
        """),
        example("""
            import torch as T
            with T.inference_mode():
                with T.enable_grad():  # expect
                    pass
        """),
        example("""
            from torch import no_grad, enable_grad
            with no_grad():
                for x in xs:
                    with enable_grad():  # expect
                        pass
        """),
        example("""
            import torch
            torch.set_grad_enabled(False)
            with torch.set_grad_enabled(True):  # expect
                pass
        """),
        example("""
            import torch
            class Sampler:
                @torch.no_grad()
                def guide(self, x):
                    with torch.autograd.enable_grad():  # expect
                        return x
        """),
    ),
    silent=(
        example("""
            import torch
            def langevin(model, x, steps):
                for _ in range(steps):
                    x = x.detach().requires_grad_()
                    g = torch.autograd.grad(model(x).sum(), x)[0]
                    with torch.no_grad():
                        x = x - 0.01 * g
                return x
        """),
        example("""
            import torch
            with torch.enable_grad():
                y = model(x)
        """),
        example("""
            import torch
            with torch.no_grad():
                y = model(x)
            with torch.enable_grad():
                z = model(x)
        """),
        example("""
            import torch
            with torch.set_grad_enabled(is_train):
                with torch.enable_grad():
                    pass
        """),
        example("""
            import torch
            with torch.no_grad():
                torch.set_grad_enabled(False)
        """),
        example("""
            import torch
            @torch.enable_grad()
            def attack(model, x):
                return model(x)
        """),
        example("""
            import torch
            def f():
                torch.set_grad_enabled(True)
        """),
    ),
    check=check,
)
