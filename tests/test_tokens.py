"""The text searches of the relevance test (`dataflow/tokens.py`)."""

from __future__ import annotations

from gradguard.dataflow.tokens import call_positions

SOURCE = """\
def evaluate(model):  # evaluate_1 is not evaluate
    return evaluate_1(model) + _evaluate(model) + évaluate(model)
def évaluate(m): return evaluate (m), "evaluate", evaluate2, self.evaluate(m)
async  def\tevaluate(x): undef evaluate(x)
"""


def test_call_positions_are_whole_words_called_and_not_defined() -> None:
    def called(name: str) -> list[str]:
        return [SOURCE[p - 5 : p + len(name)] for p in call_positions(SOURCE, name)]

    # not `def evaluate(`, `evaluate_1(`, `_evaluate(`, `évaluate(`, "evaluate", `evaluate2`; `undef` is no keyword
    assert called("evaluate") == ["turn evaluate", "self.evaluate", "ndef evaluate"]
    assert called("évaluate") == ["l) + évaluate"]
    assert called("evaluate_1") == ["turn evaluate_1"]
    assert called("missing") == []
