from __future__ import annotations

import ast
from collections.abc import Iterator

from ..dataflow.events import CallEvent
from ..dataflow.facts import ModuleFacts
from ..dataflow.functions import FunctionFacts
from ..fixdata import ForwardPasses
from ..report import Report
from .base import Rule, example
from .gg110_volatile_has_no_effect import volatile_arguments
from .handback import handed_back_forward_passes
from .intent import evaluation_evidence, needs_gradients
from .modelclass import forward_sets_grad, model_class, records_no_graph
from .queries import forward_passes, grad_enabled

ALREADY_NO_GRAD_METHODS = ("generate",)  # Hugging Face `generate` runs under no_grad; an own one is checked inside


def check(facts: ModuleFacts, report: Report) -> None:
    groups: dict[tuple[int, int], list] = {}  # one finding (and one fix) per loop, or per function outside loops
    for fn, event, helper in _forward_passes(facts):
        # only the thread's default mode: an explicit enable_grad()/set_grad_enabled(True) is intended
        if not grad_enabled(event) or any(s.via != "default" for s in event.state.grad):
            continue
        if isinstance(event.node.func, ast.Attribute) and event.node.func.attr in ALREADY_NO_GRAD_METHODS:
            continue
        evidence = evaluation_evidence(facts, fn, event, explicit_eval_counts=True)
        if (
            evidence is None
            or needs_gradients(facts, fn, event)
            or (event.model is not None and records_no_graph(facts, event.model, event.state.mode(event.model)))
            or _forward_decides_grad(facts, event)
        ):
            continue
        if evidence.from_outputs:  # the code around it may train (a sample grid in a training loop): alone
            groups[(id(fn), id(event.node))] = [(fn, event, evidence, None, helper)]
            continue
        loop = event.loop_val or max(
            (candidate.node for candidate in fn.loops.values() if _holds(candidate.node, event.node)),
            key=lambda node: node.lineno,
            default=None,
        )
        groups.setdefault((id(fn), id(loop)), []).append((fn, event, evidence, loop, helper))
    for group in groups.values():
        group.sort(key=lambda item: (item[1].node.lineno, item[1].node.col_offset))
        fn, event, evidence, loop, helper = group[0]
        volatile = volatile_arguments(fn)
        nor_volatile = (
            f", nor does `{ast.unparse(volatile[0])}` at {report.line(volatile[0])}, which PyTorch ignores"
            if volatile
            else ""
        )
        together = (
            ForwardPasses()
            if len(group) == 1
            else ForwardPasses(loop_line=report.first_line(loop))
            if loop is not None
            else ForwardPasses(last_line=report.first_line(group[-1][1].node))
        )
        runs = f"`{helper}()` runs `{event.model}`" if helper else f"`{event.model}` runs"
        report.add(
            RULE,
            event.node,
            f"{runs} with gradients on in evaluation code: wrap it in `torch.no_grad()`. "
            f"It is evaluation code ({evidence.say(report)}) and nothing here needs "
            "gradients: autograd keeps the activations alive, and `model.eval()` does not disable gradient "
            f"tracking{nor_volatile}",
            related=[
                *evidence.related,
                *(
                    (other.node, f"forward pass of `{other.model}` with gradients enabled too")
                    for _, other, _, _, _ in group[1:]
                ),
            ],
            data=together,
        )


def _forward_passes(facts: ModuleFacts) -> Iterator[tuple[FunctionFacts, CallEvent, str | None]]:
    """Forward passes, and calls of another file's helpers that hand one back (`extract_features(model, x)`),
    with the helper's name."""
    for fn, event in forward_passes(facts):
        yield fn, event, None
    for fn in facts.functions:
        if not fn.framework_hook:
            for event, helper in handed_back_forward_passes(facts, fn):
                yield fn, event, helper


def _forward_decides_grad(facts: ModuleFacts, event: CallEvent) -> bool:
    """`model(data, mode="inference")` of a model whose `forward` turns gradients off itself for some inputs:
    whether this call records a graph is its decision, not the caller's."""
    assert event.model is not None  # a forward pass names its model
    built = model_class(facts, event.model, event.state.mode(event.model))
    return built is not None and forward_sets_grad(facts, built)


def _holds(outer: ast.stmt, node: ast.expr) -> bool:
    return outer.lineno <= node.lineno <= (outer.end_lineno or outer.lineno)


RULE = Rule(
    code="GG201",
    slug="forward-without-no-grad",
    severity="warning",
    summary=(
        "A model forward pass in evaluation or inference code that runs with gradients enabled though nothing there "
        "needs them."
    ),
    why="""
        `model.eval()` only sets `module.training=False`: it changes Dropout and BatchNorm, but autograd
        still records everything. Outputs keep `requires_grad=True` and a `grad_fn`, and the graph holds
        the intermediate activations until the outputs are freed (measured with torch 2.13.0: a 4-layer
        MLP kept 6 MiB of activations alive for one batch with grad on, none under `no_grad`). Results
        collected in a list keep every batch's graph. For evaluation and inference, use
        `torch.no_grad()` or `torch.inference_mode()` as well; the reliable gain is memory, speed-ups
        are usually modest. Code that needs gradients (attacks, saliency, Grad-CAM, test-time
        adaptation: anything that calls `backward()`, `torch.autograd.grad` or reads `.grad`) is not
        reported, nor is a model whose own `forward` turns gradients off (for some inputs at least). A
        `backward()` that nothing computed from the forward pass can reach (a test batch scored inside a
        training loop) does not make it training code; where the output goes beyond what the analysis
        can follow (a return, `self.x = out`, a call it cannot see into), it may.
    """,
    fix_safety="""
        Wraps the statements that hold the forward pass and use its result in `with torch.no_grad():`
        (alternatives: decorate the function with `@torch.no_grad()`, or use `torch.inference_mode()`).
        Several forward passes in one loop, or in one function outside loops, are one finding (the
        others are its related locations) with one fix: it wraps the loop, or the statements from
        the first forward pass to the last.
        Unsafe: if a caller backpropagates through the result, that now fails.
    """,
    fixes=("wrap.wrap_forward",),
    references=(
        "https://docs.pytorch.org/docs/stable/notes/autograd.html#locally-disabling-gradient-computation",
        "https://docs.pytorch.org/docs/stable/generated/torch.no_grad.html",
    ),
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
        example("""
            import torch
            def predict_batches(model, loader):
                model.eval()
                for x in loader:
                    yield model(x).argmax(1)  # expect
        """),
        example("""
            import torch as T
            class Classifier:
                def __init__(self, net: T.nn.Module):
                    self.net = net
                def predict(self, x):
                    self.net.eval()
                    return self.net(x).argmax(-1)  # expect
        """),
        example("""
            import torch
            def evaluate(model, loader, path):
                model.eval()
                with torch.autocast("cpu", dtype=torch.bfloat16), open(path, "w") as f:
                    for x, _ in loader:
                        f.write(str(model(x).argmax(1).tolist()))  # expect
        """),
        example("""
            from transformers import AutoModelForSequenceClassification
            model = AutoModelForSequenceClassification.from_pretrained("distilbert-base-uncased")
            preds = []
            for batch in test_loader:
                preds.append(model(**batch).logits.argmax(-1))  # expect
        """),
        example("""
            import torch
            class Handler:
                def __init__(self, model: torch.nn.Module):
                    self.model = model.eval()
                async def predict(self, request):
                    x = torch.tensor(await request.json())
                    return self.model(x).tolist()  # expect
        """),
        example("""
            import torch
            def infer(model, x):
                return model(x).softmax(-1)  # expect
            def main(model, images):
                model.eval()
                return [infer(model, x) for x in images]
        """),
        example("""
            import torch
            from torch import no_grad
            def validate(model, loader):
                model.eval()
                total = 0.0
                for x, y in loader:
                    total += (model(x).argmax(1) == y).sum().item()  # expect
                return total
        """),
        example("""
            import time
            import torch
            def benchmark(model, inputs, repeats=10):
                model.eval()
                timings = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    model(inputs[0])  # expect
                    model(inputs[1])
                    model(inputs[2])
                    model(inputs[3])
                    timings.append(time.perf_counter() - start)
                return timings
        """),
        example("""
            import torch
            import torchvision
            def main(weights, images):
                net = torchvision.models.resnet18(num_classes=10)
                net.load_state_dict(torch.load(weights))
                print(net(images).argmax(1))  # expect
        """),
        example("""
            import torch
            net = torch.load("melody.pt", weights_only=False)
            note = torch.zeros(1, 1, dtype=torch.long)
            for _ in range(100):
                logits = net(note)  # expect
                note = torch.multinomial(logits.softmax(-1), 1)
        """),
        example("""
            import torch
            import torch.nn as nn
            def _collect(model: nn.Module, batches):
                return torch.cat([model(x) for x in batches])  # expect
            def validate(model: nn.Module, batches):
                model.eval()
                return _collect(model, batches).mean().item()
        """),
        example("""
            import torch
            from transformers import AutoModel
            encoder = AutoModel.from_pretrained("bert-base-uncased")
            vectors = [encoder(**batch).last_hidden_state[:, 0].tolist() for batch in batches]  # expect
        """),
        example("""
            import torch
            import torch.nn as nn
            class LM(nn.Module):
                def forward(self, x):
                    return x
                def evaluate(self, x):
                    return self(x).mean().item()  # expect
            def report(lm: LM, x):
                lm.eval()
                return lm.evaluate(x)
        """),
        example("""
            import torch
            import torch.nn as nn
            class MIL(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(4, 1)
                def forward(self, x):
                    return self.fc(x)
                def calculate_objective(self, x, y):
                    return ((self.fc(x) - y) ** 2).mean()
            model = MIL()
            def test(loader):
                model.eval()
                total = 0.0
                for x, y in loader:
                    total += model.calculate_objective(x, y).item()  # expect
                return total
        """),
        example("""
            import torch
            import torch.nn as nn
            class Tagger(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.proj = nn.Linear(8, 4)
                def forward(self, x):
                    return self.proj(x)
                def _scores(self, x):
                    return self.forward(x).max(-1)  # expect
                def predict(self, sentences, eval_data):
                    for x in sentences:
                        scores, tags = self._scores(x)
                        x.tags = tags.tolist()
                    return sentences
        """),
        example("""
            import torch
            class Trainer:
                def __init__(self, model, loader, dev_loader):
                    self.model, self.loader, self.dev_loader = model, loader, dev_loader
                    self.optimizer = torch.optim.Adam(self.model["generator"].parameters())
                def _train_step(self, z):
                    loss = self.model["generator"](z).mean()
                    self.optimizer.zero_grad()
                    loss.backward()
                    self.optimizer.step()
                def _eval_step(self, z):
                    self.model["generator"].eval()
                    y = self.model["generator"](z)  # expect
                    return y.mean().item()
        """),
        example("""
            import torch
            from torchvision.utils import save_image
            class GAN:
                def __init__(self, gen: torch.nn.Module, fixed_z):
                    self.gen, self.fixed_z = gen, fixed_z
                @staticmethod
                def create_grid(samples, files):
                    samples = list(map(lambda x: torch.clamp(x.detach() / 2 + 0.5, 0, 1), samples))
                    for sample, name in zip(samples, files):
                        save_image(sample, name)
                def train(self, loader):
                    self.gen.train()
                    for i, batch in enumerate(loader):
                        self._step(batch)
                        if i % 100 == 0:
                            self.create_grid(self.gen(self.fixed_z), ["a.png"])  # expect
        """),
        example("""
            import torch
            class Trainer:
                def __init__(self, net: torch.nn.Module):
                    self.net = net
                def fit(self, loader, z, path):
                    self.net.train()
                    for batch in loader:
                        self._step(batch)
                    images = self.net(z)  # expect
                    images = images.detach().cpu()
                    write_png(images, path)
        """),
        example("""
            import torch
            scores = []
            for epoch in range(10):
                model.train()
                for x, y in train_loader:
                    loss = criterion(model(x), y)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                model.eval()
                for lr, hr in batches:
                    sr = model(lr)  # expect
                    scores.append(psnr(sr, hr).item())
        """),
        example("""
            import torch
            def train(model, loader, x_test, y_test):
                for i, (x, y) in enumerate(loader):
                    out = model(x)
                    loss = criterion(out, y)
                    loss.backward()
                    optimizer.step()
                    if i % 10 == 0:
                        model.eval()
                        out = model(x_test)  # expect
                        loss = criterion(out, y_test)
                        print(loss.item())
                        model.train()
        """),
    ),
    silent=(
        example("""
            import torch
            def evaluate(model, loader):
                model.eval()
                logits = []
                with torch.no_grad():
                    for x, _ in loader:
                        logits.append(model(x))
                return torch.cat(logits)
        """),
        example("""
            import torch
            G.eval()  # batch norm statistics frozen while fine-tuning
            for z, real in loader:
                fake = G(z)
                d_loss = bce(D(fake.detach()), zeros) + bce(D(real), ones)
                d_loss.backward()
                g_loss = bce(D(fake), ones)
                g_loss.backward()
                optimizer.step()
        """),
        example("""
            import torch
            def attack(model, loader, criterion, steps):
                model.eval()
                for x, y in loader:
                    delta = torch.zeros_like(x, requires_grad=True)
                    for _ in range(steps):
                        losses = []
                        for view in augment(x + delta):
                            loss = criterion(model(view), y)
                            losses.append(loss)
                        sum(losses).backward()
                        delta = (delta + delta.grad.sign()).detach().requires_grad_()
        """),
        example("""
            import torch
            def transfer(model, content, image, optimizer):
                model.eval()
                target = model(content)
                def closure():
                    optimizer.zero_grad()
                    loss = mse(model(image), target)
                    loss.backward()
                    return loss
                for _ in range(300):
                    optimizer.step(closure)
        """),
        example("""
            import torch
            def accumulate(model, loader, criterion, optimizer):
                model.eval()
                for x, y in loader:
                    total = 0
                    for xs, ys in zip(x.split(4), y.split(4)):
                        total = total + criterion(model(xs), ys)
                    total.backward()
                    optimizer.step()
        """),
        example("""
            import torch
            class Distiller:
                def step(self, x, y):
                    self.teacher.eval()
                    self.soft = self.teacher(x)
                    loss = self.distillation_loss(y)
                    loss.backward()
        """),
        example("""
            import torch
            import torch.nn.functional as F
            def attack_pgd(model, X, y, steps, restarts):
                best = torch.zeros_like(X)
                best_loss = torch.zeros(len(y))
                for _ in range(restarts):
                    delta = torch.zeros_like(X, requires_grad=True)
                    for _ in range(steps):
                        loss = F.cross_entropy(model(X + delta), y)
                        loss.backward()
                        delta.data = (delta + delta.grad.sign()).clamp(-0.03, 0.03)
                        delta.grad.zero_()
                    all_loss = F.cross_entropy(model(X + delta), y, reduction="none").detach()
                    best[all_loss >= best_loss] = delta.detach()[all_loss >= best_loss]
                    best_loss = torch.max(best_loss, all_loss)
                return best
            def evaluate_pgd(loader, model):
                model.eval()
                for X, y in loader:
                    delta = attack_pgd(model, X, y, 10, 2)
                    with torch.no_grad():
                        print(model(X + delta).argmax(1))
        """),
        example("""
            import torch
            def train(model, loader, tracker, x_test):
                for x, y in loader:
                    loss = criterion(model(x), y)
                    loss.backward()
                    optimizer.step()
                    model.eval()
                    tracker.update(model(x_test))
                    model.train()
        """),
        example("""
            import torch
            import torch.nn as nn
            class Pix2Pix(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.generator = nn.Sequential(nn.Conv2d(3, 3, 3), nn.Tanh())
                def forward(self, data, mode):
                    if mode == "inference":
                        with torch.no_grad():  # the model decides: callers need no no_grad of their own
                            return self.generator(data)
                    return self.generator(data).mean()
            def test(loader, path):
                model = Pix2Pix()
                model.load_state_dict(torch.load(path))
                model.eval()
                return [model(data, mode="inference").cpu() for data in loader]
        """),
        example("""
            import torch
            class Trainer:
                def __init__(self, model, criterion):
                    self.model, self.criterion = model, criterion
                    self.optimizer = torch.optim.Adam(self.model["generator"].parameters())
                def _eval_step(self, z, y):
                    with torch.no_grad():
                        y_ = self.model["generator"](z)
                    return self.criterion["mse"](y_, y).item()
        """),
        example("""
            import torch
            from transformers import AutoModelForCausalLM, MistralCommonBackend
            model = AutoModelForCausalLM.from_pretrained("mistralai/Ministral-3-3B-Instruct-2512")
            tokenizer = MistralCommonBackend.from_pretrained("mistralai/Ministral-3-3B-Instruct-2512")
            inputs = tokenizer.apply_chat_template(messages, return_tensors="pt", return_dict=True)
            with torch.no_grad():
                output = model.generate(**inputs, max_new_tokens=64)[0]
            print(tokenizer.decode(output))
        """),
        example("""
            import torch
            @torch.no_grad()
            def evaluate(model, loader):
                model.eval()
                return [model(x) for x, _ in loader]
        """),
        example("""
            import torch
            import torch.nn as nn
            def infer(model: nn.Module, images):
                return model(images)
            def train_step(model: nn.Module, images, targets, opt):
                loss = nn.functional.cross_entropy(infer(model, images), targets)
                loss.backward()
                opt.step()
        """),
        example("""
            import torch
            import torch.nn as nn
            class Block(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(8, 8)
                def forward(self, x):
                    return self.fc(x)
            def test():
                net = Block()
                y = net(torch.randn(2, 8))
                print(y.shape)
        """),
        example("""
            import torch
            import torch.nn as nn
            class Evaluator:
                def __init__(self, model: nn.Module):
                    self.model = model
                def evaluate(self, x):
                    return self.model(x).mean().item()
            def report(model: nn.Module, x):
                lm = Evaluator(model)
                model.eval()
                with torch.no_grad():
                    return lm.evaluate(x)
        """),
        example("""
            import torch
            import pytorch_pfn_extras as ppe
            def build(model: torch.nn.Module, loader):
                def eval_step(x, y):
                    return model(x)
                return ppe.training.extensions.Evaluator(loader, model, eval_func=eval_step)
        """),
        example("""
            import numpy as np
            class Stump:
                def eval(self):
                    return self
                def __call__(self, x):
                    return np.sign(x)
            def evaluate(model, x):
                model.eval()
                return model(x)
        """),
        example("""
            import torch
            import torch.nn as nn
            def compliant_with_eval(x):
                model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.1)).eval()
                with torch.no_grad():
                    return model(x)
            def compliant_without_eval(x):
                model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.1))
                return model(x)
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
        example("""
            from torch import no_grad
            @no_grad
            def predict(model, x):
                model.eval()
                return model(x).argmax(1)
        """),
        example("""
            import torch
            from torch import inference_mode as im
            def evaluate(model, loader):
                model.eval()
                with im(), torch.autocast("cpu", dtype=torch.bfloat16):
                    return [model(x).float() for x, _ in loader]
        """),
        example("""
            import torch
            def predict(model, x):
                return model(x).softmax(-1)
            def evaluate(model, loader):
                model.eval()
                with torch.no_grad():
                    return [predict(model, x) for x, _ in loader]
        """),
        example("""
            import torch
            def gradcam(model, layer, x, cls):
                feats = []
                hook = layer.register_forward_hook(lambda m, i, o: feats.append(o))
                model.eval()
                score = model(x)[0, cls]
                hook.remove()
                grads = torch.autograd.grad(score, feats[0])[0]
                return (grads.mean((2, 3), keepdim=True) * feats[0]).sum(1).relu()
        """),
        example("""
            import torch
            def tent_adapt(model, test_loader, optimizer):
                preds = []
                for x in test_loader:
                    logits = model(x)
                    entropy = -(logits.softmax(1) * logits.log_softmax(1)).sum(1).mean()
                    entropy.backward()
                    optimizer.step()
                    optimizer.zero_grad()
                    preds.append(logits.argmax(1))
                return preds
        """),
        example("""
            import torch
            import torch.nn.functional as F
            def evaluate_few_shot(model, xs, ys, inner_lr=0.4):
                model.eval()
                loss = F.cross_entropy(model(xs), ys)
                params = list(model.parameters())
                grads = torch.autograd.grad(loss, params, create_graph=True)
                return [p - inner_lr * g for p, g in zip(params, grads)]
        """),
        example("""
            import torch
            def gradient_penalty(critic, real, fake):
                alpha = torch.rand(real.size(0), 1, 1, 1)
                mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
                out = critic(mixed)
                grad, = torch.autograd.grad(out.sum(), mixed, create_graph=True)
                return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
        """),
        example("""
            import torch
            def validate(ema_model, model, val_loader, decay=0.999):
                with torch.no_grad():
                    for e, p in zip(ema_model.parameters(), model.parameters()):
                        e.lerp_(p, 1 - decay)
                    ema_model.eval()
                    return [ema_model(x) for x, _ in val_loader]
        """),
        example("""
            import lightning as L
            class LitClassifier(L.LightningModule):
                def __init__(self, net):
                    super().__init__()
                    self.net = net
                def validation_step(self, batch, batch_idx):
                    x, y = batch
                    self.log("val_acc", (self.net(x).argmax(1) == y).float().mean())
        """),
        example("""
            import torch
            class Server:
                def __init__(self, model: torch.nn.Module):
                    self.model = model.eval()
                async def predict(self, request):
                    x = torch.tensor(await request.json())
                    with torch.inference_mode():
                        y = self.model(x)
                    return y.tolist()
        """),
        example("""
            import torch
            @torch.no_grad()
            def predict_stream(model, batches):
                model.eval()
                for x in batches:
                    yield model(x).argmax(1)
        """),
        example("""
            import torch
            @torch.no_grad()
            def evaluate(model, loader):
                model.eval()
                def score(x):
                    return model(x).softmax(-1)
                return [score(x) for x, _ in loader]
        """),
        example("""
            import torch
            @torch.no_grad()
            def sgd_step(model, lr):
                for p in model.parameters():
                    p -= lr * p.grad
            def fit(model, loader, lr):
                model.train()
                for x, y in loader:
                    loss = (model(x) - y).pow(2).mean()
                    loss.backward()
                    sgd_step(model, lr)
                    model.zero_grad()
        """),
        example("""
            import torch as ch
            from robustness.model_utils import make_and_restore_model
            model, _ = make_and_restore_model(arch="resnet50", dataset=ds, resume_path="checkpoint.pt")
            model.eval()
            _, im_adv = model(im, label, make_adv=True, constraint="2", eps=0.5)
            show_image_row([im.cpu(), im_adv.cpu()])
        """),
        example("""
            from transformers import AutoModelForCausalLM
            model = AutoModelForCausalLM.from_pretrained("gpt2")
            def infer(input_ids):
                return model.generate(input_ids, max_new_tokens=20)
        """),
        example("""
            import torch
            import torchvision
            def main(weights, loader):
                net = torchvision.models.resnet18()
                net.load_state_dict(torch.load(weights))
                print(net(torch.zeros(1, 3, 224, 224)).shape)
                finetune(net, loader)
        """),
        example("""
            import torch
            class Trainer:
                def __init__(self, net: torch.nn.Module):
                    self.net = net
                def fit(self, loader, z, path, keep_graph):
                    self.net.train()
                    for batch in loader:
                        self._step(batch)
                    images = self.net(z)
                    if not keep_graph:
                        images = images.detach().cpu()
                    write_png(images, path)
        """),
        example("""
            import torch
            class GAN:
                def __init__(self, gen: torch.nn.Module, fixed_z):
                    self.gen, self.fixed_z = gen, fixed_z
                @staticmethod
                def rescale(samples):
                    samples = list(map(lambda x: x.detach() / 2 + x, samples))
                    return samples
                def train(self, loader):
                    self.gen.train()
                    for i, batch in enumerate(loader):
                        self._step(batch, self.rescale(self.gen(self.fixed_z)))
        """),
        example("""
            import torch
            import torch.nn as nn
            def aggregate_mask(pooled, classifier):
                logits = classifier(pooled)
                mask = (logits.softmax(-1)[:, 1:].sum(1) > 0.5).float()
                mask = mask.detach()
                return mask
            class QA(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.head = nn.Linear(8, 3)
                def forward(self, pooled, labels):
                    with torch.no_grad():
                        weight = labels.float().mean()
                    mask = aggregate_mask(pooled, self.head)
                    return (mask * labels).sum() * weight
        """),
        example("""
            import torch
            class Trainer:
                def fit(self, epochs):
                    for epoch in range(epochs):
                        self.train_epoch()
                        with torch.no_grad():  # the base class runs every subclass's validation under no_grad
                            self.valid_epoch()
                def valid_epoch(self):
                    raise NotImplementedError
            class ContrastiveTrainer(Trainer):
                def __init__(self, model, loader, val_loader):
                    self.model, self.loader, self.val_loader = model, loader, val_loader
                    self.optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
                def train_epoch(self):
                    self.model.train()
                    for x in self.loader:
                        self.model(x).sum().backward()
                        self.optimizer.step()
                def valid_epoch(self):
                    self.model.eval()
                    return sum(self.model(x).sum().item() for x in self.val_loader)
        """),
        example("""
            import torch
            from torch import nn
            model = nn.Sequential(nn.Linear(4, 2), nn.Dropout(0.1))
            val_loader = torch.utils.data.DataLoader(torch.randn(8, 4))
            def fit(net, loader):
                for batch in loader:
                    net(batch)
            fit(model, val_loader)  # hands the model and the loader to `fit`, draws no batch here
            image = torch.randn(1, 4)
            print(model(image).argmax())
        """),
    ),
    check=check,
)
