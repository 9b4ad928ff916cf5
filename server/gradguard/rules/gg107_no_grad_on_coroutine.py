from __future__ import annotations

import ast

from ..dataflow.facts import ModuleFacts
from ..report import Report
from .base import Rule, example

DECORATORS = ("torch.no_grad", "torch.inference_mode", "torch.enable_grad", "torch.set_grad_enabled")


def check(facts: ModuleFacts, report: Report) -> None:
    for node in facts.of_type(ast.AsyncFunctionDef):
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            qualified = facts.names.qualified(target)
            if qualified in DECORATORS:
                name = qualified.split(".")[-1]
                report.add(
                    RULE,
                    decorator,
                    f"`@{name}` has no effect on `async def {node.name}`: use a `with` block "
                    "inside it. The decorator wraps the call that creates the coroutine, and the body runs later "
                    "with the caller's grad mode; keep `await` out of the block",
                )


RULE = Rule(
    code="GG107",
    slug="no-grad-on-coroutine",
    severity="warning",
    summary="`@torch.no_grad()` / `@torch.inference_mode()` on an `async def`, where it has no effect.",
    why="""
        The decorator wraps the call that *creates* the coroutine object: it enters and leaves the
        grad mode before the body ever runs. When the coroutine is awaited, the body runs with the
        caller's grad mode: `(True, True)` before and after an `await` inside a
        `@torch.no_grad() async def` (measured with torch 2.13.0). No error, no warning, no effect;
        the wrapped function is not even recognised as a coroutine function any more. The same holds
        for async generators.
    """,
    fix_safety=("Move a `with torch.no_grad():` block inside the coroutine, around code that does not `await`."),
    references=("https://docs.pytorch.org/docs/stable/generated/torch.no_grad.html",),
    fires=(
        example("""
            import torch
            @torch.no_grad()  # expect
            async def pull(model, weights):
                for p, w in zip(model.parameters(), weights):
                    p.copy_(w)
        """),
        example("""
            import torch
            @torch.inference_mode()  # expect
            async def rollout(policy, env):
                return await env.step(0)
        """),
        example("""
            import torch as T
            @T.no_grad  # expect
            async def f():
                pass
        """),
        example("""
            from torch import inference_mode
            class Server:
                @inference_mode()  # expect
                async def handle(self, request):
                    pass
        """),
        example("""
            import torch
            @torch.set_grad_enabled(False)  # expect
            async def f():
                pass
        """),
        example("""
            import torch
            @torch.no_grad()  # expect
            async def stream(model, xs):
                for x in xs:
                    yield model(x)
        """),
    ),
    silent=(
        example("""
            import torch
            async def pull(model, weights):
                with torch.no_grad():
                    for p, w in zip(model.parameters(), weights):
                        p.copy_(w)
        """),
        example("""
            import torch
            @torch.no_grad()
            def predict(model, x):
                return model(x)
        """),
        example("""
            import torch
            @torch.no_grad()
            def stream(model, xs):
                for x in xs:
                    yield model(x)
        """),
        example("""
            import functools
            @functools.lru_cache()
            async def f():
                pass
        """),
        example("""
            import torch
            async def outer():
                @torch.no_grad()
                def inner(model, x):
                    return model(x)
                return inner
        """),
        example("""
            import torch
            @torch.compile
            async def f():
                pass
        """),
    ),
    check=check,
)
