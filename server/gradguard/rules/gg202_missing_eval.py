from __future__ import annotations

import ast

from ..dataflow.crossfile import TRAINED
from ..dataflow.events import CallEvent, is_training_step
from ..dataflow.facts import ModuleFacts
from ..dataflow.functions import FunctionFacts
from ..dataflow.state import Mode, Possible, Setting, first_origin, only
from ..fixdata import ModelAt
from ..report import Report
from ..vocabulary import LAYERS_WITH_DROPOUT
from .base import Rule, example
from .gg204_train_under_no_grad import train_calls_followed_by_forwards
from .intent import evaluation_evidence, load_of, needs_gradients
from .modelclass import BuiltFrom, mode_dependence, model_class
from .queries import forward_passes, statement_of

TRAIN_ORIGINS = ("constructed", "call", "callee", "trained", "callers")
SET_HERE = {
    "loaded": "weights loaded here (the mode stays as it was)",
    "callers": "its callers in other files hand the model over in training mode",
    "trained": "trained here and left in training mode",
}
MAX_SITES_NAMED = 3
# What a model's mode-dependent parts do in training mode (TORCH-FACTS 9), by `mode_dependent_layers` kind.
HARMS = {
    "Dropout": "Dropout still drops",
    "BatchNorm": "BatchNorm uses and updates batch statistics",
    "self.training": "code that reads `self.training` takes its training branch",
}


def check(facts: ModuleFacts, report: Report) -> None:
    explicit_train = {id(event.node) for fn in facts.functions for event, _ in train_calls_followed_by_forwards(fn)}
    for fn, event in forward_passes(facts):
        assert event.model is not None  # a forward pass names its model
        mode = event.state.mode(event.model)
        after = _after_training(facts, fn, event.model, mode)
        if after is None and (
            not only(mode, Mode.TRAIN)
            or any(
                s.via not in TRAIN_ORIGINS and not _loaded_elsewhere(fn, s) and not _loaded_on_some_paths(s, mode)
                for s in mode
            )
        ):
            continue  # models loaded in this function are GG205's; unknown never reports
        if any(id(s.origin) in explicit_train for s in mode):
            continue  # `train()` in the same no_grad region is GG204's finding (one finding per harm)
        evidence = evaluation_evidence(facts, fn, event, explicit_eval_counts=False)
        if evidence is None or (needs_gradients(facts, fn, event) and not _pretrained_and_never_trained(fn, mode)):
            continue
        if evidence.from_outputs and _switched_to_train_here(facts, fn, mode):
            continue  # samples logged by a training routine: an `eval()` there would leave training in eval mode
        if after is None:
            origin = first_origin(mode)
            loads = sorted(
                (s.origin for s in mode if _loaded_on_some_paths(s, mode) and s.origin is not origin.origin),
                key=lambda node: (node.lineno, node.col_offset),  # the loading call
            )
            also_loaded = (
                f", kept it when weights were loaded at {report.line(loads[0])} on some paths," if loads else ""
            )
            call_eval = f"`{event.model}` runs in training mode in evaluation code: call `{event.model}.eval()` first. "
            how = f"It {_how(facts, origin, event.model, report)}{also_loaded}"
        else:
            origin, trainer = after
            loads = []
            call_eval = (
                f"`{event.model}` may run in training mode in evaluation code: call `{event.model}.eval()` first. "
            )
            if isinstance(trainer, FunctionFacts):
                method = f"`{trainer.name}()` ({report.line(trainer.node)})"
            else:  # a method inherited from the base class the setting was made at
                base = ast.unparse(origin.origin) if origin.origin is not None else "a base class"
                method = f"`{trainer}()`, inherited from `{base}` ({report.line(origin.origin)}),"
            how = f"{method} trains it and leaves it in training mode on some paths ({report.line(origin.origin)}),"
        found = f"{how} and nothing switched it to eval mode before this forward pass ({evidence.say(report)})"
        built = model_class(facts, event.model, mode)
        if built is not None and _criterion(built):
            continue
        layers = mode_dependence(facts, built) if built is not None else None
        if built is None or layers is None:
            message = (
                f"{call_eval}{found}: any Dropout still drops and any BatchNorm uses and updates batch "
                "statistics, even under `no_grad`"
            )
        elif layers:
            harms = _join([_harm(layer) for layer in sorted(layers, key=_harm_order)])
            message = f"{call_eval}{found}: in `{built.name}`, {harms}, even under `no_grad`"
        else:
            continue  # nothing in the model depends on the mode: eval() would change nothing
        report.add(
            RULE,
            event.node,
            message,
            related=[
                (origin.origin, SET_HERE.get(origin.via, "training mode set here")),  # type: ignore[list-item]  # a call or assignment made it
                *((load, SET_HERE["loaded"]) for load in loads),
                *evidence.related,
            ],
            data=ModelAt(event.model, report.first_line(_anchor(fn, event))),
        )


def _after_training(
    facts: ModuleFacts, fn: FunctionFacts, key: str, mode: Possible
) -> tuple[Setting, FunctionFacts | str] | None:
    """When the model is not in training mode on every path, but on one: another method of the class trained it
    and left it in training mode (`predict()` run after `fit()`, whose loop ends in training mode when no
    validation set is given; `solver._left_by_siblings`). That setting, and the method that made it (the name of
    one inherited from another file, the setting then made at the base class)."""
    if only(mode, Mode.TRAIN) or fn.cls is None or any(s.value is Mode.UNKNOWN for s in mode):
        return None  # unknown never reports
    # from the last line up: the class's own training method before one it inherits (its base is named above)
    for setting in sorted(mode, key=lambda s: getattr(s.origin, "lineno", 0), reverse=True):
        if setting.via != "trained" or setting.value is not Mode.TRAIN or id(setting.origin) in fn.calls:
            continue
        trainer = next((f for f in facts.functions if id(setting.origin) in f.calls and f.cls is fn.cls), None)
        if trainer is not None:
            return setting, trainer
        inherited = next(
            (
                name
                for base, name, export in facts.inherited_methods(fn.cls)
                if base is setting.origin and TRAINED in dict(export.mode_exit).get(key, ())
            ),
            None,
        )
        if inherited is not None:
            return setting, inherited
    return None


def _criterion(built: BuiltFrom) -> bool:
    """A loss module (`PatchAdversarialLoss`, `PerceptualLoss`): like torch's own losses, not a model whose mode
    evaluation code must set; one that runs a network inside (a perceptual loss) puts that network in eval mode."""
    return built.name.rsplit(".", 1)[-1].endswith("Loss")


def _switched_to_train_here(facts: ModuleFacts, fn: FunctionFacts, mode: Possible) -> bool:
    """This function put the model in training mode itself (`self.gen.train()` at the top of `train()`)."""
    own = {id(node) for node in facts.own_nodes(fn)}
    return any(s.via == "call" and id(s.origin) in own for s in mode)


def _how(facts: ModuleFacts, origin: Setting, model: str, report: Report) -> str:
    """How the model came to be in training mode, with where."""
    if origin.via == "callers":  # the calls are in other files: named, not related locations
        sites = facts.handed_over.get((id(origin.origin), model.split(".", 1)[0]), ())
        named = ", ".join(sites[:MAX_SITES_NAMED]) + (", ..." if len(sites) > MAX_SITES_NAMED else "")
        return f"is handed over in training mode by every call from another file ({named})"
    how = {
        "constructed": "was created in training mode",
        "trained": "was left in training mode by the training in another method",
        "loaded": "was created in training mode and kept it when weights were loaded into it",
    }.get(origin.via, "was put in training mode")
    return f"{how} ({report.line(origin.origin)})"


def _loaded_elsewhere(fn: FunctionFacts, setting: Setting) -> bool:
    """Weights loaded into a model created in training mode, by a call in another function (the caller
    that hands it over): `load_state_dict` keeps the mode, and GG205 speaks only of loads in the same function."""
    return setting.via == "loaded" and id(setting.origin) not in fn.calls


def _loaded_on_some_paths(setting: Setting, mode: Possible) -> bool:
    """Weights loaded on some paths only (`if cfg.load_from: load_checkpoint(model, cfg.load_from)`), into a model
    in training mode on every path: GG205 speaks of a load on every path, so this finding is GG202's, and its
    `eval()` before the forward pass covers the paths without the load too."""
    return setting.via == "loaded" and any(other.via != "loaded" for other in mode)


def _pretrained_and_never_trained(fn: FunctionFacts, mode: Possible) -> bool:
    """A factory's pretrained model (`resnet18(pretrained=True)`) that this function never trains: its
    gradients serve saliency maps or attacks, which need eval mode as much as inference does."""
    return all(s.via == "constructed" and load_of(s) is not None for s in mode) and not any(
        is_training_step(e) for e in fn.call_events()
    )


def _harm(layer: str) -> str:
    if layer in HARMS:
        return HARMS[layer]
    if layer.startswith(LAYERS_WITH_DROPOUT):
        return f"`nn.{layer}` applies its dropout (if set)"
    if layer == "RReLU":
        return "`nn.RReLU` draws random slopes"
    return f"`nn.{layer}` uses and updates batch statistics"  # InstanceNorm tracking running statistics


def _harm_order(layer: str) -> tuple[int, str]:
    return ({"Dropout": 0, "BatchNorm": 1, "self.training": 3}.get(layer, 2), layer)


def _join(parts: list[str]) -> str:
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def _anchor(fn: FunctionFacts, event: CallEvent) -> ast.AST:
    """The statement before which `model.eval()` belongs: before the evaluation loop (the validation
    loop, or else the outermost loop of the evaluation function), and before the
    `with torch.no_grad():` that opens with it; never inside the per-batch loop."""
    line = event.node.lineno
    loops = [loop.node for loop in fn.loops.values() if loop.node.lineno <= line <= (loop.node.end_lineno or line)]
    anchor: ast.stmt | None = event.loop_val or min(loops, key=lambda loop: loop.lineno, default=None)
    if anchor is None:
        return statement_of(fn, event.node)
    for region in reversed(event.regions):
        if isinstance(region.node, (ast.With, ast.AsyncWith)) and region.node.body[0] is anchor:
            anchor = region.node
    return statement_of(fn, anchor)


RULE = Rule(
    code="GG202",
    slug="missing-eval",
    severity="warning",
    summary="Evaluation or inference forward passes while the model is still in training mode.",
    why="""
        A module starts in training mode and stays there until `model.eval()` (or `train(False)`).
        `torch.no_grad()` does not change that: under `no_grad`, a train-mode model still drops units
        in Dropout and normalises with batch statistics in BatchNorm, and BatchNorm **updates its
        running statistics from the evaluation data** (measured with torch 2.13.0: two Dropout calls on
        the same input differ; one BatchNorm forward moves `running_mean` a tenth of the way to the
        batch mean). Validation results vary from run to run and depend on the batch, and the model's
        statistics drift towards the validation set. The
        PyTorch docs: "You are responsible for calling model.eval() and model.train() if your model
        relies on modules such as torch.nn.Dropout and torch.nn.BatchNorm". The message names what the
        model's class (defined in this file or another file of the project) has that depends on the
        mode; a model whose class provably has nothing of the kind (no Dropout, BatchNorm, layer with
        dropout of its own, or `self.training` test, in it or in anything it builds) is not reported:
        `eval()` would change nothing. An inference method of a class that nothing in the file calls
        (`predict()`) runs after the class's other public methods, its own or inherited from a base class
        in another file of the project: when one of them trains the model and may leave it in training
        mode (`fit()`, whose loop ends in training mode unless a validation pass ran last), the finding
        says that it *may* run in training mode and names that method, provided every other path leaves
        a known mode.
    """,
    fix_safety=(
        "Inserts `model.eval()` before the evaluation (before the loop, not inside it). Unsafe: results change, "
        "which is the point; code after it that trains needs `model.train()` again."
    ),
    fixes=("insert.eval_before_evaluation",),
    references=(
        "https://docs.pytorch.org/docs/stable/notes/autograd.html#evaluation-mode-nn-module-eval",
        "https://docs.pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval",
    ),
    fires=(
        example("""
            import torch
            import torch.nn as nn
            @torch.no_grad()
            def evaluate(model: nn.Module, loader):
                return [model(x) for x in loader]  # expect
            def fit(model: nn.Module, loader, val_loader, opt):
                model.train()
                for x in loader:
                    model(x).sum().backward()
                    opt.step()
                evaluate(model, val_loader)
        """),
        example("""
            import torch
            import torchvision
            @torch.inference_mode()
            def predict(images):
                model = torchvision.models.resnet18()
                return model(images).argmax(1)  # expect
        """),
        example("""
            import torch
            model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Dropout(0.5))
            with torch.no_grad():
                for x, y in test_loader:
                    pred = model(x)  # expect
        """),
        example("""
            import torch
            import torch.nn as nn
            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.drop = nn.Dropout(0.1)
                def forward(self, x):
                    return self.drop(x)
            def validate(x):
                net = Net()
                with torch.no_grad():
                    return net(x)  # expect
        """),
        example("""
            import torch
            def run(model, train_loader, val_loader):
                model.train()
                for x in train_loader:
                    pass
                with torch.no_grad():
                    for x in val_loader:
                        model(x)  # expect
        """),
        example("""
            import torch
            class Trainer:
                def __init__(self):
                    self.model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout())
                def evaluate(self, xs):
                    self.model.train()
                    with torch.no_grad():
                        return [self.model(x) for x in xs]  # expect
        """),
        example("""
            import timm
            import torch
            @torch.inference_mode()
            def predict(images):
                model = timm.create_model("resnet50", pretrained=True)
                return model(images).softmax(-1)  # expect
        """),
        example("""
            import torch as T
            net = T.nn.Sequential(T.nn.Conv2d(3, 8, 3), T.nn.BatchNorm2d(8), T.nn.ReLU())
            with T.no_grad():
                for x, _ in val_loader:
                    feats = net(x)  # expect
        """),
        example("""
            import torch
            def validate(model, loader):
                with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
                    return sum((model(x).argmax(1) == y).sum().item() for x, y in loader)  # expect
            def fit(model, loader, val_loader, opt, epochs):
                for epoch in range(epochs):
                    model.train()
                    for x, y in loader:
                        torch.nn.functional.cross_entropy(model(x), y).backward()
                        opt.step()
                    print(validate(model, val_loader))
        """),
        example("""
            import torch
            @torch.no_grad
            def evaluate(model, loader):
                return [model(x).argmax(1) for x, _ in loader]  # expect
            model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Dropout(0.2))
            model.train()
            evaluate(model, test_loader)
        """),
        example("""
            import torch
            import torchvision
            @torch.no_grad()
            def predict_stream(batches):
                model = torchvision.models.mobilenet_v3_small(weights="DEFAULT")
                for x in batches:
                    yield model(x).argmax(1)  # expect
        """),
        example("""
            import torch
            import torch.nn as nn
            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.bn = nn.BatchNorm1d(16)
                def forward(self, x):
                    return self.bn(x)
            async def predict(request):
                x = torch.tensor(await request.json())
                net = Net()
                with torch.inference_mode():
                    return net(x).tolist()  # expect
        """),
        example("""
            from torch import no_grad
            class Trainer:
                def __init__(self, model):
                    self.model = model
                def fit(self, loader, val_loader, opt):
                    self.model.train()
                    for x in loader:
                        self.model(x).sum().backward()
                        opt.step()
                    return self.validate(val_loader)
                def validate(self, loader):
                    with no_grad():
                        return [self.model(x) for x in loader]  # expect
        """),
        example("""
            import torch
            import torch.nn as nn
            class Tagger(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.drop = nn.Dropout(0.5)
                def forward(self, x):
                    return self.drop(x)
                @torch.no_grad()
                def predict(self, x):
                    return self(x).argmax(-1)  # expect
            tagger = Tagger()
            print(tagger.predict(torch.randn(2, 4)))
        """),
        example("""
            import torch
            from nets import C3D
            def main(clips):
                model = C3D(num_classes=101)
                model.load_state_dict(torch.load("c3d.pth")["state_dict"])
                model.train()
                for clip in clips:
                    with torch.no_grad():
                        probs = model(clip).softmax(1)  # expect
                    print(probs.argmax(1).item())
        """),
        example("""
            import torch
            class Classifier:
                def build(self):
                    return torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Dropout(0.3), torch.nn.Linear(8, 2))
                def fit(self, loader):
                    self.model = self.build()
                    opt = torch.optim.Adam(self.model.parameters())
                    for x, y in loader:
                        torch.nn.functional.cross_entropy(self.model(x), y).backward()
                        opt.step()
                def predict(self, x):
                    with torch.no_grad():
                        return self.model(x).argmax(1)  # expect
        """),
        example("""
            import torch
            class Classifier:
                def build(self):
                    return torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Dropout(0.3), torch.nn.Linear(8, 2))
                def fit(self, loader):
                    self.model = self.build()
                    opt = torch.optim.Adam(self.model.parameters())
                    for x, y in loader:
                        torch.nn.functional.cross_entropy(self.model(x), y).backward()
                        opt.step()
                    return self
                def predict(self, x):
                    with torch.no_grad():
                        return self.model(x).argmax(1)  # expect
            clf = Classifier().fit(train_loader)
            print(clf.predict(test_x))
        """),
        example("""
            import torch
            from torchvision import models
            def explain(args, image, extractor):
                model = models.__dict__[args.arch](pretrained=True)
                for _ in range(3):
                    model.zero_grad()
                    scores = model(image)  # expect
                    print(extractor(scores.argmax().item(), scores))
        """),
        example("""
            import torch
            import torch.nn as nn
            class Classifier:
                def define_graph(self):
                    return nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 2))
                def fit(self, X, y, X_dev=None):
                    self.model = self.define_graph()
                    opt = torch.optim.Adam(self.model.parameters())
                    for epoch in range(10):
                        loss = nn.functional.cross_entropy(self.model(X), y)
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
                        if X_dev is not None:
                            self.dev_predictions = self.predict(X_dev)
                    return self
                def predict_proba(self, X):
                    with torch.no_grad():
                        return torch.softmax(self.model(X), dim=1).numpy()  # expect
                def predict(self, X):
                    return self.predict_proba(X).argmax(1)
        """),
        example("""
            import torch
            import torch.nn as nn
            def predict(net, x):
                with torch.no_grad():
                    return net(x).argmax(1)  # expect
            net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
            net.load_state_dict(torch.load("net.pt"))
            print(predict(net, torch.rand(2, 4)))
        """),
        example("""
            import torch
            import torchvision
            def infer(path, loader):
                model = torchvision.models.resnet50()
                if path is not None:  # loaded on some paths only, in training mode on all of them
                    model.load_state_dict(torch.load(path))
                with torch.no_grad():
                    return [model(x) for x in loader]  # expect
        """),
        example("""
            import torch
            from mmcv.parallel import MMDataParallel
            from mmcv.runner import load_checkpoint, wrap_fp16_model
            from mmcls.models import build_classifier
            def inference(cfg, loader):
                model = build_classifier(cfg.model)
                if cfg.get("fp16") is not None:
                    wrap_fp16_model(model)  # casts the parameters, leaves the mode
                if cfg.load_from is not None:
                    load_checkpoint(model, cfg.load_from)
                model = MMDataParallel(model, device_ids=[0])
                results = []
                for data in loader:
                    with torch.no_grad():
                        results.extend(model(return_loss=False, **data))  # expect
                return results
        """),
        example("""
            import torch
            import torch.nn as nn
            class Classifier:
                def __init__(self):
                    self.model = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.3), nn.Linear(8, 2))
                    self.opt = torch.optim.Adam(self.model.parameters())
                def load(self, path):
                    self.model.load_state_dict(torch.load(path))
                    self.model.eval()
                def fit(self, loader, val_loader=None):
                    for epoch in range(10):
                        self.model.train()
                        for x, y in loader:
                            nn.functional.cross_entropy(self.model(x), y).backward()
                            self.opt.step()
                        if val_loader is not None:
                            self.model.eval()
                            with torch.no_grad():
                                print(sum(self.model(x).argmax(1).eq(y).sum().item() for x, y in val_loader))
                @torch.no_grad()
                def predict(self, x):
                    return self.model(x).argmax(1)  # expect
        """),
        example("""
            import torch
            import torch.nn.functional as F
            import torchvision
            classifier = torchvision.models.resnet18(num_classes=10)
            optimizer = torch.optim.SGD(classifier.parameters(), lr=0.01)
            for epoch in range(10):
                for i, (x, y) in enumerate(train_loader):
                    optimizer.zero_grad()
                    pred = classifier(x)
                    loss = F.cross_entropy(pred, y)
                    loss.backward()
                    optimizer.step()
                    if i % 10 == 0:
                        _, (x, y) = next(enumerate(test_loader))
                        pred = classifier(x)  # expect
                        loss = F.cross_entropy(pred, y)
                        print(loss.item(), (pred.argmax(1) == y).float().mean().item())
        """),
        example("""
            import torch
            import torchvision
            def main(steps):
                net = torchvision.models.resnet18()
                opt = torch.optim.Adam(net.parameters())
                for step, (x, y) in enumerate(train_loader):
                    loss = torch.nn.functional.mse_loss(net(x), y)
                    loss.backward()
                    opt.step()
                    if step % 100 == 0:
                        with torch.no_grad():
                            x = sample_batch(test_dset, 16)
                            out = net(x)  # expect
                            save_image(blend(x, out), f"step{step}.png")
        """),
    ),
    silent=(
        example("""
            import torch
            import torch.nn as nn
            @torch.no_grad()
            def evaluate(model: nn.Module, loader):
                model.eval()
                return [model(x) for x in loader]
            def fit(model: nn.Module, loader, val_loader, opt):
                model.train()
                for x in loader:
                    model(x).sum().backward()
                    opt.step()
                evaluate(model, val_loader)
        """),
        example("""
            import torch
            import torch.nn.functional as F
            import torchvision
            model = torchvision.models.resnet18(num_classes=10)
            for x, y in train_loader:
                x_test = next(iter(test_loader))[0]
                with torch.no_grad():
                    pseudo = model(x_test).argmax(1)
                loss = F.cross_entropy(model(x), y) + F.cross_entropy(model(x_test), pseudo)
                loss.backward()
                optimizer.step()
        """),
        example("""
            import torch
            import torchvision
            model = torchvision.models.resnet18()
            model.load_state_dict(torch.load("trained.pt"))
            model.train()
            with torch.no_grad():
                for _ in range(100):
                    model(next(iter(test_loader))[0])  # BatchNorm statistics of the test domain, on purpose
        """),
        example("""
            import torch
            import torch.nn as nn
            from lpips import LPIPS
            class PerceptualLoss(nn.Module):  # a criterion: it sets its own network's mode
                def __init__(self):
                    super().__init__()
                    self.net = LPIPS().eval()
                def forward(self, x, y):
                    return self.net(x, y).mean()
            perceptual = PerceptualLoss()
            with torch.no_grad():
                for x, y in val_loader:
                    total += perceptual(x, y).item()
        """),
        example("""
            import torch
            import torch.nn as nn
            class Tagger:
                def build(self):
                    return nn.Sequential(nn.Linear(4, 2), nn.Dropout(0.1))
                def __init__(self):
                    self.net = self.build()
                def predict(self, x):
                    with torch.no_grad():
                        return self.net(x).argmax(1)
            tagger = Tagger()
            print(tagger.predict(torch.ones(1, 4)))
        """),
        example("""
            import torch
            import torch.nn as nn
            class Builder:
                def build(self):
                    return nn.Sequential(nn.Linear(4, 2), nn.Dropout(0.1))
                def test(self):
                    net = self.build()
                    with torch.no_grad():
                        assert net(torch.ones(1, 4)).shape == (1, 2)
        """),
        example("""
            import torch
            import torch.nn as nn
            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(8, 2)
                def forward(self, x):
                    return self.fc(x).relu()
            @torch.no_grad()
            def evaluate(loader):
                net = Net()
                return [net(x).argmax(1) for x in loader]
        """),
        example("""
            import torch
            class Classifier:
                def build(self):
                    return torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Dropout(0.3), torch.nn.Linear(8, 2))
                def fit(self, loader):
                    self.model = self.build()
                    opt = torch.optim.Adam(self.model.parameters())
                    for x, y in loader:
                        torch.nn.functional.cross_entropy(self.model(x), y).backward()
                        opt.step()
                    self.model.eval()
                def predict(self, x):
                    with torch.no_grad():
                        return self.model(x).argmax(1)
        """),
        example("""
            import torch
            from base import Trainer
            class Classifier(Trainer):
                def fit(self, loader):
                    opt = torch.optim.Adam(self.model.parameters())
                    for x, y in loader:
                        torch.nn.functional.cross_entropy(self.model(x), y).backward()
                        opt.step()
                    self.validate_and_checkpoint()
                def predict(self, x):
                    with torch.no_grad():
                        return self.model(x).argmax(1)
        """),
        example("""
            import torch
            from nets import ResNet
            def recalibrate_batch_norm(loader):
                model = ResNet()
                model.load_state_dict(torch.load("swa.pth"))
                model.train()
                with torch.no_grad():
                    for x in loader:
                        model(x)
                torch.save(model.state_dict(), "swa_bn.pth")
        """),
        example("""
            import torch
            import torch.nn as nn
            @torch.no_grad()
            def evaluate(model: nn.Module, loader):
                model.eval()
                return [model(x) for x in loader]
        """),
        example("""
            import torch
            import torch.nn as nn
            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.drop = nn.Dropout(0.5)
                def forward(self, x):
                    return self.drop(x)
                def predict(self, x):
                    return self(x)
            def fit(net: Net, xs, opt):
                net.train()
                for x in xs:
                    net.predict(x).sum().backward()
                    opt.step()
        """),
        example("""
            import torch
            import torch.nn as nn
            class Block(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.bn = nn.BatchNorm1d(8)
                def forward(self, x):
                    return self.bn(x)
            def test():
                net = Block()
                with torch.no_grad():
                    print(net(torch.randn(2, 8)).shape)
                net.zero_grad()
                torch.optim.SGD(net.parameters(), lr=0.1).step()
        """),
        example("""
            import torch
            @torch.no_grad()
            def evaluate(model, loader):
                return [model(x) for x in loader]
        """),
        example("""
            import torch
            def fit(model, loader, opt):
                model.train()
                for x in loader:
                    with torch.no_grad():
                        target = model(x)
                    loss = (model(x) - target).sum()
                    loss.backward()
                    opt.step()
        """),
        example("""
            import torch
            from transformers import AutoModel
            @torch.no_grad()
            def predict(x):
                model = AutoModel.from_pretrained("bert-base-uncased")
                return model(x)
        """),
        example("""
            import torch
            def validate(model, loader):
                was_training = model.training
                model.eval()
                with torch.no_grad():
                    out = [model(x) for x in loader]
                model.train(was_training)
                return out
        """),
        example("""
            import torch
            import torchvision
            @torch.no_grad()
            def predict(images, weights):
                model = torchvision.models.resnet18()
                prepare(model)
                return model(images)
        """),
        example("""
            import torch
            import transformers
            def validate(val_loader):
                model = transformers.AutoModelForSequenceClassification.from_pretrained("bert-base-uncased")
                with torch.no_grad():
                    return [model(**batch).logits.argmax(-1) for batch in val_loader]
        """),
        example("""
            import lightning as L
            import torch.nn as nn
            class LitModel(L.LightningModule):
                def __init__(self):
                    super().__init__()
                    self.model = nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8))
                def validation_step(self, batch, batch_idx):
                    x, y = batch
                    return nn.functional.mse_loss(self.model(x), y)
        """),
        example("""
            import torch
            def evaluate(model, loader):
                with torch.no_grad():
                    return [model(x) for x in loader]
            def fit(model, loader, opt):
                model.train()
                for x in loader:
                    model(x).sum().backward()
                    opt.step()
                model.eval()
                return evaluate(model, loader)
        """),
        example("""
            import torch
            def run(model, train_loader, val_loader):
                model.train()
                for x in train_loader:
                    pass
                model.train(False)
                with torch.no_grad():
                    for x in val_loader:
                        model(x)
        """),
        example("""
            import torch
            @torch.inference_mode()
            def predict(x):
                model = torch.jit.load("model_scripted.pt")
                return model(x)
        """),
        example("""
            import torch
            import torch.nn as nn
            class Net(nn.Module):
                def forward(self, x):
                    return x
            @torch.no_grad()
            def predict(x):
                net = Net().eval()
                return net(x)
        """),
        example("""
            import torch
            async def predict(model: torch.nn.Module, request):
                x = torch.tensor(await request.json())
                model.eval()
                with torch.inference_mode():
                    return model(x).tolist()
        """),
        example("""
            import torch
            def fit(model, loader, opt):
                model.train()
                for x, y in loader:
                    with torch.no_grad():
                        pseudo = model(x).argmax(1)
                    torch.nn.functional.cross_entropy(model(x), pseudo).backward()
                    opt.step()
        """),
        example("""
            import torch
            import torchvision
            @torch.no_grad()
            def extract(images):
                backbone = torchvision.models.resnet50(weights="DEFAULT").eval()
                return backbone(images)
        """),
        example("""
            import torch
            import torch.nn as nn
            def compliant_without_eval(x):
                model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.1))
                with torch.no_grad():
                    return model(x)
        """),
        example("""
            import torch
            import torchvision
            def fine_tune(images, labels, opt_cls=torch.optim.SGD):
                model = torchvision.models.resnet18(weights="DEFAULT")
                opt = opt_cls(model.parameters(), lr=0.01)
                loss = torch.nn.functional.cross_entropy(model(images), labels)
                loss.backward()
                opt.step()
        """),
        example("""
            import torch
            import torch.nn as nn
            class Classifier:
                def __init__(self, ema):
                    self.model = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.3), nn.Linear(8, 2))
                    self.opt = torch.optim.Adam(self.model.parameters())
                    self.ema = ema
                def load(self, path):
                    self.model.load_state_dict(torch.load(path))
                    self.model.eval()
                def fit(self, loader):
                    self.model.train()
                    for x, y in loader:
                        nn.functional.cross_entropy(self.model(x), y).backward()
                        self.opt.step()
                        self.ema.update(self.model)
                @torch.no_grad()
                def predict(self, x):
                    return self.model(x).argmax(1)
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
                            self.create_grid(self.gen(self.fixed_z), ["a.png"])
        """),
        example("""
            import torch
            import torchvision
            def infer(path, loader):
                model = torchvision.models.resnet50()
                if path is not None:
                    model.load_state_dict(torch.load(path))
                model.eval()
                with torch.no_grad():
                    return [model(x) for x in loader]
        """),
    ),
    check=check,
)
