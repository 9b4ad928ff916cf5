"""The text searches of the relevance test (`dataflow/tokens.py`)."""

from __future__ import annotations

import re

import pytest
from gradguard.dataflow.tokens import IDENTIFIER, call_positions, name_counts, names_word, word_set

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


@pytest.mark.parametrize("start", [0, 9, 10, 40, len(SOURCE)])
@pytest.mark.parametrize("word", ["evaluate", "évaluate", "evaluate_1", "model", "m", "x", "undef", "def", "missing"])
def test_names_word_as_the_words_of_the_text(word: str, start: int) -> None:
    assert names_word(SOURCE, word, start) == (word in IDENTIFIER.findall(SOURCE[start:]))


def test_names_word_from_a_position() -> None:
    # `valuate` is no word of the text, though it is of the text cut before its first letter
    assert not names_word(SOURCE, "valuate", 0)
    assert names_word(SOURCE, "valuate", 5)
    assert names_word("self.nn(x)", "nn") and not names_word("self.nnx(x)", "nn")


@pytest.mark.parametrize(
    "names",
    [
        ["evaluate"],
        ["evaluate", "evaluate_1", "model"],
        ["évaluate", "m", "x", "def", "missing"],
        ["evaluate_1", "evaluate"],
    ],
)
def test_name_counts_as_the_alternation_they_replace(names: list[str]) -> None:
    expected: dict[str, int] = {}
    for match in re.finditer(rf"(?<![\w.])({'|'.join(map(re.escape, names))})\b", SOURCE):
        expected[match.group(1)] = expected.get(match.group(1), 0) + 1
    assert name_counts(SOURCE, names) == expected


def test_name_counts_whole_words_not_attributes() -> None:
    # `self.evaluate` is an attribute; `evaluate_1`, `_evaluate`, `évaluate` and `evaluate2` are other words
    assert name_counts(SOURCE, ["evaluate", "model"]) == {"evaluate": 6, "model": 4}


@pytest.mark.parametrize(
    "text",
    [
        "def forward(self, x):\n    return self.drop_out(x) + F.dropout(x, 0.1)  # p=0.1\n",
        "a\tb\x0bc\x0cd-e.f(g)[h]{i}'j'\"k\"@l$m`n~o!p^q|r\\s;t:u<v>w?x/y#z%1&2*3+4,5=6\n_u_",
        "naïve = café + 2\n# « quoted » — dash\n",  # not ASCII: the regex itself
        "",
    ],
)
def test_the_word_set_is_the_set_of_identifier_matches(text: str) -> None:
    assert word_set(text) == set(IDENTIFIER.findall(text))
