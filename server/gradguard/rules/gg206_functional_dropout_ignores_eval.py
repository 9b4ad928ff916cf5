from __future__ import annotations

import ast
from collections.abc import Sequence

from ..dataflow.facts import ModuleFacts
from ..dataflow.names import dotted
from ..report import Report
from .base import Rule, example

DROPOUTS = frozenset(
    f"torch.nn.functional.{name}"
    for name in ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout")
)


def check(facts: ModuleFacts, report: Report) -> None:
    for fn in facts.functions:
        if fn.cls is None or fn.name != "forward":
            continue
        parents: dict[int, ast.AST] = {}
        for event in fn.call_events():
            if event.qualified in DROPOUTS and _ignores_mode(event.node):
                if not parents:
                    parents = {id(child): node for node in ast.walk(fn.node) for child in ast.iter_child_nodes(node)}
                if _runs_only_in_training(event.node, parents):
                    continue  # `if self.training: x = F.dropout(x, p)`: already follows the mode
                name = event.qualified.rsplit(".", 1)[-1]
                given = any(keyword.arg == "training" for keyword in event.node.keywords)
                how = (
                    f"`{name}(..., training=True)` drops in every mode"
                    if given
                    else f"`{name}` defaults to `training=True`"
                )
                report.add(
                    RULE,
                    event.node,
                    f"{how}: pass `training=self.training`. It ignores `model.eval()`, so "
                    "dropout stays on at evaluation",
                )


def _ignores_mode(call: ast.Call) -> bool:
    for keyword in call.keywords:
        if keyword.arg == "training":
            return isinstance(keyword.value, ast.Constant) and keyword.value.value is True
        if keyword.arg is None:
            return False  # **kwargs may carry it
    return len(call.args) < 3 and not any(isinstance(a, ast.Starred) for a in call.args)


def _runs_only_in_training(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    """Only a true `self.training` reaches `node`: it sits in the branch of an `if` or a conditional
    expression that tests it, or after `if not self.training: return ...` in a block around it."""
    child, parent = node, parents.get(id(node))
    while parent is not None and not isinstance(parent, ast.Lambda):
        if isinstance(parent, (ast.If, ast.IfExp)) and child is not parent.test:
            in_body = child in parent.body if isinstance(parent.body, list) else child is parent.body
            if _training_if(parent.test, true=in_body):
                return True
        for block in _blocks(parent):
            if child in block and any(_leaves_unless_training(stmt) for stmt in block[: block.index(child)]):
                return True
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        child, parent = parent, parents.get(id(parent))
    return False


def _training_if(test: ast.expr, true: bool) -> bool:
    """`test` being `true` implies `self.training`: `self.training and p > 0` true, `not self.training` false."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _training_if(test.operand, not true)
    if isinstance(test, ast.BoolOp):  # true `a and b` makes each true; false `a or b` makes each false
        if isinstance(test.op, ast.And) == true:
            return any(_training_if(value, true) for value in test.values)
        return False
    return true and dotted(test) == "self.training"


def _leaves_unless_training(stmt: ast.stmt) -> bool:
    """`if not self.training: return x`: the code after it runs only in training mode."""
    return (
        isinstance(stmt, ast.If)
        and not stmt.orelse
        and _training_if(stmt.test, true=False)
        and isinstance(stmt.body[-1], (ast.Return, ast.Raise))
    )


def _blocks(node: ast.AST) -> list[Sequence[ast.stmt]]:
    return [block for name in ("body", "orelse", "finalbody") if isinstance(block := getattr(node, name, None), list)]


RULE = Rule(
    code="GG206",
    slug="functional-dropout-ignores-eval",
    severity="warning",
    summary=(
        "Inside a module's `forward`, `F.dropout(x, p)` without `training=self.training` (or with `training=True`)."
    ),
    why="""
        `torch.nn.functional.dropout(input, p=0.5, training=True, inplace=False)`: the functional form
        does not know the module's mode, and its default is `training=True`. Called in `forward`
        without `training=self.training`, it keeps dropping units after `model.eval()` (measured with
        torch 2.13.0: two eval-mode calls gave different outputs). `nn.Dropout` modules follow
        `eval()`; the functional form needs the flag passed.
    """,
    fix_safety=(
        "Adds `training=self.training` (or replaces `training=True`). Unsafe: evaluation results change, which is "
        "the point; a module meant for MC dropout passes `training=True` on purpose."
    ),
    fixes=("calls.pass_training_flag",),
    references=("https://docs.pytorch.org/docs/stable/generated/torch.nn.functional.dropout.html",),
    fires=(
        example("""
            import torch.nn as nn
            import torch.nn.functional as F
            class Attention(nn.Module):
                def forward(self, x):
                    att = x.softmax(-1)
                    return F.dropout(att, 0.1)  # expect
        """),
        example("""
            import torch
            class GCN(torch.nn.Module):
                def forward(self, x):
                    return torch.nn.functional.dropout(x, p=0.5)  # expect
        """),
        example("""
            from torch import nn
            class Head(nn.Module):
                def forward(self, h):
                    return nn.functional.dropout(h, 0.2, training=True)  # expect
        """),
        example("""
            from torch.nn.functional import dropout2d
            import torch.nn as nn
            class Conv(nn.Module):
                def forward(self, x):
                    return dropout2d(x, 0.1)  # expect
        """),
        example("""
            import torch.nn.functional as F
            class Block(Base):
                def forward(self, x):
                    return F.alpha_dropout(x, p=0.1)  # expect
        """),
        example("""
            import torch.nn.functional as F
            import torch.nn as nn
            class Net(nn.Module):
                def forward(self, x):
                    if self.use_drop:
                        x = F.dropout(x)  # expect
                    return x
        """),
        example("""
            import torch.nn as nn
            import torch.nn.functional as F
            class MLP(nn.Module):
                def __init__(self, p=0.1):
                    super().__init__()
                    self.fc1, self.fc2, self.p = nn.Linear(64, 256), nn.Linear(256, 64), p
                def forward(self, x):
                    h = F.dropout(F.gelu(self.fc1(x)), p=self.p)  # expect
                    return self.fc2(h)
        """),
        example("""
            import torch
            import torch.nn.functional as F
            class Embeddings(torch.nn.Module):
                def forward(self, ids):
                    x = self.tok(ids) + self.pos(ids)
                    return F.dropout1d(x, 0.1, training=True)  # expect
        """),
        example("""
            import torch.nn as nn
            from torch.nn import functional as fn
            class Decoder(nn.Module):
                def forward(self, z):
                    for layer in self.layers:
                        z = fn.dropout(layer(z), self.p)  # expect
                    return z
        """),
        example("""
            import torch.nn as nn
            import torch.nn.functional as F
            class GraphAttention(nn.Module):
                def forward(self, h, adj):
                    att = (h @ h.T).masked_fill(adj == 0, float("-inf")).softmax(-1)
                    att = F.dropout(att, self.p, inplace=False)  # expect
                    return F.elu(att @ F.dropout(h, self.p))  # expect
        """),
        example("""
            import torch.nn as nn
            import torch.nn.functional as F
            class Conv(nn.Module):
                def forward(self, x):
                    return F.feature_alpha_dropout(F.selu(self.conv(x)), 0.05)  # expect
        """),
        example("""
            import torch.nn as nn
            import torch.nn.functional as F
            class Block(nn.Module):
                def forward(self, x):
                    x = F.dropout(self.proj(x), 0.1)  # expect
                    if not self.training:
                        return x
                    return F.dropout(x, 0.1)
        """),
    ),
    silent=(
        example("""
            import torch.nn as nn
            import torch.nn.functional as F
            class Attention(nn.Module):
                def forward(self, x):
                    return F.dropout(x.softmax(-1), 0.1, training=self.training)
        """),
        example("""
            import torch.nn.functional as F
            import torch.nn as nn
            class Net(nn.Module):
                def forward(self, x):
                    return F.dropout(x, 0.1, self.training)
        """),
        example("""
            import torch.nn.functional as F
            def augment(x):
                return F.dropout(x, 0.1, training=True)
        """),
        example("""
            import torch.nn as nn
            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.drop = nn.Dropout(0.1)
                def forward(self, x):
                    return self.drop(x)
        """),
        example("""
            import torch.nn.functional as F
            import torch.nn as nn
            class Net(nn.Module):
                def forward(self, x, **kw):
                    return F.dropout(x, **kw)
        """),
        example("""
            import torch.nn.functional as F
            import torch.nn as nn
            class Net(nn.Module):
                def forward(self, x):
                    return F.dropout(x, p=0.1, training=self.training and self.mc)
        """),
        example("""
            import torch.nn as nn
            import torch.nn.functional as F
            class MLP(nn.Module):
                def forward(self, x):
                    h = F.dropout(F.gelu(self.fc1(x)), p=self.p, training=self.training)
                    return self.fc2(h)
        """),
        example("""
            import torch.nn as nn
            import torch.nn.functional as F
            class Net(nn.Module):
                def forward(self, x):
                    return F.dropout(x, self.p, self.training, False)
        """),
        example("""
            import torch.nn.functional as F
            import torch.nn as nn
            class Net(nn.Module):
                def forward(self, x):
                    return self.head(x)
                def mc_predict(self, x, n=20):
                    return [F.dropout(self.body(x), 0.1, training=True) for _ in range(n)]
        """),
        example("""
            import torch.nn.functional as F
            import torch.nn as nn
            class Net(nn.Module):
                def forward(self, x):
                    return F.dropout2d(x, 0.1, training=self.training and not self.frozen)
        """),
        example("""
            import torch.nn as nn
            import torch.nn.functional as F
            class Block(nn.Module):
                def forward(self, x):
                    return F.dropout(x, p=self.p, training=False)
        """),
        example("""
            import torch.nn.functional as F
            def token_dropout(batch, p=0.1):
                return {k: F.dropout(v.float(), p) for k, v in batch.items()}
        """),
        example("""
            import torch.nn as nn
            import torch.nn.functional as F
            class Attention(nn.Module):
                def forward(self, q, k, v):
                    p = self.p if self.training else 0.0
                    return F.scaled_dot_product_attention(q, k, v, dropout_p=p)
        """),
        example("""
            import torch.nn as nn
            import torch.nn.functional as F
            class Net(nn.Module):
                def forward(self, x):
                    x = self.fc1(x)
                    if self.training:
                        x = F.dropout(x, p=0.2)
                    return self.fc2(x)
        """),
        example("""
            import torch.nn as nn
            import torch.nn.functional as F
            class Net(nn.Module):
                def forward(self, x):
                    if self.training and self.p > 0:
                        x = F.dropout(x, self.p)
                    return x
        """),
        example("""
            import torch.nn as nn
            import torch.nn.functional as F
            class Embed(nn.Module):
                def forward(self, x):
                    if not self.training:
                        return x
                    mask = F.dropout(x.new_ones(x.shape[:2]), self.p)
                    return x * mask.unsqueeze(-1)
        """),
        example("""
            import torch.nn as nn
            import torch.nn.functional as F
            class Net(nn.Module):
                def forward(self, x):
                    return x if not self.training else F.dropout(x, self.p)
        """),
    ),
    check=check,
)
