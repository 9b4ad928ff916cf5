from __future__ import annotations

import ast

from ..dataflow.facts import ModuleFacts
from ..dataflow.functions import FunctionFacts
from ..report import Report
from .base import Rule, example

VARIABLE = frozenset({"torch.autograd.Variable", "torch.autograd.variable.Variable"})


def check(facts: ModuleFacts, report: Report) -> None:
    for fn in facts.functions:
        for argument in volatile_arguments(fn):
            report.add(
                RULE,
                argument,
                f"`{ast.unparse(argument)}` has no effect: use `with torch.no_grad():` instead. "
                "PyTorch ignores `volatile` (the way to run without a graph before PyTorch 0.4), so operations "
                "on this tensor record the graph as usual",
            )


def volatile_arguments(fn: FunctionFacts) -> list[ast.keyword]:
    """The `volatile=` arguments of `Variable(...)` calls in `fn`, except a plain `volatile=False`."""
    return [
        keyword
        for event in fn.call_events()
        if event.qualified in VARIABLE
        for keyword in event.node.keywords
        if keyword.arg == "volatile" and not (isinstance(keyword.value, ast.Constant) and keyword.value.value is False)
    ]


RULE = Rule(
    code="GG110",
    slug="volatile-has-no-effect",
    severity="warning",
    summary=(
        "`Variable(x, volatile=True)`: the `volatile` flag that disabled the graph before PyTorch 0.4 does nothing "
        "today."
    ),
    why="""
        Before PyTorch 0.4, `Variable(x, volatile=True)` was the way to run inference without recording
        a graph. Today `volatile` is ignored and `torch.autograd.Variable(t)` just returns a tensor
        (measured with torch 2.13.0: `Variable(torch.ones(2), volatile=True)` warns "volatile was
        removed and now has no effect. Use `with torch.no_grad():` instead.", and an `nn.Linear`
        applied to it gives an output with `requires_grad=True` and a `grad_fn`). Old evaluation and
        inference code that relies on it builds the full graph and keeps the activations alive.
    """,
    fix_safety="""
        Removes the `volatile=` argument. Safe: PyTorch ignores it, so nothing changes at run time.
        To stop recording the graph, put the evaluation in `with torch.no_grad():` (GG201 reports
        forward passes in evaluation code that need it).
    """,
    fixes=("calls.remove_keyword_argument",),
    always_fixed="safe",
    references=(
        "https://docs.pytorch.org/docs/stable/autograd.html#variable-deprecated",
        "https://docs.pytorch.org/docs/stable/generated/torch.no_grad.html",
    ),
    fires=(
        example("""
            from torch.autograd import Variable
            def evaluate(model, loader):
                model.eval()
                for images, labels in loader:
                    images = Variable(images, volatile=True)  # expect
                    print((model(images).argmax(1) == labels).float().mean())
        """),
        example("""
            import torch
            inputs = torch.autograd.Variable(torch.randn(4, 3), volatile=True)  # expect
        """),
        example("""
            from torch.autograd import Variable as V
            def predict(net, x):
                return net(V(x, volatile=True)).argmax(1)  # expect
        """),
        example("""
            import torch.autograd as autograd
            def to_input(array, train):
                return autograd.Variable(array, volatile=not train)  # expect
        """),
        example("""
            from torch.autograd.variable import Variable
            def embed(encoder, tokens):
                return encoder(Variable(tokens.cuda(), volatile=True))  # expect
        """),
        example("""
            import torch
            from torch.autograd import Variable
            def test(model, batch):
                x = Variable(
                    batch["image"],
                    volatile=True,  # expect
                )
                return model(x)
        """),
        example("""
            import torch as T
            class Sampler:
                def sample(self, z):
                    return self.decoder(T.autograd.Variable(z, requires_grad=False, volatile=True))  # expect
        """),
    ),
    silent=(
        example("""
            import torch
            from torch.autograd import Variable
            def evaluate(model, loader):
                model.eval()
                with torch.no_grad():
                    for images, labels in loader:
                        images = Variable(images)
                        print((model(images).argmax(1) == labels).float().mean())
        """),
        example("""
            from torch.autograd import Variable
            def perturb(x):
                return Variable(x, requires_grad=True)
        """),
        example("""
            from torch.autograd import Variable
            def to_input(x):
                return Variable(x, volatile=False)
        """),
        example("""
            import triton.language as tl
            def kernel(ptr, offsets):
                return tl.load(ptr + offsets, volatile=True)
        """),
        example("""
            class Variable:
                def __init__(self, value, volatile=False):
                    self.value, self.volatile = value, volatile
            def make(x):
                return Variable(x, volatile=True)
        """),
        example("""
            import torch
            def is_volatile(x):
                return getattr(x, "volatile", False)
            options = dict(volatile=True)
        """),
    ),
    check=check,
)
