from __future__ import annotations

from ..dataflow.state import Mode
from .base import Rule, example
from .queries import evaluation_reason, forward_passes, grad_disabled, needs_gradients, statement_line


def check(facts, report) -> None:
    for fn, event in forward_passes(facts):
        mode = event.state.mode(event.model)
        if not mode or any(s.via != "loaded" or s.value is Mode.EVAL for s in mode):
            continue
        loads = [s.origin for s in mode if id(s.origin) in fn.calls]
        if not loads:
            continue  # the load happened in another function
        if not grad_disabled(event) and (evaluation_reason(facts, fn, event, explicit_eval_counts=False, report=report) is None
                                         or needs_gradients(facts, fn, event)):
            continue
        load = min(loads, key=lambda n: n.lineno)
        report.add(RULE, event.node, f"`{event.model}` got weights from `load_state_dict()` ({report.line(load)}) and is used "
                   f"for forward passes that need no gradients with no `{event.model}.eval()` on the way: "
                   "`load_state_dict()` does not change the mode, so Dropout and BatchNorm may still be in training mode",
                   related=[(load, "weights loaded here")],
                   data={"receiver": event.model, "anchor_line": (load.end_lineno or load.lineno) - 1,
                         "anchor_statement_line": statement_line(fn, load)})


RULE = Rule(
    code="GG205",
    slug="mode-unset-after-load",
    severity="info",
    summary="Weights loaded with `load_state_dict()` and the model then used for forward passes that need no gradients, with no `eval()`/`train()` on the way.",
    why="""
        `load_state_dict()` copies tensors; it does not touch `module.training`. A freshly constructed
        model is in training mode, so a model built, loaded and then used to embed a corpus, score a
        test set or act as a distillation teacher runs with Dropout on and train-mode BatchNorm, which
        also updates its running statistics from that data (measured with torch 2.13.0). Reported on
        the forward pass, with the load as related location; a model handed to another function after
        the load is not reported, since that function may set the mode. Where this applies, it replaces
        GG202: one finding per harm.
    """,
    fix_safety="Inserts `model.eval()` after the load. Unsafe: results change, which is the point.",
    references=("https://docs.pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.load_state_dict",
                "https://docs.pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval"),
    fires=(
        example("""
            import torch
            import torch.nn as nn
            def embed(texts, path):
                encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(64, 4), 2)
                encoder.load_state_dict(torch.load(path))
                with torch.no_grad():
                    return [encoder(t) for t in texts]  # expect
        """),
        example("""
            import torch
            def distill(student, teacher: torch.nn.Module, loader, opt, path):
                teacher.load_state_dict(torch.load(path))
                for x in loader:
                    with torch.no_grad():
                        t = teacher(x)  # expect
                    loss = (student(x) - t).pow(2).mean()
        """),
        example("""
            import torch
            model = torch.nn.Linear(2, 2)
            model.load_state_dict(torch.load("w.pt"))
            with torch.inference_mode():
                print(model(torch.ones(2)))  # expect
        """),
        example("""
            import torch
            @torch.no_grad()
            def predict(model: torch.nn.Module, state, x):
                model.load_state_dict(state)
                return model(x)  # expect
        """),
        example("""
            import torch as T
            def score(x, path):
                net = T.nn.Sequential(T.nn.Linear(2, 2), T.nn.Dropout())
                net.load_state_dict(T.load(path), strict=False)
                with T.no_grad():
                    return net.forward(x)  # expect
        """),
        example("""
            import torch
            class Service:
                def __init__(self, path):
                    self.model = torch.nn.Linear(2, 2)
                    self.model.load_state_dict(torch.load(path))
                    with torch.no_grad():
                        self.warm = self.model(torch.zeros(2))  # expect
        """),
    ),
    silent=(
        example("""
            import torch
            import torch.nn as nn
            def embed(texts, path):
                encoder = nn.Linear(2, 2)
                encoder.load_state_dict(torch.load(path))
                encoder.eval()
                with torch.no_grad():
                    return [encoder(t) for t in texts]
        """),
        example("""
            import torch
            def resume(model: torch.nn.Module, path, loader, opt):
                model.load_state_dict(torch.load(path))
                model.train()
                for x in loader:
                    model(x).sum().backward()
                    opt.step()
        """),
        example("""
            import torch
            def load_and_eval(model: torch.nn.Module, path, loader):
                model.load_state_dict(torch.load(path))
                return evaluate(model, loader)
        """),
        example("""
            import torch
            def export(model: torch.nn.Module, path, x):
                model.load_state_dict(torch.load(path))
                prepare(model)
                with torch.no_grad():
                    return model(x)
        """),
        example("""
            import torch
            def finetune(model: torch.nn.Module, path, x, opt):
                model.load_state_dict(torch.load(path))
                loss = model(x).sum()
                loss.backward()
                opt.step()
        """),
        example("""
            import torch
            model = torch.nn.Linear(2, 2).eval()
            model.load_state_dict(torch.load("w.pt"))
            with torch.no_grad():
                y = model(torch.ones(2))
        """),
    ),
    check=check,
)
