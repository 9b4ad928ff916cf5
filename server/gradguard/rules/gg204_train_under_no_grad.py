from __future__ import annotations

import ast
from collections.abc import Iterator

from ..dataflow.events import CallEvent
from ..dataflow.facts import ModuleFacts
from ..dataflow.functions import FunctionFacts
from ..dataflow.names import dotted
from ..dataflow.state import Mode, first_origin
from ..report import Report
from .base import Rule, example
from .queries import describe_grad, grad_disabled


def train_calls_followed_by_forwards(fn: FunctionFacts) -> Iterator[tuple[CallEvent, list[CallEvent]]]:
    """`model.train()` calls in a grad-disabled region, each with the forward passes that run after it
    in that same region while the model is still in the mode it set."""
    for event in fn.call_events():
        func = event.node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "train" and grad_disabled(event)):
            continue
        receiver = dotted(func.value)
        forwards = [
            later
            for later in fn.call_events()
            if later.model is not None
            and grad_disabled(later)
            and later.state.grad == event.state.grad
            and any(s.origin is event.node and s.value is Mode.TRAIN for s in later.state.mode(later.model))
            and (later.model == receiver or later.model.startswith(f"{receiver}."))
        ]
        if forwards:
            yield event, forwards


def check(facts: ModuleFacts, report: Report) -> None:
    for fn in facts.functions:
        for event, forwards in train_calls_followed_by_forwards(fn):
            origin = first_origin(event.state.grad)
            report.add(
                RULE,
                event.node,
                f"`train()` in a grad-disabled region: the forward passes that follow "
                f"({report.line(forwards[0].node)}) run in training mode. Gradients were disabled by "
                f"{describe_grad(origin, report)}; the forward passes run with Dropout on and update BatchNorm "
                "running statistics, and the mode stays on after the block",
                related=[(forwards[0].node, "forward pass in train mode")],
            )


RULE = Rule(
    code="GG204",
    slug="train-under-no-grad",
    severity="warning",
    summary="`model.train()` inside a grad-disabled region, followed there by forward passes.",
    why="""
        `model.train()` and `torch.no_grad()` are independent: `train()` inside a `no_grad` block is not
        undone when the block ends, and the forward passes after it run in training mode. Dropout
        drops units and train-mode BatchNorm normalises with batch statistics **and updates its running
        statistics** from this data, even under `no_grad` or `inference_mode` (measured with torch
        2.13.0: one no_grad forward moved `running_mean` by 10% towards the batch mean). Pseudo-labels
        and accuracy measured this way are noisy, and the model's statistics drift. A `train()` as the
        last statement of an evaluation helper (the nanoGPT idiom) is fine: no forward pass follows it
        there.
    """,
    fix_safety="Call `model.eval()` for the forward passes, and `model.train()` after the block.",
    references=("https://docs.pytorch.org/docs/stable/notes/autograd.html#evaluation-mode-nn-module-eval",),
    fires=(
        example("""
            import torch
            @torch.no_grad()
            def pseudo_label(model, xs):
                model.train()  # expect
                return [model(x).argmax(-1) for x in xs]
        """),
        example("""
            import torch
            def accuracy(model, loader):
                with torch.no_grad():
                    model.train()  # expect
                    for x, y in loader:
                        hits = (model(x).argmax(1) == y).sum()
        """),
        example("""
            import torch as T
            with T.inference_mode():
                net.train()  # expect
                y = net(x)
        """),
        example("""
            import torch
            class Runner:
                @torch.no_grad()
                def refresh(self, x):
                    self.model.train()  # expect
                    self.model(x)
        """),
        example("""
            import torch
            with torch.no_grad():
                model.train(True)  # expect
                model.forward(x)
        """),
        example("""
            from torch import no_grad
            with no_grad():
                model.train()  # expect
                if x is not None:
                    y = model(x)
        """),
    ),
    silent=(
        example("""
            import torch
            @torch.no_grad()
            def pseudo_label(model, xs):
                model.eval()
                labels = [model(x).argmax(-1) for x in xs]
                model.train()
                return labels
        """),
        example("""
            import torch
            @torch.no_grad()
            def estimate_loss(model, xs):
                model.eval()
                out = [model(x) for x in xs]
                model.train()
                return out
        """),
        example("""
            import torch
            with torch.no_grad():
                model.train()
            y = model(x)
        """),
        example("""
            import torch
            with torch.no_grad():
                model.train()
                model.eval()
                y = model(x)
        """),
        example("""
            import torch
            model.train()
            with torch.no_grad():
                y = model(x)
        """),
        example("""
            import torch
            with torch.set_grad_enabled(flag):
                model.train()
                y = model(x)
        """),
        example("""
            import torch
            with torch.no_grad():
                model.train(False)
                y = model(x)
        """),
    ),
    check=check,
)
