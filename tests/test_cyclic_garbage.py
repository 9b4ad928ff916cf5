"""A check leaves no cyclic garbage: the facts of an analysis are freed as soon as it is over, not by the
cyclic collector, whose collections cost a fifth of a corpus check's CPU time while they held the trees."""

import gc

from gradguard.analysis import analyze_module

SOURCE = """\
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(2, 2)

    def forward(self, x):
        return self.layer(x)


def evaluate(model, loader):
    model.eval()

    def step(batch):
        return model(batch)

    for batch in loader:
        out = step(batch)
    return out


def validate(val_loader):
    net = Net()
    for batch in val_loader:
        net(batch)
"""


def test_a_check_leaves_no_cyclic_garbage() -> None:
    analyze_module(SOURCE, "pkg/model.py", module="pkg.model")  # first: whatever is imported or cached once
    gc.collect()
    gc.disable()
    try:
        analysis = analyze_module(SOURCE, "pkg/model.py", module="pkg.model")
        unreachable = gc.collect()
    finally:
        gc.enable()
    assert [f.code for f in analysis.findings] == ["GG201"]  # the rules ran, and asked for the intent
    assert unreachable == 0
