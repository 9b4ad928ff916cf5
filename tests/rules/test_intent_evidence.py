"""Intent from evidence (issue 13): findings name their evidence, one vocabulary, assignment aliases."""

import textwrap

from gradguard import analyze
from gradguard.vocabulary import EVALUATION_DATA


def findings(source: str, path: str = "script.py"):
    return analyze(textwrap.dedent(source), path)


def test_loaded_model_finding_names_the_load_and_points_at_it():
    found = findings("""
        import torch
        import torchvision
        def main(weights, images):
            net = torchvision.models.resnet18()
            net.load_state_dict(torch.load(weights))
            print(net(images).argmax(1).tolist())
    """)
    gg201 = next(f for f in found if f.code == "GG201")
    assert "`net` loaded at line 6, no training step after" in gg201.message
    assert [(r.span.start_line, r.message) for r in gg201.related] == [(5, "weights loaded here")]
    gg205 = next(f for f in found if f.code == "GG205")
    assert "loaded by `load_state_dict()` at line 6 and never switched to eval mode" in gg205.message


def test_helper_finding_names_its_only_callers():
    found = findings("""
        import torch
        import torch.nn as nn
        def _collect(model: nn.Module, batches):
            return torch.cat([model(x) for x in batches])
        def validate(model: nn.Module, batches):
            return _collect(model, batches).mean().item()
        def evaluate(model: nn.Module, batches):
            model.eval()
            return _collect(model, batches).argmax(1)
    """)
    (gg201,) = [f for f in found if f.code == "GG201"]
    assert "only `evaluate()` and `validate()` call this function, as evaluation code" in gg201.message
    assert {r.span.start_line for r in gg201.related} == {6, 9}


def test_pickled_module_from_torch_load_is_a_model_with_weights():
    found = findings("""
        import torch
        net = torch.load("net.pt", weights_only=False)
        print(net(torch.zeros(1, 4)).tolist())
    """)
    assert sorted(f.code for f in found) == ["GG201", "GG205"]
    assert "loaded by `torch.load()` at line 3" in next(f for f in found if f.code == "GG205").message


def test_a_state_dict_from_torch_load_is_not_a_model():
    assert (
        findings("""
        import torch
        state = torch.load("net.pt")
        print(state["step"])
    """)
        == []
    )


def test_one_vocabulary_for_evaluation_data():
    # the analysis's evaluation loop and the fixes read the same names (`val_images` was only the fix's)
    assert EVALUATION_DATA.search("val_images") and EVALUATION_DATA.search(["self", "test_loader"][-1])
    assert not EVALUATION_DATA.search("interval_regularizer") and not EVALUATION_DATA.search("retrieval_loss")
    (gg202,) = findings("""
        import torch
        def run(model, train_loader, val_images, opt):
            model.train()
            for x in train_loader:
                model(x).sum().backward()
                opt.step()
            with torch.no_grad():
                for x in val_images:
                    print(model(x).argmax(1))
    """)
    assert gg202.code == "GG202" and "loop over `val_images`" in gg202.message
    assert gg202.data["anchor_line"] == 7  # `model.eval()` goes before the `with` that opens the loop, not inside it


def test_assignment_aliases_resolve_like_imports():
    found = findings("""
        import torch
        F = torch.nn.functional
        class Head(torch.nn.Module):
            def forward(self, x):
                return F.dropout(x, 0.1)
    """)
    assert [f.code for f in found] == ["GG206"]
    found = findings(
        """
        import pytest
        torch = pytest.importorskip("torch")
        def evaluate(model, loader):
            with torch.no_grad:
                return [model(x) for x in loader]
    """,
        "tests/test_eval.py",
    )
    assert "GG101" in {f.code for f in found}


def test_a_weight_loading_helper_keeps_eval_mode():
    found = findings("""
        import torch
        from models import Net
        from utils import resume_from_ckpt
        def main(path, image):
            model = Net()
            model.eval()
            resume_from_ckpt(path, model)
            print(model(image)[0].tolist())
    """)
    assert [f.code for f in found] == ["GG201"]
    assert "after `model.eval()` at line 7" in found[0].message
    # any other function may switch it back: nothing known, nothing reported
    assert (
        findings("""
        import torch
        from models import Net
        def main(path, image):
            model = Net()
            model.eval()
            prepare(path, model)
            print(model(image)[0].tolist())
    """)
        == []
    )
