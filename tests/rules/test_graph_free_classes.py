"""Which classes the project's class index calls graph-free: they name nothing of torch beyond their
`nn.Module` base and run no module they are given (GG201 is silent for models built from them)."""

from __future__ import annotations

import ast
import textwrap

from gradguard.dataflow.classindex import module_classes_entry
from gradguard.dataflow.models import module_classes
from gradguard.dataflow.names import Names


def graph_free(source: str) -> dict[str, tuple[str, ...] | None]:
    text = textwrap.dedent(source)
    tree = ast.parse(text)
    names = Names(tree)
    entry = module_classes_entry(tree, text, names, module_classes(tree, names), "pkg.model", False)
    return {name: definition.graph_free for name, definition in entry.definitions}


def test_a_numpy_model_behind_an_nn_module_base_is_graph_free() -> None:
    found = graph_free(
        """
        import numpy as np
        import torch.nn as nn
        from .solver import factorise
        class Factorisation(nn.Module):
            def __init__(self, rank):
                super().__init__()
                self.rank = rank
            def forward(self, X):
                return factorise(np.asarray(X), self.rank)
        """
    )
    assert found["Factorisation"] == ("pkg.solver.factorise",)  # what it calls must be graph-free too


def test_a_class_that_names_torch_in_its_body_is_not() -> None:
    found = graph_free(
        """
        import torch
        import torch.nn as nn
        class Scale(nn.Module):
            def __init__(self):
                super().__init__()
                self.weight = nn.Parameter(torch.ones(1))
            def forward(self, x):
                return x * self.weight
        """
    )
    assert found["Scale"] is None


def test_a_class_that_runs_a_module_it_is_given_is_not() -> None:
    found = graph_free(
        """
        import torch.nn as nn
        class Kept(nn.Module):
            def __init__(self, net):
                super().__init__()
                self.net = net
            def forward(self, x):
                return self.net(x)
        class Passed(nn.Module):
            def forward(self, x, net):
                return net.forward(x)
        class Registered(nn.Module):
            def __init__(self, weight):
                super().__init__()
                self.register_parameter("weight", weight)
        """
    )
    assert found == {"Kept": None, "Passed": None, "Registered": None}
