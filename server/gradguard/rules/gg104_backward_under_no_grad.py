from __future__ import annotations

import ast

from ..dataflow.events import CallEvent
from ..dataflow.facts import ModuleFacts
from ..dataflow.names import dotted
from ..dataflow.state import Grad, first_origin, only
from ..report import Report
from .base import Rule, example
from .queries import describe_grad, grad_disabled

AUTOGRAD_CALLS = ("torch.autograd.grad", "torch.autograd.backward")


def check(facts: ModuleFacts, report: Report) -> None:
    for fn in facts.functions:
        for event in fn.call_events():
            call = event.node
            if not grad_disabled(event):
                continue
            if isinstance(call.func, ast.Attribute) and call.func.attr == "backward" and event.qualified is None:
                target = call.func.value
            elif event.qualified in AUTOGRAD_CALLS and (call.args or call.keywords):
                target = call.args[0] if call.args else call.keywords[0].value
            else:
                continue
            if _computed_without_graph(target, event):
                region = describe_grad(first_origin(event.state.grad), report)
                report.add(
                    RULE,
                    call,
                    "backpropagates through a value without a graph, which raises. It was "
                    f"computed with gradients disabled by {region}: 'element 0 of tensors does not require "
                    "grad and does not have a grad_fn'",
                    related=[(s.origin, "gradients disabled here") for s in event.state.grad if s.origin],
                )


def _computed_without_graph(target: ast.expr, event: CallEvent) -> bool:
    """The tensor was computed inside the grad-disabled region (TORCH-FACTS 5, 19): a name
    assigned there, or an expression computed right here."""
    base = target
    while isinstance(base, (ast.Subscript, ast.Attribute)):
        base = base.value  # views and attributes of a tensor keep its history
    if isinstance(base, ast.Name):
        defined = event.state.defs.get(base.id)
        return defined is not None and only(defined, Grad.DISABLED)
    return isinstance(target, (ast.Call, ast.BinOp, ast.UnaryOp)) and dotted(target) is None


RULE = Rule(
    code="GG104",
    slug="backward-under-no-grad",
    severity="error",
    summary="`.backward()` or `torch.autograd.grad` on a value computed where gradients are disabled.",
    why="""
        Operations inside `torch.no_grad()` or `torch.inference_mode()` are not recorded: their
        results have `requires_grad=False` and no `grad_fn`. Backpropagating through them raises
        `RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn`
        (measured with torch 2.13.0). What matters is where the value was computed, not where
        `backward()` is called: a `backward()` inside `no_grad` on a loss computed outside works.
        A typical cause is a `@torch.no_grad()` decorator copied from an evaluation function onto
        a training function, or a `no_grad` block stretched over a gradient penalty.
    """,
    fix_safety="Move the computation of the value out of the grad-disabled region.",
    references=("https://docs.pytorch.org/docs/stable/notes/autograd.html#locally-disabling-gradient-computation",),
    fires=(
        example("""
            import torch
            @torch.no_grad()
            def train_epoch(model, loader, opt):
                for x, y in loader:
                    loss = (model(x) - y).pow(2).mean()
                    loss.backward()  # expect
                    opt.step()
        """),
        example("""
            import torch
            with torch.no_grad():
                model(x).sum().backward()  # expect
        """),
        example("""
            import torch
            def penalty(critic, interp):
                with torch.no_grad():
                    scores = critic(interp)
                    grads = torch.autograd.grad(scores.sum(), interp, create_graph=True)[0]  # expect
                return grads
        """),
        example("""
            import torch as T
            with T.inference_mode():
                loss = model(x).mean()
                T.autograd.backward(loss)  # expect
        """),
        example("""
            from torch import no_grad
            def step(model, x):
                with no_grad():
                    out = model(x)
                    out[0].backward()  # expect
        """),
        example("""
            import torch
            torch.set_grad_enabled(False)
            loss = model(x).sum()
            loss.backward()  # expect
        """),
    ),
    silent=(
        example("""
            import torch
            def train_epoch(model, loader, opt):
                for x, y in loader:
                    loss = (model(x) - y).pow(2).mean()
                    loss.backward()
                    with torch.no_grad():
                        for p in model.parameters():
                            p -= 0.01 * p.grad
        """),
        example("""
            import torch
            loss = model(x).sum()
            with torch.no_grad():
                loss.backward()
        """),
        example("""
            import torch
            @torch.no_grad()
            def sample(model, x):
                with torch.enable_grad():
                    x = x.detach().requires_grad_()
                    energy = model(x).sum()
                    grad = torch.autograd.grad(energy, x)[0]
                return x - grad
        """),
        example("""
            import torch
            with torch.set_grad_enabled(phase == "train"):
                loss = model(x).sum()
                loss.backward()
        """),
        example("""
            import torch
            with torch.no_grad():
                y = model(x)
            loss = criterion(model(x), t)
            loss.backward()
        """),
        example("""
            import torch
            def step(self, loss):
                with torch.no_grad():
                    self.scaler.scale(self.loss).backward
        """),
    ),
    check=check,
)
