from __future__ import annotations

import ast

from ..dataflow.facts import ModuleFacts
from ..report import Report
from .base import Rule, example
from .gg101_no_grad_not_called import APIS


def check(facts: ModuleFacts, report: Report) -> None:
    for fn in facts.functions:
        for event in fn.suspends:
            blocks = [
                r.node
                for r in event.regions
                if isinstance(r.node, (ast.With, ast.AsyncWith)) and _grad_api(facts, r.node)
            ]
            if not blocks:
                continue
            block = blocks[-1]
            kind = "`await`" if isinstance(event.node, ast.Await) else "`yield`"
            who = "other tasks on this event loop run" if kind == "`await`" else "the caller runs"
            report.add(
                RULE,
                event.node,
                f"{kind} inside the grad-mode `with` block at {report.line(block)}: end the block "
                f"before the {kind}. While suspended here, {who} with this block's grad mode",
                related=[(block, "grad mode set here")],
            )


def _grad_api(facts: ModuleFacts, node: ast.With | ast.AsyncWith) -> bool:
    for item in node.items:
        expr = item.context_expr
        target = expr.func if isinstance(expr, ast.Call) else expr
        if facts.names.qualified(target) in APIS:
            return True
    return False


RULE = Rule(
    code="GG108",
    slug="grad-mode-across-yield",
    severity="warning",
    summary=(
        "A `with torch.no_grad()` (or `inference_mode`, `set_grad_enabled`) block that contains `yield` or `await`."
    ),
    why="""
        Grad mode is a per-thread flag that the `with` block sets on entry and restores on exit. A
        generator suspended at a `yield` inside the block leaves the flag set while the *caller* runs,
        and a coroutine suspended at an `await` leaves it set while *other tasks* on the same event-loop
        thread run (measured with torch 2.13.0: another task, and a generator's caller between `yield`s,
        saw `is_grad_enabled() == False`). An abandoned generator keeps it set until it is closed or
        garbage-collected.
        `@torch.no_grad()` on a generator function does not have this problem: it re-enters the mode
        at each resume and restores it at each `yield`.
    """,
    fix_safety=("End the block before the `yield`/`await`, or decorate a generator function with `@torch.no_grad()`."),
    references=("https://docs.pytorch.org/docs/stable/generated/torch.no_grad.html",),
    fires=(
        example("""
            import torch
            def stream(model, xs):
                with torch.inference_mode():
                    for x in xs:
                        yield model(x)  # expect
        """),
        example("""
            import torch
            async def handler(ws, model, x):
                with torch.no_grad():
                    await ws.send(model(x))  # expect
        """),
        example("""
            import torch as T
            def batches(model, xs):
                with T.no_grad():
                    yield from (model(x) for x in xs)  # expect
        """),
        example("""
            import torch
            async def f(loop, pool, model, x):
                with torch.set_grad_enabled(False):
                    return await loop.run_in_executor(pool, model, x)  # expect
        """),
        example("""
            from torch import no_grad
            class Streamer:
                def __iter__(self):
                    with no_grad():
                        for x in self.xs:
                            yield self.model(x)  # expect
        """),
        example("""
            import torch
            async def agen(model, xs):
                with torch.no_grad():
                    for x in xs:
                        yield model(x)  # expect
        """),
    ),
    silent=(
        example("""
            import torch
            @torch.no_grad()
            def stream(model, xs):
                for x in xs:
                    yield model(x)
        """),
        example("""
            import torch
            def stream(model, xs):
                for x in xs:
                    with torch.no_grad():
                        y = model(x)
                    yield y
        """),
        example("""
            import torch
            async def handler(ws, model, x):
                with torch.no_grad():
                    y = model(x)
                await ws.send(y)
        """),
        example("""
            import torch
            async def handler(lock, model, x):
                async with lock:
                    await model.step(x)
        """),
        example("""
            import torch
            def outer(model, xs):
                with torch.no_grad():
                    def gen():
                        yield 1
                    return list(gen())
        """),
        example("""
            import contextlib
            def gen(path):
                with open(path) as f:
                    yield f.read()
        """),
    ),
    check=check,
)
