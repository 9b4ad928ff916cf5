"""Summaries across files: a package laid out in a temporary folder, checked as a whole."""

import json
import subprocess
import sys
import textwrap

from gradguard.analysis import analyze_module
from gradguard.dataflow.crossfile import ProjectIndex
from package_check import check, layout

EVALUATION = """
    import torch
    def evaluate(model, loader):
        model.eval()
        with torch.no_grad():
            return sum(model(x).sum() for x in loader)
    def predict(model, x):
        return model(x)
    def restore(model):
        model.train()
"""
TRAIN = """
    import torch
    from .evaluation import evaluate, predict, restore
    def fit(model, loader, val_loader, opt, epochs):
        model.train()
        for epoch in range(epochs):
            for x in loader:
                model(x).sum().backward()
                opt.step()
            evaluate(model, val_loader)
    def fit_restoring(model, loader, val_loader, opt, epochs):
        model.train()
        for epoch in range(epochs):
            for x in loader:
                model(x).sum().backward()
                opt.step()
            evaluate(model, val_loader)
            restore(model)
    def report(model, x):
        with torch.no_grad():
            return predict(model, x)
"""


def test_helper_in_another_file_leaves_eval_mode(tmp_path):
    layout(tmp_path, evaluation=EVALUATION, train=TRAIN)
    # GG203 where `evaluate` (another file) switches to eval mode; not where `restore` switches back;
    # no GG201 in `predict`: its only caller calls it inside no_grad
    assert check(tmp_path, ".") == [("pkg/train.py", 10, "GG203")]


def test_absolute_import_and_module_attribute(tmp_path):
    layout(
        tmp_path,
        evaluation=EVALUATION,
        train=TRAIN.replace(
            "from .evaluation import evaluate, predict, restore",
            "from pkg import evaluation\n"
            "    evaluate, predict, restore = evaluation.evaluate, evaluation.predict, evaluation.restore",
        ),
    )
    (tmp_path / "pkg" / "loop.py").write_text(
        textwrap.dedent("""
        from pkg import evaluation
        def fit(model, loader, opt):
            model.train()
            for epoch in range(3):
                for x in loader:
                    model(x).sum().backward()
                    opt.step()
                evaluation.evaluate(model, loader)
    """)
    )
    assert ("pkg/loop.py", 9, "GG203") in check(tmp_path, ".")


def test_one_file_alone_reports_nothing_it_cannot_see(tmp_path):
    layout(tmp_path, evaluation=EVALUATION, train=TRAIN)
    assert check(tmp_path, "pkg/train.py") == []


def test_cached_results_follow_a_change_in_another_file(tmp_path):
    """The second pass is cached under the project index it used: editing only `evaluation.py` so that
    `evaluate` leaves the model in training mode must remove the GG203 reported in `train.py`."""
    layout(tmp_path, evaluation=EVALUATION, train=TRAIN)

    def cached_check():
        run = subprocess.run(
            [sys.executable, "-m", "gradguard", "--check", ".", "--format", "json"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        return [(f["filename"], f["location"]["row"], f["code"]) for f in json.loads(run.stdout)]

    assert cached_check() == cached_check() == check(tmp_path, ".") == [("pkg/train.py", 10, "GG203")]
    (tmp_path / "pkg" / "evaluation.py").write_text(textwrap.dedent(EVALUATION.replace("model.eval()", "pass")))
    # and `evaluate` now runs the model in the training mode both calls of `train.py` hand over
    assert cached_check() == check(tmp_path, ".") == [("pkg/evaluation.py", 6, "GG202")]


def test_a_thread_started_on_a_function_of_another_file_is_not_followed():
    """GG109 follows a thread's target to its forward passes; a function of another file is known only by
    its summary, which does not tell them: no finding (the analysis of the file raised AttributeError)."""
    index = ProjectIndex()
    worker = textwrap.dedent("""
        import torch
        def evaluate(model, x):
            model.eval()
            with torch.no_grad():
                return model(x)
    """)
    starter = textwrap.dedent("""
        import threading
        import torch
        from .work import evaluate
        def run(model, x):
            with torch.no_grad():
                threading.Thread(target=evaluate, args=(model, x)).start()
    """)
    analysed = analyze_module(worker, "pkg/work.py", project=index, module="pkg.work")
    index.add("pkg.work", analysed.exports, analysed.calls)
    assert "evaluate" in analysed.exports
    assert analyze_module(starter, "pkg/main.py", project=index, module="pkg.main").findings == []


# ---- the project's class index -------------------------------------------------------------------
MODEL = """
    import torch.nn as nn
    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.classifier = nn.Sequential(nn.Linear(8, 2), nn.Dropout(0.2))
        def forward(self, x):
            return self.classifier(x)
        def calculate_objective(self, x, y):
            return (self.forward(x) - y).pow(2).mean()
"""
MAIN = """
    import torch
    from model import Attention
    model = Attention()
    optimizer = torch.optim.Adam(model.parameters())
    def train(loader):
        model.train()
        for x, y in loader:
            model.calculate_objective(x, y).backward()
            optimizer.step()
    def test(loader):
        model.eval()
        for x, y in loader:
            print(model.calculate_objective(x, y).item())
"""


def test_a_method_of_a_model_class_of_another_file_is_a_forward_pass(tmp_path):
    (tmp_path / "model.py").write_text(textwrap.dedent(MODEL))
    (tmp_path / "main.py").write_text(textwrap.dedent(MAIN))
    # `Attention` (model.py) is a module and `calculate_objective` runs it: a forward pass in `test`
    assert check(tmp_path, ".") == [("main.py", 14, "GG201")]


GENERATOR = """
    import torch
    import torch.nn as nn
    from .ops import fused_act
    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(8, 8)
        def forward(self, z):
            return fused_act(self.fc(z))
"""
OPS = """
    import torch
    def fused_act(x):
        return torch.nn.functional.leaky_relu(x, 0.2)
"""
SAMPLE = """
    import torch
    from .model import Generator
    g = Generator()
    g.load_state_dict(torch.load("g.pt"))
    with torch.no_grad():
        images = g(torch.randn(16, 8))
"""


def test_no_missing_eval_for_a_model_class_of_another_file_without_mode_dependent_layers(tmp_path):
    layout(tmp_path, model=GENERATOR, ops=OPS, sample=SAMPLE)
    assert check(tmp_path, ".") == []  # eval() would change nothing in `Generator`
    (tmp_path / "pkg" / "ops.py").write_text(
        textwrap.dedent(OPS.replace("leaky_relu(x, 0.2)", "dropout(x, 0.1, training=True)"))
    )
    assert check(tmp_path, ".") == [("pkg/sample.py", 7, "GG205")]


ENERGY = """
    import torch
    import torch.nn as nn
    class Unrolled(nn.Module):
        def __init__(self):
            super().__init__()
            self.energy = nn.Linear(4, 1)
        def forward(self, x):
            y = torch.zeros(x.shape[0], 4, requires_grad=True)
            for _ in range(3):
                e = self.energy(x * y).sum()
                y = y - torch.autograd.grad(e, y, create_graph=True)[0]
            return y
"""
EVALUATE = """
    import torch
    from .energy import Unrolled
    def evaluate(loader):
        model = Unrolled()
        model.load_state_dict(torch.load("m.pt"))
        model.eval()
        return [model(x).argmax(1) for x in loader]
"""


def test_no_forward_without_no_grad_when_the_model_class_of_another_file_needs_gradients(tmp_path):
    layout(tmp_path, energy=ENERGY, evaluate=EVALUATE)
    assert check(tmp_path, ".") == []  # no_grad would break the forward's own gradient steps


UTILS = """
    import torch
    def resume_from_ckpt(ckpt_path, model):
        ckpt = torch.load(ckpt_path)
        model.load_state_dict(ckpt["model"], strict=False)
        return ckpt["epoch"]
"""
DEMO = """
    import torch
    import torch.nn as nn
    from .utils import resume_from_ckpt
    def main(path, images):
        model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.1))
        model.eval()
        resume_from_ckpt(path, model)
        for image in images:
            print(model(image).argmax().item())
"""


def test_weights_loaded_by_a_helper_of_another_file_keep_the_callers_mode(tmp_path):
    layout(tmp_path, utils=UTILS, demo=DEMO)
    # the helper loads weights into the model it is given: still in eval mode, now with trained weights
    found = check(tmp_path, ".")
    assert found == [("pkg/demo.py", 10, "GG201")]


NUMPY_BACKBONE = """
    import numpy as np
    import torch.nn as nn
    class Factorisation(nn.Module):
        def __init__(self, rank):
            super().__init__()
            self.rank = rank
            self.factors = None
        def forward(self, X):
            self.factors = np.linalg.svd(X)[0][:, : self.rank]
            return {"imputed": self.factors @ self.factors.T @ X}
"""
TORCH_BACKBONE = """
    import torch
    import torch.nn as nn
    class Factorisation(nn.Module):
        def __init__(self, rank):
            super().__init__()
            self.proj = nn.Linear(rank, rank)
        def forward(self, X):
            return {"imputed": self.proj(torch.as_tensor(X))}
"""
IMPUTER = """
    import torch
    from .backbone import Factorisation
    class Imputer:
        def __init__(self, rank):
            self.model = Factorisation(rank)
        def predict(self, X):
            self.model.eval()
            return self.model(X)["imputed"]
"""


def test_no_forward_without_no_grad_for_a_model_class_of_another_file_that_names_nothing_of_torch(tmp_path):
    layout(tmp_path, backbone=NUMPY_BACKBONE, imputer=IMPUTER)
    assert check(tmp_path, ".") == []  # a NumPy model behind an nn.Module base records no graph


MODULE_LEVEL_NETS = """
    import torch.nn as nn
    G = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())
    D = nn.Sequential(nn.Linear(784, 256), nn.Dropout(0.3), nn.Linear(256, 1), nn.Sigmoid())
"""
SAMPLE_FROM_NETS = """
    import torch
    from . import nets
    from .nets import D
    G = nets.G
    G.load_state_dict(torch.load("G.ckpt"))
    D.load_state_dict(torch.load("D.ckpt"))
    images = G(torch.randn(25, 64))
    scores = D(images)
"""


def test_a_model_another_file_builds_at_its_top_level_keeps_its_layers(tmp_path):
    # eval() changes nothing in G (Linear and activations); D has dropout: GG205 for D only
    layout(tmp_path, nets=MODULE_LEVEL_NETS, sample=SAMPLE_FROM_NETS)
    assert [f for f in check(tmp_path, ".") if f[2] == "GG205"] == [("pkg/sample.py", 9, "GG205")]


STAR_LAYERS = """
    import torch
    import torch.nn as nn
    class Block(nn.Module):
        def __init__(self, rank):
            super().__init__()
            self.proj = nn.Linear(rank, rank)
        def forward(self, X):
            return self.proj(torch.as_tensor(X))
"""
STAR_BACKBONE = """
    from .layers import *
    class Factorisation(nn.Module):
        def __init__(self, rank):
            super().__init__()
            self.block = Block(rank)
        def forward(self, X):
            return {"imputed": self.block(X)}
"""
STAR_SOLVER = """
    import numpy as np
    import torch  # the class index reads files that name torch; `factorise` itself does not
    def factorise(X, rank):
        return np.linalg.svd(X)[0][:, :rank]
"""
STAR_NUMPY_BACKBONE = """
    import torch.nn as nn
    from .solver import *
    class Factorisation(nn.Module):
        def __init__(self, rank):
            super().__init__()
            self.rank = rank
        def forward(self, X):
            factors = factorise(X, self.rank)
            return {"imputed": factors @ factors.T @ X}
"""


def test_a_model_class_whose_torch_names_come_from_a_star_import_may_build_a_graph(tmp_path):
    # `nn` and `Block` come through `from .layers import *`: no proof that the class is free of torch
    layout(tmp_path, layers=STAR_LAYERS, backbone=STAR_BACKBONE, imputer=IMPUTER)
    assert check(tmp_path, ".") == [("pkg/imputer.py", 9, "GG201")]


def test_a_star_import_of_numpy_code_keeps_a_model_class_graph_free(tmp_path):
    layout(tmp_path, solver=STAR_SOLVER, backbone=STAR_NUMPY_BACKBONE, imputer=IMPUTER)
    assert check(tmp_path, ".") == []  # `factorise`, brought by the star import, is NumPy code


def test_forward_without_no_grad_for_the_same_model_class_built_from_torch_layers(tmp_path):
    layout(tmp_path, backbone=TORCH_BACKBONE, imputer=IMPUTER)
    assert check(tmp_path, ".") == [("pkg/imputer.py", 9, "GG201")]


TRXL = '''
    import torch.nn as nn
    def layer_init(layer):
        nn.init.orthogonal_(layer.weight)
        return layer
    class Attention(nn.Module):
        """Multi-head attention without dropout."""
        def __init__(self, dim):
            super().__init__()
            self.qkv = layer_init(nn.Linear(dim, 3 * dim))  # no Dropout here: RL agents want determinism
        def forward(self, x):
            return self.qkv(x)
    class Transformer(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.layers = nn.ModuleList([Attention(dim) for _ in range(2)])
            self.norm = nn.LayerNorm(dim)
        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return self.norm(x)
'''
ENJOY = """
    import torch
    from .trxl import Transformer
    def play(path, observations):
        agent = Transformer(8)
        agent.load_state_dict(torch.load(path))
        with torch.no_grad():
            return [agent(o).argmax().item() for o in observations]
"""


def test_a_model_class_named_like_a_torch_layer_with_prose_about_dropout_has_no_mode_dependent_layer(tmp_path):
    # the class's own name `Transformer` and "dropout" in a docstring or a comment name no layer
    layout(tmp_path, trxl=TRXL, enjoy=ENJOY)
    assert check(tmp_path, ".") == []
    (tmp_path / "pkg" / "trxl.py").write_text(
        textwrap.dedent(TRXL.replace("self.norm = nn.LayerNorm(dim)", "self.norm = nn.Transformer(dim)"))
    )
    assert check(tmp_path, ".") == [("pkg/enjoy.py", 8, "GG205")]
    (tmp_path / "pkg" / "trxl.py").write_text(
        textwrap.dedent(
            TRXL.replace("layer_init(nn.Linear(dim, 3 * dim))", "nn.Sequential(nn.Linear(dim, 3 * dim), nn.Dropout())")
        )
    )
    assert check(tmp_path, ".") == [("pkg/enjoy.py", 8, "GG205")]


HOOKS = '''
    import torch
    from .base import Hooked
    class Extractor(Hooked):
        """Hooks a layer; call `model.eval()` before using it."""
        def __init__(self, model, layer):
            super().__init__(model)
            self.handle = dict(model.named_modules())[layer].register_forward_hook(self.keep)
        def keep(self, module, inputs, output):
            self.kept = output.detach()
'''
BASE = """
    import torch
    class Hooked:
        def __init__(self, model):
            self.model = model
"""
CAM = """
    import torch
    from torchvision import models
    from .hooks import Extractor
    def main(image):
        model = models.resnet18(pretrained=True)
        extractor = Extractor(model, "layer4")
        with torch.no_grad():
            print(model(image).argmax().item(), extractor.kept.shape)
"""


def test_a_model_handed_to_project_code_that_switches_no_mode_keeps_its_mode(tmp_path):
    layout(tmp_path, hooks=HOOKS, base=BASE, cam=CAM)
    assert check(tmp_path, ".") == [("pkg/cam.py", 9, "GG202")]  # the docstring's `model.eval()` is prose
    # a base class that switches the mode, or calls a package that may: the model may come back in any mode
    switching = BASE.replace("self.model = model", "self.model = model.train(False)")
    (tmp_path / "pkg" / "base.py").write_text(textwrap.dedent(switching))
    assert check(tmp_path, ".") == []
    preparing = BASE.replace("import torch", "import torch\n    from accelerate import prepare").replace(
        "self.model = model", "self.model = prepare(model)"
    )
    (tmp_path / "pkg" / "base.py").write_text(textwrap.dedent(preparing))
    assert check(tmp_path, ".") == []


STAGE = """
    import torch
    from mmcv import Config
    class Stage:
        def configure(self, path, training):
            return Config.fromfile(path)  # a package we cannot see: the class as a whole may switch modes
        @staticmethod
        def set_progress_callback(model, cfg):
            if cfg.get("monitor"):
                model.register_forward_hook(lambda module, inputs, output: cfg.monitor.step())
"""
CLS_STAGE = """
    import torch
    from .stage import Stage
    class ClsStage(Stage):
        def configure(self, path, training):
            return super().configure(path, training)
"""
INFERRER = """
    import torch
    import torchvision
    from .cls_stage import ClsStage
    class Inferrer(ClsStage):
        def infer(self, path, loader):
            model = torchvision.models.resnet18()
            model.load_state_dict(torch.load(path))
            ClsStage.set_progress_callback(model, {})
            with torch.no_grad():
                return [model(x) for x in loader]
"""


def test_a_model_handed_to_a_static_method_of_another_file_that_switches_no_mode_keeps_its_mode(tmp_path):
    layout(tmp_path, stage=STAGE, cls_stage=CLS_STAGE, inferrer=INFERRER)
    assert check(tmp_path, ".") == [("pkg/inferrer.py", 11, "GG205")]  # the method is inherited from Stage
    # a static method that may switch modes: the model may come back in any mode
    switching = STAGE.replace("model.register_forward_hook(", "model.train().register_forward_hook(")
    (tmp_path / "pkg" / "stage.py").write_text(textwrap.dedent(switching))
    assert check(tmp_path, ".") == []


PIX2PIX = """
    import torch
    import torch.nn as nn
    class Pix2Pix(nn.Module):
        def __init__(self):
            super().__init__()
            self.generator = nn.Conv2d(3, 3, 3)
        def forward(self, data, mode):
            if mode == "inference":
                with torch.no_grad():
                    return self.generator(data)
            return self.generator(data).mean()
"""
INFER = """
    import torch
    from .pix2pix import Pix2Pix
    def predict(loader, path):
        model = Pix2Pix()
        model.load_state_dict(torch.load(path))
        model.eval()
        return [model(data, mode="inference").cpu() for data in loader]
"""


def test_no_forward_without_no_grad_for_a_model_of_another_file_whose_forward_turns_gradients_off(tmp_path):
    layout(tmp_path, pix2pix=PIX2PIX, infer=INFER)
    assert check(tmp_path, ".") == []  # Pix2Pix.forward runs the generator under its own no_grad
    (tmp_path / "pkg" / "pix2pix.py").write_text(
        textwrap.dedent(PIX2PIX.replace("torch.no_grad()", 'torch.autocast("cpu")'))
    )
    assert check(tmp_path, ".") == [("pkg/infer.py", 8, "GG201")]


BASE_CLASSIFIER = """
    import torch
    class Classifier:
        def predict_proba(self, batches):
            self.model.eval()
            {grad}
                return self._predict_proba(batches)
        def _predict_proba(self, batches):
            raise NotImplementedError
"""
CNN_CLASSIFIER = """
    import numpy as np
    import torch
    from pkg.base import Classifier
    class Mixin:
        pass
    class CNNClassifier(Mixin, Classifier):
        def fit(self, batches):
            self.model = torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.Dropout())
        def predict_proba(self, batches):
            return super().predict_proba(batches)
        def _predict_proba(self, batches):
            return np.concatenate([self.model.forward(x).softmax(-1).cpu().numpy() for x in batches])
"""


def test_an_override_called_by_its_base_class_inside_no_grad_in_another_file_runs_without_gradients(tmp_path):
    # `PytorchClassifier.predict_proba` (base.py) wraps `self._predict_proba(...)` in `no_grad`: the subclass's
    # `_predict_proba` in another file is only reached there, so its name says nothing against it.
    layout(tmp_path, base=BASE_CLASSIFIER.replace("{grad}", "with torch.no_grad():"), cnn=CNN_CLASSIFIER)
    assert check(tmp_path) == []


def test_an_override_called_by_its_base_class_with_gradients_on_is_still_evaluation_code(tmp_path):
    layout(tmp_path, base=BASE_CLASSIFIER.replace("{grad}", "if batches:"), cnn=CNN_CLASSIFIER)
    assert check(tmp_path) == [("pkg/cnn.py", 13, "GG201")]
