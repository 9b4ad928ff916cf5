"""Intent from evidence (issue 13): smoke checks of fresh models, outputs that only feed inference sinks,
models from factories."""
import textwrap

from gradguard import analyze


def codes(source: str, path: str = "script.py") -> list[tuple[str, int]]:
    return sorted((f.code, f.span.start_line + 1) for f in analyze(textwrap.dedent(source), path))


NET = """
    import torch
    import torch.nn as nn
    import torchvision
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
        def forward(self, x):
            return self.body(x)
"""


def test_a_fresh_model_switched_to_eval_and_run_once_is_a_smoke_check():
    # A tutorial cell: built here, never loaded or trained, run once on a toy batch to show the output.
    assert codes(NET + """
    seq_module = Net()
    _ = seq_module.eval()
    seq_module(torch.zeros(2, 4))
    """) == []


def test_eval_still_counts_for_a_fresh_model_handed_to_a_function_first():
    found = codes(NET + """
    def fit(model):
        ...
    model = Net()
    fit(model)
    model.eval()
    print(model(torch.zeros(2, 4)).argmax(1))
    """)
    assert ("GG201", 17) in found


def test_eval_still_counts_for_a_factory_asked_for_trained_weights():
    found = codes(NET + """
    model = torchvision.models.resnet18(pretrained=True)
    model.eval()
    print(model(torch.zeros(1, 3, 224, 224)).argmax(1))
    """)
    assert ("GG201", 14) in found
