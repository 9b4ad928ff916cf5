from __future__ import annotations

import ast

from ..dataflow.facts import ModuleFacts
from ..report import Report
from .base import Rule, example

APIS = {
    "torch.no_grad": "no_grad",
    "torch.inference_mode": "inference_mode",
    "torch.enable_grad": "enable_grad",
    "torch.set_grad_enabled": "set_grad_enabled",
}


def check(facts: ModuleFacts, report: Report) -> None:
    for node in facts.of_type(ast.With, ast.AsyncWith):
        for item in node.items:
            expr = item.context_expr
            qualified = facts.names.qualified(expr) if isinstance(expr, (ast.Name, ast.Attribute)) else None
            if qualified in APIS:
                name = APIS[qualified]
                call = f"{name}(...)" if name == "set_grad_enabled" else f"{name}()"  # it takes a `bool`
                report.add(
                    RULE,
                    expr,
                    f"`{name}` is a class: write `with {call}:`. Without the parentheses, "
                    "entering the block raises (TypeError on Python 3.11+, AttributeError on 3.8-3.10)",
                )


RULE = Rule(
    code="GG101",
    slug="no-grad-not-called",
    severity="error",
    summary="`with torch.no_grad:` (or `inference_mode`, `enable_grad`, `set_grad_enabled`) without calling it.",
    why="""
        `torch.no_grad` is a class; `with` needs an instance. Without the parentheses, entering the
        block raises before its body runs: `TypeError: 'type' object does not support the context
        manager protocol` on Python 3.11 and later, `AttributeError: __enter__` on 3.8-3.10
        (measured with torch 2.13.0). The same holds for `inference_mode`, `enable_grad` and
        `set_grad_enabled`.
    """,
    fix_safety="Adds `()`. Safe: the code without them cannot run.",
    fixes=("calls.add_call_parentheses",),
    always_fixed="safe",
    references=("https://docs.pytorch.org/docs/stable/generated/torch.no_grad.html",),
    fires=(
        example("""
            import torch
            with torch.no_grad:  # expect
                y = model(x)
        """),
        example("""
            import torch as T
            with T.inference_mode:  # expect
                y = model(x)
        """),
        example("""
            from torch import no_grad
            def f(model, x):
                with no_grad:  # expect
                    return model(x)
        """),
        example("""
            import torch
            async def handler(model, x):
                with torch.autograd.no_grad, open("log") as log:  # expect
                    log.write(str(model(x)))
        """),
        example("""
            import torch
            with torch.enable_grad:  # expect
                pass
        """),
        example("""
            from torch.autograd import grad_mode
            with grad_mode.no_grad:  # expect
                pass
        """),
    ),
    silent=(
        example("""
            import torch
            with torch.no_grad():
                y = model(x)
        """),
        example("""
            import torch
            ctx = torch.no_grad()
            with ctx:
                y = model(x)
        """),
        example("""
            import torch
            @torch.no_grad
            def predict(model, x):
                return model(x)
        """),
        example("""
            import contextlib
            with contextlib.nullcontext:
                pass
        """),
        example("""
            no_grad = object()
            with no_grad:
                pass
        """),
        example("""
            import torch
            with torch.set_grad_enabled(False), torch.autocast("cpu"):
                pass
        """),
    ),
    check=check,
)
