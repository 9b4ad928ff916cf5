from __future__ import annotations

from ..dataflow.state import Mode
from .base import Rule, example
from .queries import evaluation_reason, forward_passes, grad_enabled, needs_gradients


def check(facts, report) -> None:
    for fn, event in forward_passes(facts):
        # only the thread's default mode: an explicit enable_grad()/set_grad_enabled(True) is intended
        if not grad_enabled(event) or any(s.via != "default" for s in event.state.grad):
            continue
        reason = evaluation_reason(facts, fn, event, explicit_eval_counts=True, report=report)
        if reason is None or needs_gradients(facts, fn, event):
            continue
        report.add(RULE, event.node, f"forward pass of `{event.model}` in evaluation code ({reason}) runs with gradients "
                   "enabled, though nothing here needs them: autograd records the graph and keeps the activations "
                   "alive; wrap it in `with torch.no_grad():` (`model.eval()` does not disable gradient tracking)",
                   data={"function": None if fn is facts.body else fn.name})


RULE = Rule(
    code="GG201",
    slug="forward-without-no-grad",
    severity="warning",
    summary="A model forward pass in evaluation or inference code that runs with gradients enabled though nothing there needs them.",
    why="""
        `model.eval()` only sets `module.training=False`: it changes Dropout and BatchNorm, but autograd
        still records everything. Outputs keep `requires_grad=True` and a `grad_fn`, and the graph holds
        the intermediate activations until the outputs are freed (measured with torch 2.13.0: a 4-layer
        MLP kept 6 MiB of activations alive for one batch with grad on, none under `no_grad`). Results
        collected in a list keep every batch's graph. For evaluation and inference, use
        `torch.no_grad()` or `torch.inference_mode()` as well; the reliable gain is memory, speed-ups
        are usually modest. Code that needs gradients (attacks, saliency, Grad-CAM, test-time
        adaptation: anything that calls `backward()`, `torch.autograd.grad` or reads `.grad`) is not
        reported.
    """,
    fix_safety="""
        Wraps the statements that hold the forward pass and use its result in `with torch.no_grad():`
        (alternatives: decorate the function with `@torch.no_grad()`, or use `torch.inference_mode()`).
        Unsafe: if a caller backpropagates through the result, that now fails.
    """,
    references=("https://docs.pytorch.org/docs/stable/notes/autograd.html#locally-disabling-gradient-computation",
                "https://docs.pytorch.org/docs/stable/generated/torch.no_grad.html"),
    fires=(
        example("""
            import torch
            def evaluate(model, loader):
                model.eval()
                logits = []
                for x, _ in loader:
                    logits.append(model(x))  # expect
                return torch.cat(logits)
        """),
        example("""
            import torch
            model = torch.nn.Linear(3, 1)
            model.eval()
            for x, y in test_loader:
                pred = model(x)  # expect
        """),
        example("""
            import torch.nn as nn
            class Wrapper:
                def __init__(self, net: nn.Module):
                    self.net = net
                def predict_proba(self, x):
                    self.net.eval()
                    return self.net(x).softmax(-1).detach().numpy()  # expect
        """),
        example("""
            import torch as T
            def predict(model: T.nn.Module, x):
                return model.forward(x)  # expect
        """),
        example("""
            import torch
            def run(model, val_loader):
                model.eval()
                for batch in val_loader:
                    out = model(batch)  # expect
        """),
        example("""
            import torch
            def infer(model, xs):
                model.eval()
                def one(x):
                    return x
                return [one(model(x)) for x in xs]  # expect
        """),
    ),
    silent=(
        example("""
            import torch
            @torch.no_grad()
            def evaluate(model, loader):
                model.eval()
                return [model(x) for x, _ in loader]
        """),
        example("""
            import torch
            def fgsm(model, x, y, eps):
                model.eval()
                x = x.clone().requires_grad_(True)
                loss = torch.nn.functional.cross_entropy(model(x), y)
                loss.backward()
                return x + eps * x.grad.sign()
        """),
        example("""
            import torch
            def evaluate(model, loader):
                model.eval()
                with torch.inference_mode():
                    return [model(x) for x, _ in loader]
        """),
        example("""
            import torch
            def train(model, loader, opt):
                model.train()
                for x, y in loader:
                    loss = (model(x) - y).pow(2).mean()
                    loss.backward()
                    opt.step()
        """),
        example("""
            import torch
            def validate(model, x):
                with torch.set_grad_enabled(False):
                    return model(x)
            def helper(model, x):
                model.eval()
                with torch.no_grad():
                    return helper2(model, x)
            def helper2(model, x):
                return model(x)
        """),
        example("""
            import torch.nn as nn
            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.body = nn.Linear(2, 2)
                def forward(self, x):
                    return self.body(x)
                def validation_step(self, batch, idx):
                    return self(batch)
        """),
    ),
    check=check,
)
