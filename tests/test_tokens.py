"""The text searches of the relevance test (`dataflow/tokens.py`)."""

from __future__ import annotations

import re

from gradguard.dataflow.tokens import word_positions

SOURCE = """\
def evaluate(model):  # evaluate_1 is not evaluate
    return evaluate_1(model) + _evaluate(model) + évaluate(model)
def évaluate(m): return evaluate(m), "evaluate", evaluate2
"""


def test_word_positions_finds_every_whole_word_of_each_name_in_one_pass() -> None:
    names = ["evaluate", "evaluate_1", "évaluate", "missing"]
    found = word_positions(SOURCE, names)
    # a whole word: no letter, digit (of any script) or underscore on either side
    expected = {name: [m.start() for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", SOURCE)] for name in names}
    assert found == expected
    assert len(found["evaluate"]) == 4 and found["missing"] == []
