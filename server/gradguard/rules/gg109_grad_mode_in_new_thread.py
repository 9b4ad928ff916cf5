from __future__ import annotations

import ast

from ..dataflow.facts import ModuleFacts
from ..dataflow.functions import FunctionFacts
from ..dataflow.names import dotted
from ..dataflow.state import Grad, first_origin, only
from ..report import Report
from .base import Rule, example
from .queries import describe_grad, grad_disabled

THREAD_CLASSES = ("threading.Thread",)


def check(facts: ModuleFacts, report: Report) -> None:
    for fn in facts.functions:
        threads: dict[str, ast.expr] | None = None
        for event in fn.call_events():
            if not grad_disabled(event):
                continue
            if threads is None:
                threads = _thread_targets(facts, fn)
            target = _started_target(facts, event.node, threads)
            if target is None or not _runs_forward(facts, fn, target):
                continue
            origin = first_origin(event.state.grad)
            report.add(
                RULE,
                event.node,
                "work started here runs with gradients enabled: put `torch.no_grad()` "
                f"inside the worker. Grad mode is thread-local: {describe_grad(origin, report)} "
                "disabled it in this thread only",
                related=[(origin.origin, "gradients disabled here (this thread only)")] if origin.origin else (),
            )


def _thread_targets(facts: ModuleFacts, fn: FunctionFacts) -> dict[str, ast.expr]:
    """`t = threading.Thread(target=work, ...)` -> {"t": work}."""
    found = {}
    for node in facts.own_nodes(fn):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            target = _thread_target(facts, node.value)
            for name in node.targets:
                if target is not None and isinstance(name, ast.Name):
                    found[name.id] = target
    return found


def _thread_target(facts: ModuleFacts, call: ast.Call) -> ast.expr | None:
    if facts.names.qualified(call.func) in THREAD_CLASSES:
        for keyword in call.keywords:
            if keyword.arg == "target":
                return keyword.value
    return None


def _started_target(facts: ModuleFacts, call: ast.Call, threads: dict[str, ast.expr]) -> ast.expr | None:
    func = call.func
    if facts.names.qualified(func) == "asyncio.to_thread" and call.args:
        return call.args[0]
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr == "start" and not call.args:
        if isinstance(func.value, ast.Name):
            return threads.get(func.value.id)
        if isinstance(func.value, ast.Call):
            return _thread_target(facts, func.value)
    if func.attr in ("submit", "map") and call.args:
        return call.args[0]
    if func.attr == "run_in_executor" and len(call.args) >= 2:
        return call.args[1]
    return None


def _runs_forward(facts: ModuleFacts, fn: FunctionFacts, target: ast.expr) -> bool:
    key = dotted(target)
    if key is not None and key in fn.model_keys:
        return True
    if isinstance(target, ast.Call) and facts.names.qualified(target.func) == "functools.partial" and target.args:
        return _runs_forward(facts, fn, target.args[0])
    fake_call = ast.Call(func=target, args=[], keywords=[])
    worker = facts.resolve_call(fake_call, fn)
    # a function of another file is known by its summary alone, which says nothing of forward passes
    if not isinstance(worker, FunctionFacts) or only(worker.entry_grad_fixed or frozenset(), Grad.DISABLED):
        return False
    return any(event.model is not None for event in worker.call_events())


RULE = Rule(
    code="GG109",
    slug="grad-mode-in-new-thread",
    severity="warning",
    summary=(
        "A thread, pool task, `run_in_executor` or `asyncio.to_thread` started in a grad-disabled region to run "
        "forward passes."
    ),
    why="""
        Grad mode is thread-local ("This context manager is thread local; it will not affect
        computation in other threads", PyTorch docs). A `threading.Thread`, a `ThreadPoolExecutor`
        task, `loop.run_in_executor` and `asyncio.to_thread` started inside `no_grad` or
        `inference_mode` run with gradient tracking **enabled** (measured with torch 2.13.0), so the
        forward passes there build graphs and keep activations alive: the `no_grad` saves nothing where
        the work is done.
    """,
    fix_safety="Decorate the worker function with `@torch.no_grad()` or open the block inside it.",
    references=("https://docs.pytorch.org/docs/stable/generated/torch.no_grad.html",),
    fires=(
        example("""
            import threading
            import torch
            import torch.nn as nn
            def work(model: nn.Module, x):
                return model(x)
            @torch.no_grad()
            def run(model, x):
                t = threading.Thread(target=work, args=(model, x))
                t.start()  # expect
        """),
        example("""
            import torch
            import torch.nn as nn
            def member_probs(member: nn.Module, x):
                return member(x).softmax(-1)
            def predict(members, x, pool):
                with torch.no_grad():
                    return [pool.submit(member_probs, m, x) for m in members]  # expect
        """),
        example("""
            import asyncio
            import torch
            import torch.nn as nn
            def run_model(model: nn.Module, x):
                return model(x)
            async def serve(model, x):
                with torch.inference_mode():
                    y = asyncio.to_thread(run_model, model, x)  # expect
                return await y
        """),
        example("""
            import torch
            class Service:
                def __init__(self, model):
                    self.model = model.eval()
                def run(self, x):
                    return self.model(x)
                async def classify(self, loop, x):
                    with torch.no_grad():
                        fut = loop.run_in_executor(None, self.run, x)  # expect
                    return await fut
        """),
        example("""
            import threading
            import torch
            def predict(model, x):
                model.eval()
                with torch.no_grad():
                    threading.Thread(target=model, args=(x,)).start()  # expect
        """),
        example("""
            import torch
            def predict(model, xs, pool):
                model.eval()
                with torch.no_grad():
                    return list(pool.map(model, xs))  # expect
        """),
    ),
    silent=(
        example("""
            import threading
            import torch
            import torch.nn as nn
            @torch.no_grad()
            def work(model: nn.Module, x):
                return model(x)
            @torch.no_grad()
            def run(model, x):
                threading.Thread(target=work, args=(model, x)).start()
        """),
        example("""
            import threading
            import torch
            def save(path, data):
                torch.save(data, path)
            with torch.no_grad():
                threading.Thread(target=save, args=("a.pt", 1)).start()
        """),
        example("""
            import torch
            import torch.nn as nn
            def member_probs(member: nn.Module, x):
                return member(x)
            def predict(members, x, pool):
                return [pool.submit(member_probs, m, x) for m in members]
        """),
        example("""
            import asyncio
            import torch
            import torch.nn as nn
            @torch.inference_mode()
            def run_model(model: nn.Module, x):
                return model(x)
            async def serve(model, x):
                with torch.inference_mode():
                    return await asyncio.to_thread(run_model, model, x)
        """),
        example("""
            import torch
            with torch.set_grad_enabled(train):
                fut = pool.submit(work, 1)
        """),
        example("""
            import torch
            with torch.no_grad():
                results = list(map(model, xs))
        """),
    ),
    check=check,
)
