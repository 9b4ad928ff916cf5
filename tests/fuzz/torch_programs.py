"""A strategy for PyTorch-shaped programs: statements, blocks and definitions drawn from the
constructs GradGuard's rules and fixes look at, nested at random and always syntactically valid.

Validity is kept by tracking where a statement lands (`Scope`): `break`/`continue` only in loops,
`return`/`yield` only in functions (no `return <value>` in an async generator), `await` and
`async for`/`async with` only directly in async functions.

Comments (full-line ones above a statement, and after one) and the file's last line (with or without
a line break, or only whitespace) vary too: fixes move and delete statements, and must keep both.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import strategies as st

INDENT = "    "

PRELUDE = [
    "import asyncio",
    "import threading",
    "import torch",
    "import torch as T",
    "import torch.nn as nn",
    "import torch.nn.functional as F",
    "from torch import no_grad",
    "from torch import inference_mode as im",
    "def work(model: nn.Module, x):",
    INDENT + "return model(x)",
    "encoder = nn.Linear(2, 2)",
]

GRAD_MODE_WITH = [
    "with torch.no_grad():",
    "with torch.no_grad:",
    "with T.no_grad():",
    "with no_grad():",
    "with no_grad:",
    "with torch.inference_mode():",
    "with im():",
    "with im:",
    "with T.inference_mode(mode=False):",
    "with torch.set_grad_enabled(flag):",
    "with torch.set_grad_enabled(False):",
    "with T.set_grad_enabled(True):",
    "with torch.enable_grad():",
    "with torch.enable_grad:",
    "with torch.autograd.grad_mode.no_grad():",
    "with torch.no_grad(), torch.enable_grad():",
    "with torch.no_grad() as guard, open(path) as handle:",
    "with (torch.no_grad(), im()):",
]
DECORATORS = [
    "@torch.no_grad()",
    "@torch.no_grad",
    "@T.no_grad()",
    "@no_grad()",
    "@no_grad",
    "@im()",
    "@torch.inference_mode()",
    "@torch.inference_mode",
    "@torch.enable_grad()",
    "@torch.set_grad_enabled(False)",
    "@torch.compile",
    "@functools.lru_cache()",
]
FUNCTION_NAMES = ["evaluate", "validate", "test_epoch", "predict", "train_step", "fit", "helper", "infer_batch"]
PARAMETERS = ["(model, x)", "(model, loader, *args, **kwargs)", "(model=None, /, x=None, *, flag=True)", "()"]

ANYWHERE = [
    "model.eval()",
    "model.train()",
    "model.train(False)",
    "model.train(mode=True)",
    "model.eval",
    "model.train",
    "model.requires_grad_(False)",
    "net = model.to(device).eval()",
    "torch.set_grad_enabled(False)",
    "T.set_grad_enabled(True)",
    "torch.set_grad_enabled(flag)",
    "torch.no_grad()",
    "no_grad()",
    "im()",
    "torch.enable_grad()",
    "torch.inference_mode(False)",
    "out = model(x)",
    "out = model.forward(x)",
    "loss = criterion(model(x), y)",
    "loss = model(x).sum()",
    "loss.backward()",
    "model(x).sum().backward()",
    "grads = torch.autograd.grad(loss, x)",
    "optimizer.step()",
    "optimizer.zero_grad()",
    "x = x.detach()",
    "model.load_state_dict(torch.load(path))",
    "encoder.load_state_dict(torch.load(path))",
    "y = encoder(x)",
    "model = torch.load(path)",
    "model = Net()",
    "model = nn.Linear(2, 2)",
    "h = F.dropout(h, p=0.5)",
    "h = F.dropout(h, 0.5, training=flag)",
    "h = F.dropout(x, 0.1, model.training)",
    "preds = [model(batch) for batch in val_loader]",
    "total = sum(model(batch).sum() for batch in val_loader)",
    "score = lambda batch: model(batch).argmax()",
    "scores = {k: model(v) for k, v in pairs}",
    "if (out := model(x)) is not None: pass",
    "first, *rest = batches",
    "log(*batches, **options)",
    "worker = threading.Thread(target=train_step, args=(model, x))",
    "worker.start()",
    "threading.Thread(target=lambda: model(x)).start()",
    "threading.Thread(target=work, args=(model, x)).start()",
    "futures = [pool.submit(work, m, x) for m in members]",
    "step += 1",
    "assert model.training, 'train mode'",
    "del out",
    "pass",
    "...",
    "with torch.no_grad(): out = model(x)",
    "x = 1; model.eval(); y = model(x)",
    "print(f'{model(x)!r:>10}')",
]
COMMENTS = ["# keep: above", "# why this runs here", "#: note"]
TRAILING_COMMENTS = ["  # keep: after", "  # type: ignore"]
ENDINGS = ["\n", "", "\n    ", "\n\t", "\n\n"]  # after the last statement
IN_LOOP = ["break", "continue"]
IN_FUNCTION = ["return", "return out", "return model(x)", "yield out", "yield", "out = yield model(x)"]
IN_ASYNC_FUNCTION = [
    "return",
    "yield out",
    "await asyncio.sleep(0)",
    "out = await model.async_forward(x)",
    "outs = [await model.async_forward(b) async for b in stream]",
]


@dataclass(frozen=True)
class Scope:
    depth: int
    in_loop: bool = False
    function: str = ""  # "", "def" or "async"


def _indent(lines: list[str]) -> list[str]:
    return [INDENT + line for line in lines]


@st.composite
def block(draw, scope: Scope) -> list[str]:
    statements = draw(st.lists(statement(scope), min_size=1, max_size=4))
    return [line for lines in statements for line in lines]


@st.composite
def statement(draw, scope: Scope) -> list[str]:
    compound = ["with", "for", "while", "try", "if", "match", "def", "class"]
    if scope.function == "async":
        compound += ["async_with", "async_for"]
    kind = draw(st.sampled_from(["simple"] * len(compound) + (compound if scope.depth > 0 else [])))
    inner = replace(scope, depth=scope.depth - 1)
    loop = replace(inner, in_loop=True)

    if kind == "simple":
        choices = ANYWHERE + (IN_LOOP if scope.in_loop else [])
        choices += {"def": IN_FUNCTION, "async": IN_ASYNC_FUNCTION}.get(scope.function, [])
        above = draw(st.lists(st.sampled_from(COMMENTS), max_size=1))
        return [*above, draw(st.sampled_from(choices)) + draw(st.sampled_from(["", "", *TRAILING_COMMENTS]))]
    if kind == "with":
        return [draw(st.sampled_from(GRAD_MODE_WITH)), *_indent(draw(block(inner)))]
    if kind == "async_with":
        return ["async with lock:", *_indent(draw(block(inner)))]
    if kind in ("for", "async_for", "while"):
        header = {
            "for": "for batch in val_loader:",
            "async_for": "async for batch in stream:",
            "while": draw(st.sampled_from(["while True:", "while step < 10:"])),
        }[kind]
        lines = [header, *_indent(draw(block(loop)))]
        return lines + (["else:", *_indent(draw(block(inner)))] if draw(st.booleans()) else [])
    if kind == "try":
        lines = ["try:", *_indent(draw(block(inner)))]
        handlers = draw(
            st.sampled_from(
                [
                    ["except Exception:"],
                    ["finally:"],
                    ["except ValueError:", "else:"],
                    ["except (KeyError, TypeError) as error:", "finally:"],
                ]
            )
        )
        for handler in handlers:
            lines += [handler, *_indent(draw(block(inner)))]
        return lines
    if kind == "if":
        lines = [
            draw(st.sampled_from(["if flag:", "if model.training:", "if torch.is_grad_enabled():"])),
            *_indent(draw(block(inner))),
        ]
        if draw(st.booleans()):
            lines += ["elif step:", *_indent(draw(block(inner)))]
        return lines + (["else:", *_indent(draw(block(inner)))] if draw(st.booleans()) else [])
    if kind == "match":
        return [
            "match step:",
            INDENT + "case 0:",
            *_indent(_indent(draw(block(inner)))),
            INDENT + "case _:",
            *_indent(_indent(draw(block(inner)))),
        ]
    if kind == "def":
        return draw(function_definition(inner))
    return draw(class_definition(inner))


@st.composite
def function_definition(draw, scope: Scope) -> list[str]:
    is_async = draw(st.booleans())
    body_scope = Scope(scope.depth, function="async" if is_async else "def")
    decorators = draw(st.lists(st.sampled_from(DECORATORS), max_size=3))
    name = draw(st.sampled_from(FUNCTION_NAMES))
    header = f"{'async ' if is_async else ''}def {name}{draw(st.sampled_from(PARAMETERS))}:"
    return [*decorators, header, *_indent(draw(block(body_scope)))]


@st.composite
def class_definition(draw, scope: Scope) -> list[str]:
    """An nn.Module with a forward, or a Lightning-style module whose hooks set their own grad mode."""
    method = Scope(scope.depth, function="def")
    if draw(st.booleans()):
        return [
            "class Net(nn.Module):",
            INDENT + "def __init__(self):",
            INDENT * 2 + "super().__init__()",
            INDENT * 2 + "self.fc = nn.Linear(2, 2)",
            INDENT + "def forward(self, x):",
            *_indent(_indent(draw(block(method)))),
            INDENT * 2 + draw(st.sampled_from(["return self.fc(x)", "return F.dropout(self.fc(x), 0.1)"])),
        ]
    return [
        "class Module(LightningModule):",
        INDENT + "def validation_step(self, batch, batch_idx):",
        *_indent(_indent(draw(block(method)))),
        INDENT + "def training_step(self, batch, batch_idx):",
        *_indent(_indent(draw(block(method)))),
    ]


@st.composite
def torch_programs(draw, max_depth: int = 3) -> str:
    return "\n".join([*PRELUDE, *draw(block(Scope(max_depth)))]) + draw(st.sampled_from(ENDINGS))
