from __future__ import annotations

import ast

from ..dataflow.facts import ModuleFacts
from ..dataflow.state import Grad
from ..report import Report
from .base import Rule, example


def check(facts: ModuleFacts, report: Report) -> None:
    statements = {id(stmt.value) for stmt in facts.of_type(ast.Expr)}
    for fn in facts.functions:
        for event in fn.call_events():
            call = event.node
            if event.qualified != "torch.set_grad_enabled" or id(call) not in statements or event.regions:
                continue  # inside a `with` or a decorated function, the mode is restored on exit (TORCH-FACTS 10c)
            leaks = any(s.origin is call and s.value is Grad.DISABLED for end in fn.exits for s in end.grad)
            if leaks:
                where = "importers of this module" if fn is facts.body else "the caller"
                report.add(
                    RULE,
                    call,
                    f"`torch.set_grad_enabled(False)` leaks to {where}: use it as a `with` block. "
                    "As a statement it turns gradient tracking off for the rest of this thread, until "
                    "`set_grad_enabled(True)` or the exit of an enclosing grad-mode `with` block",
                )


RULE = Rule(
    code="GG105",
    slug="global-grad-disabled",
    severity="warning",
    summary=(
        "`torch.set_grad_enabled(False)` as a plain statement that leaves gradients off "
        "for all later code in the thread."
    ),
    why="""
        Unlike a bare `torch.no_grad()`, a bare `torch.set_grad_enabled(False)` acts at once, and it is
        not scoped: gradient tracking stays off for everything that runs later in the thread, including
        the caller of the function and other modules, until something calls `set_grad_enabled(True)`
        (measured with torch 2.13.0: a helper that calls it leaves the caller with
        `torch.is_grad_enabled() == False`). The next training step then fails in `backward()`. Inside an
        enclosing `with torch.no_grad():` (or any grad-mode `with`) it does not leak: the block restores
        the mode on exit.
    """,
    fix_safety=(
        "Turns the statement and the statements after it in its block into a `with torch.set_grad_enabled(False):` "
        "block. Unsafe: code after the block then runs with gradients on again, which is the point."
    ),
    fixes=("wrap.wrap_following",),
    references=("https://docs.pytorch.org/docs/stable/generated/torch.autograd.grad_mode.set_grad_enabled.html",),
    fires=(
        example("""
            import torch
            def validate(model, loader):
                torch.set_grad_enabled(False)  # expect
                model.eval()
                return sum(model(x).sum() for x in loader)
        """),
        example("""
            import torch
            torch.set_grad_enabled(False)  # expect
            model = load()
        """),
        example("""
            import torch as T
            def predict(model, x):
                T.set_grad_enabled(False)  # expect
                if x is None:
                    return None
                return model(x)
        """),
        example("""
            from torch import set_grad_enabled
            class Runner:
                def evaluate(self):
                    set_grad_enabled(False)  # expect
                    self.model(self.x)
        """),
        example("""
            import torch
            def infer(model, xs):
                torch.autograd.set_grad_enabled(False)  # expect
                for x in xs:
                    yield model(x)
        """),
        example("""
            import torch
            def f(flag):
                if flag:
                    torch.set_grad_enabled(False)  # expect
        """),
    ),
    silent=(
        example("""
            import torch
            def validate(model, loader):
                with torch.set_grad_enabled(False):
                    model.eval()
                    return sum(model(x).sum() for x in loader)
        """),
        example("""
            import torch
            def validate(model, loader):
                torch.set_grad_enabled(False)
                out = [model(x) for x in loader]
                torch.set_grad_enabled(True)
                return out
        """),
        example("""
            import torch
            with torch.no_grad():
                torch.set_grad_enabled(False)
                y = model(x)
        """),
        example("""
            import torch
            @torch.no_grad()
            def validate(model, x):
                torch.set_grad_enabled(False)
                return model(x)
        """),
        example("""
            import torch
            def f(train):
                torch.set_grad_enabled(train)
        """),
        example("""
            import torch
            def f():
                prev = torch.is_grad_enabled()
                torch.set_grad_enabled(False)
                try:
                    return 1
                finally:
                    torch.set_grad_enabled(prev)
        """),
    ),
    check=check,
)
