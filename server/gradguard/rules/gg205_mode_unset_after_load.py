from __future__ import annotations

import ast
from collections.abc import Iterable

from ..dataflow.events import is_training_step
from ..dataflow.facts import ModuleFacts
from ..dataflow.functions import FunctionFacts
from ..dataflow.names import dotted
from ..dataflow.state import Mode
from ..fixdata import ModelAt
from ..report import Report
from ..vocabulary import SAVED_MODE_LOADERS
from .base import Rule, example
from .intent import evaluation_evidence, needs_gradients
from .modelclass import mode_dependence, model_class
from .queries import forward_passes, grad_disabled


def check(facts: ModuleFacts, report: Report) -> None:
    for fn, event in forward_passes(facts):
        assert event.model is not None  # a forward pass names its model
        mode = event.state.mode(event.model)
        if not mode or any(s.via != "loaded" or s.value is Mode.EVAL for s in mode):
            continue
        loads = [s.origin for s in mode if id(s.origin) in fn.calls]
        if not loads:
            continue  # the load happened in another function
        if _syncs_a_training_copy(fn, loads):
            continue
        evidence = None if grad_disabled(event) else evaluation_evidence(facts, fn, event, explicit_eval_counts=False)
        if not grad_disabled(event) and (evidence is None or needs_gradients(facts, fn, event)):
            continue
        built = model_class(facts, event.model, mode)
        if built is not None and mode_dependence(facts, built) == frozenset():
            continue  # nothing in the model depends on the mode: eval() would change nothing
        load = min(loads, key=lambda n: n.lineno)
        loader = _loader_name(facts, load)
        why = (
            ""
            if evidence is None or any(node is load for node, _ in evidence.related)
            else f" ({evidence.say(report)})"
        )
        report.add(
            RULE,
            event.node,
            f"`{event.model}` may run in training mode here: call `{event.model}.eval()` after "
            f"loading. It was loaded by `{loader}()` at {report.line(load)} and never switched to eval mode "
            f"before this forward pass, which needs no gradients{why}: {_what_the_loader_leaves(loader)}, so "
            "Dropout and BatchNorm may still be in training mode",
            related=[(load, "weights loaded here"), *(evidence.related if evidence is not None else ())],
            data=ModelAt(event.model, report.last_line(load)),
        )


def _syncs_a_training_copy(fn: FunctionFacts, loads: Iterable[ast.AST]) -> bool:
    """`target.load_state_dict(online.state_dict())` in a function that trains: a target network (or an
    EMA copy) synced with the model being trained belongs to the training, in the mode the training
    gives it; no trained weights were loaded for inference."""
    return all(
        isinstance(load, ast.Call)
        and load.args
        and isinstance(load.args[0], ast.Call)
        and isinstance(load.args[0].func, ast.Attribute)
        and load.args[0].func.attr == "state_dict"
        for load in loads
    ) and any(is_training_step(e) for e in fn.call_events())


def _what_the_loader_leaves(loader: str) -> str:
    """A pickled or TorchScript module comes back in the mode it was saved in; a loaded state dict holds no
    mode (both measured with torch 2.13.0)."""
    if loader in SAVED_MODE_LOADERS:
        return f"`{loader}()` restores the mode the module was saved in (training, unless saved after `eval()`)"
    return f"`{loader}()` does not set the mode"


def _loader_name(facts: ModuleFacts, load: ast.Call) -> str:
    """`torch.load` for a pickled module however torch is imported, else the method: `load_state_dict`."""
    return facts.names.qualified(load.func) or (dotted(load.func) or "load").rsplit(".", 1)[-1]


RULE = Rule(
    code="GG205",
    slug="mode-unset-after-load",
    severity="info",
    summary=(
        "Weights loaded with `load_state_dict()` and the model then used for forward passes that need no gradients, "
        "with no `eval()`/`train()` on the way."
    ),
    why="""
        `load_state_dict()` copies tensors; it does not touch `module.training` (nor do the library loaders that
        call it, such as mmcv's `load_checkpoint(model, path)`). A freshly constructed
        model is in training mode, so a model built, loaded and then used to embed a corpus, score a
        test set or act as a distillation teacher runs with Dropout on and train-mode BatchNorm, which
        also updates its running statistics from that data. A whole module read back with `torch.load()`
        or `torch.jit.load()` comes in the mode it was saved in: training mode for a checkpoint saved
        during training (both measured with torch 2.13.0). Reported on the forward pass, with the load as
        related location; a model handed to another function after the load is not reported, since that
        function may set the mode (nor one handed to it before the load), nor is a model whose class
        provably has no layer that depends on the mode (in this file or another file of the project):
        `eval()` would change nothing. Where this applies, it replaces GG202: one finding per harm.
    """,
    fix_safety="Inserts `model.eval()` after the load. Unsafe: results change, which is the point.",
    fixes=("insert.eval_after_load",),
    references=(
        "https://docs.pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.load_state_dict",
        "https://docs.pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval",
    ),
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
            model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout())
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
                    self.model = torch.nn.LSTM(2, 2, dropout=0.1)
                    self.model.load_state_dict(torch.load(path))
                    with torch.no_grad():
                        self.warm = self.model(torch.zeros(2))  # expect
        """),
        example("""
            import torch
            import torch.nn as nn
            from torch import no_grad
            class Encoder(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.net = nn.Sequential(nn.Linear(32, 32), nn.Dropout(0.1))
                def forward(self, x):
                    return self.net(x)
            def build_index(chunks, ckpt_path):
                encoder = Encoder()
                encoder.load_state_dict(torch.load(ckpt_path)["model"])
                with no_grad():
                    return torch.cat([encoder(c) for c in chunks])  # expect
        """),
        example("""
            import torch
            @torch.inference_mode
            def embed_all(model: torch.nn.Module, state_dict, batches):
                model.load_state_dict(state_dict)
                for x in batches:
                    yield model(x)  # expect
        """),
        example("""
            import torch
            class EmbeddingService:
                def __init__(self, model: torch.nn.Module):
                    self.model = model
                async def reload(self, path, probe):
                    self.model.load_state_dict(torch.load(path, map_location="cpu"))
                    with torch.no_grad():
                        return self.model(probe).norm().item()  # expect
        """),
        example("""
            import timm
            import torch
            def score(images, path):
                model = timm.create_model("vit_small_patch16_224", num_classes=10)
                model.load_state_dict(torch.load(path))
                with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
                    return model(images).softmax(-1)  # expect
        """),
        example("""
            import torch as T
            def compare_checkpoints(model: T.nn.Module, paths, x):
                outputs = {}
                for p in paths:
                    model.load_state_dict(T.load(p))
                    with T.no_grad():
                        outputs[p] = model(x)  # expect
                return outputs
        """),
        example("""
            import torch
            import torchvision
            def main(path, batch):
                net = torchvision.models.resnet50()
                net.load_state_dict(torch.load(path, map_location="cpu"))
                for label in net(batch).argmax(1).tolist():  # expect
                    print(label)
        """),
        example("""
            import torch
            with open("model.pt", "rb") as fh:
                net = torch.load(fh, weights_only=False)
            with torch.no_grad():
                print(net(torch.zeros(1, 8)))  # expect
        """),
        example("""
            import torch
            from mmcv.parallel import MMDataParallel
            from mmcv.runner import load_checkpoint
            from mmdet.models import build_detector
            def detect(cfg, loader):
                model = build_detector(cfg.model)  # OpenMMLab builders return a new module, in training mode
                load_checkpoint(model, cfg.checkpoint, map_location="cpu")  # load_state_dict inside
                model = MMDataParallel(model.cuda(0), device_ids=[0])  # a DataParallel: the same modules
                results = []
                for data in loader:
                    with torch.no_grad():
                        results.extend(model(return_loss=False, **data))  # expect
                return results
        """),
        example("""
            import torch
            import torch.nn as nn
            def embed(texts, path):
                encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(64, 4), 2)
                encoder.load_state_dict(torch.load(path))
                encoder = nn.DataParallel(encoder)
                with torch.no_grad():
                    return [encoder(t) for t in texts]  # expect
        """),
    ),
    silent=(
        example("""
            import torch
            import torch.nn as nn
            def embed(texts, path):
                encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(64, 4), 2)
                encoder.load_state_dict(torch.load(path))
                encoder.eval()
                with torch.no_grad():
                    return [encoder(t) for t in texts]
        """),
        example("""
            import torch
            from trainer_lib import fit
            def fit_then_embed(model: torch.nn.Module, loader, path):
                fit(model, loader)  # may end in eval mode (a last validation pass): unknown, not unset
                model.load_state_dict(torch.load(path))
                with torch.no_grad():
                    return [model(x) for x in loader]
        """),
        example("""
            import torch
            import torch.nn as nn
            q_net = nn.Sequential(nn.Linear(4, 64), nn.Dropout(0.1), nn.Linear(64, 2))
            target = nn.Sequential(nn.Linear(4, 64), nn.Dropout(0.1), nn.Linear(64, 2))
            target.load_state_dict(q_net.state_dict())
            opt = torch.optim.Adam(q_net.parameters())
            for obs, next_obs, reward in replay:
                with torch.no_grad():
                    td_target = reward + 0.99 * target(next_obs).max(1).values
                loss = (q_net(obs).max(1).values - td_target).pow(2).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
        """),
        example("""
            import torch
            import torch.nn as nn
            class Generator(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(8, 8)
                def forward(self, z):
                    return torch.tanh(self.fc(z))
            g = Generator()
            g.load_state_dict(torch.load("g.pt"))
            with torch.no_grad():
                images = g(torch.randn(16, 8))
        """),
        example("""
            import torch
            state = torch.load("last.pt")
            model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Dropout(0.2))
            model.load_state_dict(state["model"])
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            for x, y in data:
                torch.nn.functional.mse_loss(model(x), y).backward()
                opt.step()
        """),
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
        example("""
            import torch
            from transformers import AutoModel
            @torch.no_grad()
            def embed(texts, path):
                model = AutoModel.from_pretrained("bert-base-uncased")
                model.load_state_dict(torch.load(path))
                return model(**texts).last_hidden_state[:, 0]
        """),
        example("""
            import torch
            def load(model: torch.nn.Module, path):
                model.load_state_dict(torch.load(path))
                return model
        """),
        example("""
            import torch
            def attack(model: torch.nn.Module, path, x, y, eps):
                model.load_state_dict(torch.load(path))
                model.eval()
                x = x.clone().requires_grad_(True)
                torch.nn.functional.cross_entropy(model(x), y).backward()
                return x + eps * x.grad.sign()
        """),
        example("""
            import torch
            def resume(model: torch.nn.Module, path, loader, opt):
                ckpt = torch.load(path)
                model.load_state_dict(ckpt["model"])
                opt.load_state_dict(ckpt["opt"])
                for x in loader:
                    model(x).sum().backward()
                    opt.step()
        """),
        example("""
            import torch
            class Predictor:
                def __init__(self, model: torch.nn.Module, path):
                    self.model = model
                    self.model.load_state_dict(torch.load(path))
                    self.model.eval()
                @torch.no_grad()
                def predict(self, x):
                    return self.model(x).argmax(-1)
        """),
        example("""
            import torch
            def swap_in(teacher: torch.nn.Module, student: torch.nn.Module, x):
                teacher.load_state_dict(student.state_dict())
                teacher.train(False)
                with torch.inference_mode():
                    return teacher(x)
        """),
        example("""
            import torch as T
            def score(x, path):
                net = T.nn.Sequential(T.nn.Linear(2, 2), T.nn.Dropout())
                net.load_state_dict(T.load(path))
                net.to("cpu").eval()
                with T.no_grad():
                    return net(x)
        """),
        example("""
            import torch
            from mmcv.runner import load_checkpoint
            from mmcls.models import build_classifier
            def classify(cfg, images):
                model = build_classifier(cfg.model)
                load_checkpoint(model, cfg.checkpoint)
                model.eval()
                with torch.no_grad():
                    return model(images)
        """),
    ),
    check=check,
)
