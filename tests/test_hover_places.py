"""The places the hover explains come from the analysis (`ModuleAnalysis.grad_regions`, `.api_names`):
the regions are the grad mode the dataflow walk carried to each statement, not a second, lexical reading."""

from gradguard.analysis import analyze_module
from gradguard.apis import API_TEXTS

SOURCE = """\
import torch

def helper(model, x):
    y = model(x)
    # still the helper
    return y

def infer(model, x):
    with torch.no_grad():
        out = helper(model, x)
        with torch.enable_grad():
            z = model(x)
        if x:
            def later():
                return model(x)
            w = 1
    return out

torch.set_grad_enabled(False)
a = 1
b = 2
torch.set_grad_enabled(True)
c = 3

@torch.no_grad()
def predict(model, x):
    return model(x).detach()
"""


def regions(source: str) -> list[tuple[int, int, str, int]]:
    """1-based lines, as an editor shows them."""
    return [
        (r.first_line + 1, r.last_line + 1, r.statement, r.anchor_line + 1)
        for r in analyze_module(source, hover_places=True).grad_regions
    ]


def test_regions_follow_the_dataflow():
    assert regions(SOURCE) == [
        (4, 6, "with torch.no_grad()", 9),  # a helper called only inside no_grad, its comment included
        (10, 11, "with torch.no_grad()", 9),  # the `with torch.enable_grad():` line itself runs with them off
        (13, 13, "with torch.no_grad()", 9),
        (16, 16, "with torch.no_grad()", 9),  # not `later`'s body: it runs when called
        (20, 22, "torch.set_grad_enabled(False)", 19),  # a plain statement lasts until switched back (line 22)
        (27, 27, "@torch.no_grad()", 25),
    ]


def test_a_helper_called_both_with_and_without_gradients_has_no_region():
    called_outside = SOURCE + "\ndef train(model, x):\n    return helper(model, x)\n"
    assert (4, 6, "with torch.no_grad()", 9) not in regions(called_outside)


def test_api_names_resolve_imports_and_module_calls_only():
    source = (
        "import torch\nfrom torch import no_grad as frozen\n"
        "def f(model, args):\n    model.eval()\n    with frozen():\n        args.train\n"
    )
    names = analyze_module(source, hover_places=True).api_names
    assert [(n.line, n.start_col, n.end_col, n.api) for n in names] == [
        (3, 10, 14, "Module.eval"),
        (4, 9, 15, "torch.no_grad"),
    ]  # the alias where it is used; not `args.train`
    assert all(name.api in API_TEXTS for name in analyze_module(SOURCE, hover_places=True).api_names)


def test_api_names_of_a_file_the_analysis_skips():
    """Nothing here opens the text gate (no grad-mode or mode-switch name), but the hover still explains `detach`."""
    source = "import torch\n\ndef freeze(net, x):\n    net.weight.requires_grad = False\n    return x.detach()\n"
    assert analyze_module(source).findings == []
    names = analyze_module(source, hover_places=True).api_names
    assert [(n.line, n.start_col, n.api) for n in names] == [(3, 15, "requires_grad"), (4, 13, "Tensor.detach")]
    assert analyze_module("x.detach(\n", hover_places=True).api_names == []  # not PyTorch code, does not parse


def test_a_grad_mode_api_entered_without_its_call_is_marked_for_the_hover():
    source = "import torch\nwith torch.no_grad:\n    pass\nwith open('f') as f, torch.no_grad():\n    pass\n"
    names = analyze_module(source, hover_places=True).api_names
    assert [(n.line, n.api, n.entered_uncalled) for n in names] == [
        (1, "torch.no_grad", True),
        (3, "torch.no_grad", False),
    ]
