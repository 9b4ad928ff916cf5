from __future__ import annotations

import ast

from ..dataflow.facts import ModuleFacts
from ..report import Report
from .base import Rule, example


def check(facts: ModuleFacts, report: Report) -> None:
    for node in facts.of_type(ast.Expr):
        if (
            isinstance(node.value, ast.Attribute)
            and node.value.attr in ("eval", "train")
            and isinstance(node.value.ctx, ast.Load)
        ):
            name = node.value.attr
            report.add(
                RULE,
                node,
                f"`.{name}` without `()` only reads the method: the module's mode is unchanged; call `.{name}()`",
            )


RULE = Rule(
    code="GG103",
    slug="mode-switch-not-called",
    severity="error",
    summary="`model.eval` / `model.train` as a statement without the call: no effect.",
    why="""
        `model.eval` without parentheses only looks the method up; nothing is called, so
        `model.training` stays as it was (measured with torch 2.13.0: `training = True` after a bare
        `m.eval`). Dropout keeps dropping and BatchNorm keeps using and updating batch statistics
        in code that was meant to evaluate, or the other way round for `model.train`.
    """,
    fix_safety="Adds `()`. Safe in intent, but it does change what the following code computes: that is the fix.",
    fixes=("calls.add_call_parentheses",),
    always_fixed="safe",
    references=("https://docs.pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval",),
    fires=(
        example("""
            model.eval  # expect
            with torch.no_grad():
                y = model(x)
        """),
        example("""
            def train_epoch(model, loader):
                model.train  # expect
                for x, y in loader:
                    loss = model(x).sum()
        """),
        example("""
            class Runner:
                def validate(self):
                    self.net.eval  # expect
        """),
        example("""
            for m in models:
                m.eval  # expect
        """),
        example("""
            async def f(model):
                model.module.eval  # expect
        """),
        example("""
            if export:
                model.eval  # expect
        """),
    ),
    silent=(
        example("""
            model.eval()
            with torch.no_grad():
                y = model(x)
        """),
        example("""
            model.eval()
        """),
        example("""
            model.train(False)
        """),
        example("""
            switch = model.eval
            switch()
        """),
        example("""
            model = model.eval()
        """),
        example("""
            modes = [m.train for m in models]
        """),
        example("""
            print(model.eval)
        """),
    ),
    check=check,
)
