from __future__ import annotations

import ast

from ..dataflow.facts import ModuleFacts
from ..report import Report
from .base import Rule, example

DISCARDED = ("torch.no_grad", "torch.inference_mode", "torch.enable_grad")


def check(facts: ModuleFacts, report: Report) -> None:
    for node in facts.of_type(ast.Expr):
        if isinstance(node.value, ast.Call):
            qualified = facts.names.qualified(node.value.func)
            if qualified in DISCARDED:
                name = qualified.split(".")[-1]
                report.add(
                    RULE,
                    node,
                    f"`{name}()` as a statement does nothing: use `with {name}():` or the decorator. "
                    "It creates a context manager and discards it; gradient tracking is unchanged",
                )


RULE = Rule(
    code="GG102",
    slug="grad-mode-call-discarded",
    severity="error",
    summary="A bare statement `torch.no_grad()` (or `inference_mode()`, `enable_grad()`) that changes nothing.",
    why="""
        Constructing `torch.no_grad()` does not enter it. As a statement of its own it creates a
        context manager and throws it away: after it, `torch.is_grad_enabled()` is still `True` and
        results still require grad (measured with torch 2.13.0). Code written as if gradients were off
        then builds graphs, and in-place updates of parameters raise "a leaf Variable that requires
        grad is being used in an in-place operation". `torch.set_grad_enabled(False)` is different:
        it does act at once (see GG105).
    """,
    fix_safety="""
        Preferred fix: turn the statement into a `with` block around the statements that follow it
        in the same block (unsafe: those statements then run without gradients, which is what the
        author meant but changes behaviour). Alternative: delete the statement (safe: it does nothing);
        its comments stay, each on a line of its own.
    """,
    fixes=("wrap.wrap_following", "wrap.delete_statement"),
    references=(
        "https://docs.pytorch.org/docs/stable/generated/torch.no_grad.html",
        "https://docs.pytorch.org/docs/stable/notes/autograd.html#locally-disabling-gradient-computation",
    ),
    fires=(
        example("""
            import torch
            def ema_update(ema, model, decay):
                torch.no_grad()  # expect
                for e, p in zip(ema.parameters(), model.parameters()):
                    e.mul_(decay).add_(p, alpha=1 - decay)
        """),
        example("""
            import torch as T
            T.inference_mode()  # expect
        """),
        example("""
            from torch import enable_grad
            enable_grad()  # expect
        """),
        example("""
            import torch
            class Agent:
                def act(self, obs):
                    torch.autograd.no_grad()  # expect
                    return self.q(obs).argmax()
        """),
        example("""
            import torch
            for x in xs:
                torch.no_grad()  # expect
        """),
        example("""
            import torch
            async def serve(x):
                torch.inference_mode(False)  # expect
        """),
    ),
    silent=(
        example("""
            import torch
            def ema_update(ema, model, decay):
                with torch.no_grad():
                    for e, p in zip(ema.parameters(), model.parameters()):
                        e.mul_(decay).add_(p, alpha=1 - decay)
        """),
        example("""
            import torch
            torch.set_grad_enabled(False)
        """),
        example("""
            import torch
            ctx = torch.no_grad()
        """),
        example("""
            import torch
            ctx = torch.no_grad() if frozen else contextlib.nullcontext()
        """),
        example("""
            def no_grad():
                pass
            no_grad()
        """),
        example("""
            import torch
            predict = torch.no_grad()(model.forward)
        """),
    ),
    check=check,
)
