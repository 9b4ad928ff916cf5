"""How a setting came about is a typed value (`Setting.via`, `Setting.next_iteration`), not a string protocol."""

from __future__ import annotations

import ast

from gradguard.config import Config
from gradguard.dataflow.facts import build_facts
from gradguard.dataflow.state import Mode, Setting

EVAL_INSIDE_THE_LOOP = """\
import torch

def fit(model, loader, optimizer):
    for batch in loader:
        loss = model(batch).sum()
        loss.backward()
        optimizer.step()
        model.eval()
"""


def test_the_next_iteration_is_a_flag_beside_how_the_setting_was_made() -> None:
    facts = build_facts(ast.parse(EVAL_INSIDE_THE_LOOP), Config(), "fit.py", EVAL_INSIDE_THE_LOOP)
    (loop,) = facts.by_name["fit"].loops.values()
    carried = {s for event in loop.next_iteration.values() for s in event.state.mode("model")}
    eval_call = next(n for n in ast.walk(facts.tree) if isinstance(n, ast.Call) and ast.unparse(n) == "model.eval()")
    # the forward pass of the next iteration sees the `eval()` of this one, marked as carried over
    assert carried == {Setting(Mode.EVAL, eval_call, "call", next_iteration=True)}
