"""Statements the module-level facts must see wherever they sit: imports in the handlers of a
top-level `try`, definitions in `else:` and `finally:` blocks."""

from __future__ import annotations

from gradguard.analysis import analyze


def test_an_import_in_the_handler_of_a_top_level_try_names_torch():
    source = """\
try:
    import torch_xla as T
except ImportError:
    import torch as T

with T.no_grad:
    pass
"""
    assert [f.code for f in analyze(source, "a.py")] == ["GG101"]


def test_a_function_defined_in_a_finally_block_is_walked():
    source = """\
import torch
try:
    pass
finally:
    def evaluate(model, x):
        model.eval()
        return model(x)
"""
    assert [f.code for f in analyze(source, "a.py")] == ["GG201"]
