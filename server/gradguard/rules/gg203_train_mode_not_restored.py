from __future__ import annotations

import ast

from ..dataflow.events import CallEvent, is_parameter_update
from ..dataflow.facts import ModuleFacts
from ..dataflow.functions import FunctionFacts
from ..dataflow.names import dotted
from ..dataflow.state import Mode, Possible, Setting, only
from ..fixdata import ModelInLoop
from ..report import Report
from ..vocabulary import BACKWARD_METHODS, FRAMEWORK_TRAIN_HOOKS
from .base import Rule, example
from .queries import grad_disabled, mode_switched_by


def check(facts: ModuleFacts, report: Report) -> None:
    _loops_left_in_eval_mode(facts, report)
    _methods_returning_in_eval_mode(facts, report)


def _loops_left_in_eval_mode(facts: ModuleFacts, report: Report) -> None:
    for fn in facts.functions:
        for loop in fn.loops.values():
            reported: set[int] = set()
            events = list(loop.next_iteration.values())
            for event in events:
                for key, mode in sorted(event.state.modes.items(), key=_outermost_first):
                    if not only(mode, Mode.EVAL):
                        continue  # another path set it back to train mode (`if phase == "train"` loops)
                    for setting in mode:
                        if not setting.next_iteration or id(setting.origin) in reported:
                            continue  # switched again in this iteration before training: not a leftover
                        if not _trains(facts, fn, event, key, setting, events):
                            continue
                        reported.add(id(setting.origin))
                        report.add(
                            RULE,
                            setting.origin,
                            f"the next iteration trains `{key}` in eval mode: call `{key}.train()` before it. "
                            f"It is switched to eval mode by {mode_switched_by(setting, report)} "
                            f"inside this loop, and the training step ({report.line(event.node)}) runs without "
                            f"`{key}.train()`: Dropout stays off and BatchNorm stops updating its statistics",
                            related=[(event.node, "training step that runs in eval mode")],
                            data=ModelInLoop(key, report.first_line(loop.node.body[0])),
                        )


def _methods_returning_in_eval_mode(facts: ModuleFacts, report: Report) -> None:
    """A public method that switches `self.net` to eval mode for its own forward passes and returns with it
    still in eval mode, in a class whose public training method trains `self.net` in whatever mode it finds it:
    training after that method (`model.predict(x)`, then `model.fit(data)`) runs in eval mode."""
    for fn in facts.functions:
        if not _public_method(fn):
            continue
        reported: set[int] = set()
        for key, mode in sorted(fn.summary.mode_exit.items(), key=_outermost_first):
            if key != "self" and not key.startswith("self."):
                continue
            entry = fn.entry.mode(key)
            made = [s for s in mode if s not in entry]
            if not made or any(s.value is not Mode.EVAL or s.via != "call" for s in made):
                continue  # it may leave `key` in training mode (restored, or `train(was_training)`)
            if not any(
                e.model is not None
                and _same_model(e.model, key)
                and any(s.value is Mode.EVAL and s.via == "call" and s not in entry for s in e.state.mode(key))
                for e in fn.call_events()
            ):
                continue  # switching the mode is its job (`freeze()`, a wrapper's own `eval()`)
            if any(s.via == "loaded" for e in fn.call_events() for s in e.state.mode(key)):
                continue  # it loads trained weights first: an inference entry point, not a step between fits
            training = _training_from_entry(facts, fn, key)
            if training is None:
                continue
            trainer, step = training
            setting = max(made, key=lambda s: (s.origin.lineno, s.origin.col_offset))
            if id(setting.origin) in reported:
                continue  # `self.eval()` leaves `self.body` in eval mode too: one finding, on the outermost
            reported.add(id(setting.origin))
            report.add(
                RULE,
                setting.origin,
                f"`{fn.name}()` returns with `{key}` in eval mode: call `{key}.train()` before returning. "
                f"`{trainer.name}()` trains `{key}` in the mode it finds it in "
                f"(training step at {report.line(step.node)}), "
                f"so training after `{fn.name}()` runs in eval mode: Dropout stays off and BatchNorm stops updating "
                "its statistics",
                related=[(step.node, f"`{trainer.name}()` trains `{key}` without `{key}.train()`")],
            )


def _public_method(fn: FunctionFacts) -> bool:
    """A method the class's users call (not `_helper`, not `__init__`), and not a hook a framework calls in the
    mode it sets itself (Lightning runs `training_step` after `model.train()`)."""
    return fn.is_method and not fn.name.startswith("_") and fn.name not in FRAMEWORK_TRAIN_HOOKS


def _training_from_entry(
    facts: ModuleFacts, evaluation: FunctionFacts, key: str
) -> tuple[FunctionFacts, CallEvent] | None:
    """A public method of the same class that runs a forward pass of `key` (itself, or through a method of the
    class) while `key` is in the mode the method was called with, not known to be training mode, and then takes an
    optimizer step: the method and its step. Not one that calls `evaluation` itself: the loop check judges that."""
    for trainer in facts.functions:
        if trainer is evaluation or trainer.cls is not evaluation.cls or not _public_method(trainer):
            continue
        if not trainer.summary.trains_unset:
            continue
        events = list(trainer.call_events())
        if any(facts.resolve_call(e.node, trainer) is evaluation for e in events):
            continue
        entry = trainer.entry.mode(key)
        for event in events:
            if grad_disabled(event) or event.node.lineno > trainer.last_training_step:
                continue
            if not any(s in entry and s.value is not Mode.TRAIN for s in event.state.mode(key)):
                continue
            if not _runs_forward(facts, trainer, event, key):
                continue
            step = next(
                (e for e in events if is_parameter_update(e) and e.node.lineno >= event.node.lineno),
                None,
            )
            if step is not None:
                return trainer, step
    return None


def _runs_forward(facts: ModuleFacts, fn: FunctionFacts, event: CallEvent, key: str) -> bool:
    """The call is a forward pass of `key`, or of a method of the class that runs one with gradients on, in the
    mode it is called with (`self.compute_loss(x, y)`; not one that calls `self.model.train()` first)."""
    if event.model is not None:
        return _same_model(event.model, key)
    callee = facts.resolve_call(event.node, fn)
    return (
        isinstance(callee, FunctionFacts)
        and callee.cls is fn.cls
        and any(
            e.model is not None
            and _same_model(e.model, key)
            and not grad_disabled(e)
            and e.state.mode(key) <= callee.entry.mode(key)
            for e in callee.call_events()
        )
    )


def _outermost_first(entry: tuple[str, Possible]) -> tuple[int, str]:
    """`model` before `model.encoder`: one `eval()` reaches every submodule, and the finding names the
    object it was called on, whatever order the state's keys came in (they come from sets)."""
    key = entry[0]
    return key.count("."), key


def _trains(
    facts: ModuleFacts, fn: FunctionFacts, event: CallEvent, key: str, setting: Setting, events: list[CallEvent]
) -> bool:
    """The event trains `key` while it is still in the eval mode `setting` left it in: an optimizer
    step after a forward pass of `key` that records a graph (a frozen backbone or an EMA copy run
    under no_grad is not trained), or a call of a helper that trains what it is given."""
    if _own_training_step(event, key, setting):
        return True
    if is_parameter_update(event):
        return any(
            other.model is not None
            and _same_model(other.model, key)
            and not grad_disabled(other)
            and setting in other.state.mode(other.model)
            for other in events
        )
    callee = facts.resolve_call(event.node, fn)
    if callee is None or not callee.summary.trains_unset:
        return False
    return key.startswith("self.") or key in facts.argument_map(callee, event.node, fn).values()


def _own_training_step(event: CallEvent, key: str, setting: Setting) -> bool:
    """`self.net.backward(loss)`: a model's own training step (a model class's `backward()` that steps its
    optimizers, DeepSpeed's `engine.backward(loss)`) taken while the model is in that eval mode."""
    func = event.node.func
    if (
        not isinstance(func, ast.Attribute)
        or func.attr not in BACKWARD_METHODS
        or not (event.node.args or event.node.keywords)
    ):
        return False
    receiver = dotted(func.value)
    return receiver is not None and _same_model(receiver, key) and setting in event.state.mode(receiver)


def _same_model(forward: str, key: str) -> bool:
    return forward == key or forward.startswith(key + ".") or key.startswith(forward + ".")


RULE = Rule(
    code="GG203",
    slug="train-mode-not-restored",
    severity="warning",
    summary=(
        "A training loop switches the model to eval mode (directly or through a helper) and later iterations train "
        "without `model.train()`; or a method returns with the model in eval mode and another method of its class "
        "trains it without `model.train()`."
    ),
    why="""
        `model.eval()` lasts until something calls `model.train()`: it is not scoped by a function or a
        `with` block. A training loop that evaluates every epoch (or every N steps) through a helper
        that calls `model.eval()`, and calls `model.train()` only once before the loop, trains every
        later epoch in eval mode: Dropout is off and BatchNorm normalises with frozen running statistics
        and never updates them (measured with torch 2.13.0: an eval-mode BatchNorm forward leaves its
        statistics unchanged). Nothing fails: later epochs train without Dropout and with
        the BatchNorm statistics of the last evaluation. The same holds across the methods of a class:
        a `predict()` that switches the network to eval mode and returns without restoring it, next to a
        `fit()` that trains it without calling `train()`, makes every fit after a prediction train in
        eval mode.
    """,
    fix_safety=(
        "Inserts `model.train()` right after the evaluation call inside the loop (alternative: at the top of the "
        "loop body). Unsafe: later iterations then train with Dropout and BatchNorm in training mode, which is the "
        "point. A method that returns in eval mode gets no fix: restore the mode there (`model.train()` before "
        "returning) or set it in the training method."
    ),
    fixes=("insert.train_after_evaluation",),
    references=("https://docs.pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.train",),
    fires=(
        example("""
            import torch
            def evaluate(model, loader):
                model.eval()
                with torch.no_grad():
                    return sum(model(x).sum() for x in loader)
            def fit(model, loader, val_loader, opt, epochs):
                model.train()
                for epoch in range(epochs):
                    for x in loader:
                        model(x).sum().backward()
                        opt.step()
                    evaluate(model, val_loader)  # expect
        """),
        example("""
            import torch
            def fit(model, batches, opt):
                model.train()
                for step, x in enumerate(batches):
                    model(x).sum().backward()
                    opt.step()
                    if step % 100 == 0:
                        model.eval()  # expect
                        with torch.no_grad():
                            model(x)
        """),
        example("""
            import torch
            class Trainer:
                def log_samples(self):
                    self.model.eval()
                    with torch.no_grad():
                        self.model(self.x)
                def fit(self):
                    self.model.train()
                    for x in self.loader:
                        self.model(x).sum().backward()
                        self.optimizer.step()
                        self.log_samples()  # expect
        """),
        example("""
            import torch
            def fit(model, loader, opt):
                while True:
                    for x in loader:
                        model(x).sum().backward()
                        opt.step()
                    model.train(False)  # expect
        """),
        example("""
            import torch
            def fit(model, loader, optimizer, epochs):
                model.train()
                for _ in range(epochs):
                    for x in loader:
                        optimizer.zero_grad()
                        model(x).sum().backward()
                        optimizer.step()
                    model.eval()  # expect
                    torch.save(model.state_dict(), "m.pt")
        """),
        example("""
            import torch
            def train_one_epoch(model, loader, opt):
                for x in loader:
                    model(x).sum().backward()
                    opt.step()
            def validate(model):
                model.eval()
            def fit(model, loader, opt):
                model.train()
                for epoch in range(3):
                    train_one_epoch(model, loader, opt)
                    validate(model)  # expect
        """),
        example("""
            import torch
            class Trainer:
                def __init__(self, model, opt):
                    self.model, self.opt = model, opt
                def evaluate(self, loader):
                    self.model.eval()
                    with torch.no_grad():
                        return sum(self.model(x).sum() for x in loader)
                def fit(self, loader, val_loader, epochs):
                    self.model.train()
                    for epoch in range(epochs):
                        for x in loader:
                            self.model(x).sum().backward()
                            self.opt.step()
                        self.evaluate(val_loader)  # expect
        """),
        example("""
            import torch
            def log_samples(model, fixed_noise):
                model.eval()
                with torch.no_grad():
                    return model(fixed_noise)
            def train_generator(model, loader, scaler, opt, noise):
                model.train()
                for epoch in range(10):
                    for z in loader:
                        with torch.autocast("cuda"):
                            loss = model(z).mean()
                        scaler.scale(loss).backward()
                        scaler.step(opt)
                        scaler.update()
                    log_samples(model, noise)  # expect
        """),
        example("""
            import torch
            async def fit(model, loader, opt, reporter):
                model.train()
                async for x in loader:
                    model(x).sum().backward()
                    opt.step()
                    model.eval()  # expect
                    with torch.no_grad():
                        score = model(x).mean().item()
                    await reporter.send(score)
        """),
        example("""
            import torch
            from torch import no_grad
            def fit(model, loader, val_loader, opt):
                model.train()
                for epoch in range(5):
                    for x in loader:
                        model(x).sum().backward()
                        opt.step()
                    with no_grad(), torch.autocast("cpu"):
                        model.eval()  # expect
                        print(sum(model(x).sum() for x in val_loader))
        """),
        example("""
            import torch as T
            def fit(model, batches, optimizer, max_steps):
                model.train()
                step = 0
                while step < max_steps:
                    model(next(batches)).mean().backward()
                    optimizer.step()
                    step += 1
                    if step % 500 == 0:
                        model.train(False)  # expect
                        T.save(model.state_dict(), f"ckpt_{step}.pt")
        """),
        example("""
            import torch
            def train_epoch(model, loader, opt):
                for x in loader:
                    model(x).sum().backward()
                    opt.step()
            def evaluate(model, loader):
                model.eval()
                with torch.no_grad():
                    return [model(x) for x in loader]
            if __name__ == "__main__":
                net = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Dropout(0.5))
                optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
                for epoch in range(3):
                    train_epoch(net, train_loader, optimizer)
                    evaluate(net, val_loader)  # expect
        """),
        example("""
            import torch
            class Trainer:
                def __init__(self, model, opt):
                    self.model, self.opt = model, opt
                def evaluate(self, loader):
                    model = self.model
                    model.eval()
                    with torch.no_grad():
                        return [model(x) for x in loader]
                def fit(self, loader, val_loader, epochs):
                    model = self.model
                    for epoch in range(epochs):
                        model.train()
                        for step, x in enumerate(loader):
                            model(x).sum().backward()
                            self.opt.step()
                            if step % 100 == 0:
                                self.evaluate(val_loader)  # expect
        """),
        example("""
            import torch
            class GAN(torch.nn.Module):
                def backward(self, gen_loss, dis_loss):
                    dis_loss.backward()
                    self.dis_optimizer.step()
                    gen_loss.backward()
                    self.gen_optimizer.step()
            class Runner:
                def __init__(self, gan, loader, sample_input):
                    self.gan, self.loader, self.sample_input = gan, loader, sample_input
                def sample(self):
                    self.gan.eval()
                    with torch.no_grad():
                        return self.gan(self.sample_input)
                def train(self):
                    self.gan.train()
                    for epoch in range(10):
                        for step, x in enumerate(self.loader):
                            gen_loss, dis_loss = self.gan.losses(x)
                            self.gan.backward(gen_loss, dis_loss)
                            if step % 100 == 0:
                                self.sample()  # expect
        """),
        example("""
            import torch
            class Trainer:
                def __init__(self, net, opt, loader, fixed_z):
                    self.net, self.opt, self.loader, self.fixed_z = net, opt, loader, fixed_z
                def set_mode(self, mode="train"):
                    if mode == "train":
                        self.net.train()
                    elif mode == "eval":
                        self.net.eval()
                def sample(self):
                    self.set_mode("eval")
                    with torch.no_grad():
                        return self.net(self.fixed_z)
                def fit(self):
                    self.set_mode()
                    for step, x in enumerate(self.loader):
                        self.net(x).sum().backward()
                        self.opt.step()
                        if step % 100 == 0:
                            self.sample()  # expect
        """),
        example("""
            import torch
            def set_mode(mode, models):
                for m in models:
                    if m is None:
                        continue
                    if mode == "train":
                        m.train()
                    if mode == "eval":
                        m.eval()
            def check_accuracy(generator, executor, loader):
                set_mode("eval", [generator, executor])
                with torch.no_grad():
                    return sum((executor(generator(x)).argmax(1) == y).sum().item() for x, y in loader)
            def train_loop(generator, executor, loader, val_loader):
                opt = torch.optim.Adam([*generator.parameters(), *executor.parameters()])
                set_mode("train", [generator, executor])
                for step, (x, y) in enumerate(loader):
                    torch.nn.functional.cross_entropy(executor(generator(x)), y).backward()
                    opt.step()
                    if step % 1000 == 0:
                        check_accuracy(generator, executor, val_loader)  # expect
        """),
        example("""
            import torch
            class Model:
                def __init__(self, net, optimizer):
                    self.net, self.optimizer = net, optimizer
                def compute_loss(self, x, y):
                    return torch.nn.functional.mse_loss(self.net(x), y)
                def fit(self, loader, epochs=1):
                    for _ in range(epochs):
                        for x, y in loader:
                            self.optimizer.zero_grad()
                            self.compute_loss(x, y).backward()
                            self.optimizer.step()
                def predict(self, loader, eval_=True):
                    if eval_:
                        self.net.eval()
                    with torch.no_grad():
                        preds = [self.net(x) for x in loader]
                    if eval_:
                        self.net.eval()  # expect
                    return preds
        """),
        example("""
            import torch
            class Regressor(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.body = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Dropout(0.2))
                    self.opt = torch.optim.Adam(self.parameters())
                def forward(self, x):
                    return self.body(x)
                def fit(self, loader):
                    for x, y in loader:
                        self.opt.zero_grad()
                        torch.nn.functional.mse_loss(self(x), y).backward()
                        self.opt.step()
                def predict(self, x):
                    self.eval()  # expect
                    with torch.no_grad():
                        return self(x)
        """),
    ),
    silent=(
        example("""
            import copy
            import torch
            def evaluate(model, loader):
                model.eval()
                with torch.no_grad():
                    return [model(x) for x in loader]
            def fit(model, loader, val_loader, opt):
                model.train()
                for epoch in range(3):
                    for x in loader:
                        model(x).sum().backward()
                        opt.step()
                    evaluate(copy.deepcopy(model), val_loader)
        """),
        example("""
            import torch
            class Model:
                def __init__(self, net, optimizer):
                    self.net, self.optimizer = net, optimizer
                def fit(self, loader):
                    for x, y in loader:
                        self.optimizer.zero_grad()
                        torch.nn.functional.mse_loss(self.net(x), y).backward()
                        self.optimizer.step()
                def predict(self, loader):
                    self.net.eval()
                    with torch.no_grad():
                        preds = [self.net(x) for x in loader]
                    self.net.train()
                    return preds
        """),
        example("""
            import torch
            class Model:
                def __init__(self, net, optimizer):
                    self.net, self.optimizer = net, optimizer
                def fit(self, loader):
                    self.net.train()
                    for x, y in loader:
                        self.optimizer.zero_grad()
                        torch.nn.functional.mse_loss(self.net(x), y).backward()
                        self.optimizer.step()
                def predict(self, loader):
                    was_training = self.net.training
                    self.net.eval()
                    with torch.no_grad():
                        preds = [self.net(x) for x in loader]
                    self.net.train(was_training)
                    return preds
                def score(self, loader):
                    self.net.eval()
                    with torch.no_grad():
                        return [self.net(x).mean().item() for x in loader]
        """),
        example("""
            import torch
            class Wrapper:
                def __init__(self, net, optimizer):
                    self.net, self.optimizer = net, optimizer
                def train_step(self, x, y):
                    self.optimizer.zero_grad()
                    torch.nn.functional.mse_loss(self.net(x), y).backward()
                    self.optimizer.step()
                def eval(self):
                    self.net.eval()
                def _predict(self, x):
                    self.net.eval()
                    with torch.no_grad():
                        return self.net(x)
                def predict(self, x):
                    out = self._predict(x)
                    self.net.train()
                    return out
        """),
        example("""
            import torch
            class Distiller:
                def __init__(self, student, teacher, optimizer):
                    self.student, self.teacher, self.optimizer = student, teacher, optimizer
                def fit(self, loader):
                    self.teacher.eval()
                    for x in loader:
                        with torch.no_grad():
                            target = self.teacher(x)
                        self.optimizer.zero_grad()
                        torch.nn.functional.mse_loss(self.student(x), target).backward()
                        self.optimizer.step()
                def teacher_scores(self, loader):
                    self.teacher.eval()
                    with torch.no_grad():
                        return [self.teacher(x).mean().item() for x in loader]
        """),
        example("""
            import torch
            import lightning as L
            class Classifier(L.LightningModule):
                def __init__(self, net):
                    super().__init__()
                    self.net = net
                    self.automatic_optimization = False
                def training_step(self, batch, batch_idx):
                    opt = self.optimizers()
                    x, y = batch
                    opt.zero_grad()
                    self.manual_backward(torch.nn.functional.cross_entropy(self.net(x), y))
                    opt.step()
                def predict(self, x):
                    self.net.eval()
                    with torch.no_grad():
                        return self.net(x).argmax(-1)
        """),
        example("""
            import torch
            class GAN:
                def __init__(self, G, optimizer):
                    self.G, self.optimizer = G, optimizer
                def train(self, loader):
                    for z in loader:
                        self.optimizer.zero_grad()
                        self.G(z).mean().backward()
                        self.optimizer.step()
                def load_model(self, path):
                    self.G.load_state_dict(torch.load(path))
                def evaluate(self, z, path):
                    self.load_model(path)
                    self.G.eval()
                    return self.G(z).detach().cpu()
        """),
        example("""
            import torch
            class Adapter(torch.nn.Module):
                def __init__(self, model, optimizer):
                    super().__init__()
                    self.model, self.optimizer = model, optimizer
                def loss(self, x):
                    self.model.train()
                    return self.model(x).logsumexp(-1).mean()
                def adapt(self, x):
                    self.loss(x).backward()
                    self.optimizer.step()
                    self.optimizer.zero_grad()
                def predict(self, x):
                    self.model.eval()
                    with torch.no_grad():
                        return self.model(x)
        """),
        example("""
            import torch
            def freeze_batch_norm(model):
                for m in model.modules():
                    if isinstance(m, torch.nn.BatchNorm2d):
                        m.eval()
            def train_loop(model, loader):
                opt = torch.optim.SGD(model.parameters(), lr=0.1)
                model.train()
                for epoch in range(10):
                    for x, y in loader:
                        torch.nn.functional.cross_entropy(model(x), y).backward()
                        opt.step()
                    freeze_batch_norm(model)
        """),
        example("""
            import torch
            class Trainer:
                def __init__(self, net, opt, loader, fixed_z):
                    self.net, self.opt, self.loader, self.fixed_z = net, opt, loader, fixed_z
                def set_mode(self, mode="train"):
                    if mode == "train":
                        self.net.train()
                    elif mode == "eval":
                        self.net.eval()
                def sample(self):
                    self.set_mode("eval")
                    with torch.no_grad():
                        out = self.net(self.fixed_z)
                    self.set_mode("train")
                    return out
                def fit(self):
                    self.set_mode()
                    for step, x in enumerate(self.loader):
                        self.net(x).sum().backward()
                        self.opt.step()
                        if step % 100 == 0:
                            self.sample()
        """),
        example("""
            import torch
            class Runner:
                def __init__(self, net, opt, loader, val_loader):
                    self.net, self.opt, self.loader, self.val_loader = net, opt, loader, val_loader
                def eval(self):
                    self.net.eval()
                    with torch.no_grad():
                        scores = [self.net(x).mean().item() for x in self.val_loader]
                    self.net.train()
                    return scores
                def fit(self, epochs):
                    self.net.train()
                    for epoch in range(epochs):
                        for x in self.loader:
                            self.net(x).sum().backward()
                            self.opt.step()
                        self.eval()
        """),
        example("""
            import copy
            import torch
            class Trainer:
                def __init__(self, model, opt):
                    self.model, self.opt = model, opt
                def evaluate(self, loader):
                    model = copy.deepcopy(self.model)
                    model.eval()
                    with torch.no_grad():
                        return [model(x) for x in loader]
                def fit(self, loader, val_loader, epochs):
                    model = self.model
                    for epoch in range(epochs):
                        model.train()
                        for step, x in enumerate(loader):
                            model(x).sum().backward()
                            self.opt.step()
                            if step % 100 == 0:
                                self.evaluate(val_loader)
        """),
        example("""
            import torch
            def evaluate(model, loader):
                model.eval()
                with torch.no_grad():
                    return sum(model(x).sum() for x in loader)
            def fit(model, loader, val_loader, opt, epochs):
                for epoch in range(epochs):
                    model.train()
                    for x in loader:
                        model(x).sum().backward()
                        opt.step()
                    evaluate(model, val_loader)
        """),
        example("""
            import torch
            class Trainer:
                def __init__(self, model, optimizer):
                    self.model = model
                    self._pytorch_model = torch.nn.parallel.DistributedDataParallel(model)
                    self.optimizer = optimizer
                def _train_epoch(self, loader):
                    penalty = self.model.get_regularization_penalty()
                    self._pytorch_model.train()
                    for x in loader:
                        (self._pytorch_model(x).sum() + penalty).backward()
                        self.optimizer.step()
                def _validation_loss(self, loader):
                    self._pytorch_model.eval()
                    with torch.no_grad():
                        return sum(self._pytorch_model(x).sum().item() for x in loader)
                def train(self, loader, val_loader, epochs):
                    for epoch in range(epochs):
                        self._train_epoch(loader)
                        self._validation_loss(val_loader)
        """),
        example("""
            import torch
            def train(model, loader, opt):
                model.train()
                for x, y in loader:
                    torch.nn.functional.cross_entropy(model(x), y).backward()
                    opt.step()
                    weights = model.energy.state_dict()["fc.weight"]
                    weights[weights < 0] = 0.0
            def test(model, loader):
                model.eval()
                with torch.no_grad():
                    return sum((model(x).argmax(1) == y).sum().item() for x, y in loader)
            def main(model, train_loader, test_loader, opt):
                for epoch in range(10):
                    train(model, train_loader, opt)
                    test(model, test_loader)
        """),
        example("""
            import torch
            def evaluate(model, loader):
                model.eval()
                with torch.no_grad():
                    return sum(model(x).sum() for x in loader)
            def fit(model, loader, val_loader, opt, epochs):
                for epoch in range(epochs):
                    model.train()
                    for x in loader:
                        model(x).sum().backward()
                        opt.step()
                    evaluate(model, val_loader)
        """),
        example("""
            import torch
            def evaluate(model, loader):
                was = model.training
                model.eval()
                out = [model(x) for x in loader]
                model.train(was)
                return out
            def fit(model, loader, opt):
                model.train()
                for x in loader:
                    model(x).sum().backward()
                    opt.step()
                    evaluate(model, loader)
        """),
        example("""
            import torch
            def fit(model, loader, opt):
                model.train()
                for x in loader:
                    model(x).sum().backward()
                    opt.step()
                model.eval()
        """),
        example("""
            import torch
            def train_one_epoch(model, loader, opt):
                model.train()
                for x in loader:
                    model(x).sum().backward()
                    opt.step()
            def fit(model, loader, opt):
                for epoch in range(3):
                    train_one_epoch(model, loader, opt)
                    model.eval()
        """),
        example("""
            import torch
            def attack(model, xs):
                for x in xs:
                    model.eval()
                    x = x.requires_grad_()
                    model(x).sum().backward()
        """),
        example("""
            import torch
            def fit(model, loader, opt):
                for step, x in enumerate(loader):
                    if step % 10 == 0:
                        model.eval()
                        with torch.no_grad():
                            model(x)
                        model.train()
                    model(x).sum().backward()
                    opt.step()
        """),
        example("""
            import torch
            def fit(model, loader, val_loader, opt, epochs):
                for epoch in range(epochs):
                    model.train()
                    for x in loader:
                        model(x).sum().backward()
                        opt.step()
                    model.eval()
                    with torch.no_grad():
                        print(sum(model(x).sum() for x in val_loader))
        """),
        example("""
            import torch
            def fit(model, loader, opt, epochs):
                for epoch in range(epochs):
                    for phase in ("train", "val"):
                        model.train(phase == "train")
                        with torch.set_grad_enabled(phase == "train"):
                            for x in loader[phase]:
                                loss = model(x).sum()
                                if phase == "train":
                                    loss.backward()
                                    opt.step()
        """),
        example("""
            import torch
            class Trainer:
                def __init__(self, model, opt):
                    self.model, self.opt = model, opt
                def evaluate(self, loader):
                    self.model.eval()
                    with torch.no_grad():
                        out = [self.model(x) for x in loader]
                    self.model.train()
                    return out
                def fit(self, loader, val_loader, epochs):
                    self.model.train()
                    for epoch in range(epochs):
                        for x in loader:
                            self.model(x).sum().backward()
                            self.opt.step()
                        self.evaluate(val_loader)
        """),
        example("""
            import torch
            def fit(model, loader, val_loader, opt, epochs):
                model.train()
                for epoch in range(epochs):
                    for x in loader:
                        model(x).sum().backward()
                        opt.step()
                model.eval()
                with torch.no_grad():
                    return [model(x) for x in val_loader]
        """),
        example("""
            import torch
            def fit(backbone, head, loader, opt):
                backbone.eval()
                head.train()
                for x, y in loader:
                    with torch.no_grad():
                        feats = backbone(x)
                    torch.nn.functional.cross_entropy(head(feats), y).backward()
                    opt.step()
        """),
        example("""
            import torch
            def fit(model, loader, opt, steps_per_eval):
                for step, x in enumerate(loader):
                    model.train()
                    model(x).sum().backward()
                    opt.step()
                    if step % steps_per_eval == 0:
                        model.eval()
                        with torch.no_grad():
                            print(model(x).mean().item())
        """),
        example("""
            import torch
            def fit(model, ema_model, loader, val_loader, opt, decay=0.999):
                model.train()
                ema_model.eval()
                for epoch in range(10):
                    for x in loader:
                        model(x).sum().backward()
                        opt.step()
                        with torch.no_grad():
                            for e, p in zip(ema_model.parameters(), model.parameters()):
                                e.lerp_(p, 1 - decay)
                    with torch.no_grad():
                        print(sum(ema_model(x).sum() for x in val_loader))
        """),
        example("""
            import torch
            def fit(backbone, head, loader, opt):
                head.train()
                for x, y in loader:
                    backbone.eval()
                    with torch.no_grad():
                        feats = backbone(x)
                    torch.nn.functional.cross_entropy(head(feats), y).backward()
                    opt.step()
        """),
        example("""
            import torch
            def fit(model, ema_model, loader, opt, decay=0.999):
                model.train()
                for step, x in enumerate(loader):
                    model(x).sum().backward()
                    opt.step()
                    with torch.no_grad():
                        for e, p in zip(ema_model.parameters(), model.parameters()):
                            e.lerp_(p, 1 - decay)
                    if step % 100 == 0:
                        ema_model.eval()
                        with torch.no_grad():
                            print(ema_model(x).mean().item())
        """),
        example("""
            import torch
            def train(train_loader, model, criterion, optimizer):
                model.train()
                for x, y in train_loader:
                    loss = criterion(model(x), y)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
            def validate(val_loader, model, criterion):
                model.eval()
                with torch.no_grad():
                    return [criterion(model(x), y) for x, y in val_loader]
            def main(model, train_loader, val_loader, criterion, optimizer, scheduler, epochs):
                for epoch in range(epochs):
                    train(train_loader, model, criterion, optimizer)
                    validate(val_loader, model, criterion)
                    scheduler.step()
                    torch.save({"epoch": epoch, "state_dict": model.state_dict(),
                                "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, "ckpt.pt")
        """),
        example("""
            import torch
            def train_epoch(model, loader, opt):
                model.train()
                for x in loader:
                    model(x).sum().backward()
                    opt.step()
            def evaluate(model, loader):
                model.eval()
                with torch.no_grad():
                    return [model(x) for x in loader]
            if __name__ == "__main__":
                net = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Dropout(0.5))
                optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
                for epoch in range(3):
                    train_epoch(net, train_loader, optimizer)
                    evaluate(net, val_loader)
        """),
    ),
    check=check,
)
