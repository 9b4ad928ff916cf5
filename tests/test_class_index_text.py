"""The text searches of the class index (`dataflow/classindex.py`): fast, and the same answers as the
word-bounded patterns they replace."""

from __future__ import annotations

import re

import pytest
from gradguard.dataflow.classindex import SELF_CALL, SELF_ITERATED, _whole_words

TEXTS = [
    "self.encoder(x) + self(x) + self.forward (x)",
    "myself.encoder(x) + xself(y) + _self.head(z)",
    "xself.self(x)",  # the match inside a word hides one that starts a word
    "for layer in self.layers: pass\nfor b in myself.blocks: pass\nwithin self.heads",
    "éself.a(x) + self.b\n(x) + self .c(x)",
    "",
]


@pytest.mark.parametrize("pattern", [SELF_CALL, SELF_ITERATED])
def test_patterns_start_with_a_literal(pattern: re.Pattern[str]) -> None:
    # a leading `\b` makes CPython's re try every position: 30-100x slower on a class's text
    assert pattern.pattern[0].isalpha()


@pytest.mark.parametrize("pattern", [SELF_CALL, SELF_ITERATED])
@pytest.mark.parametrize("text", TEXTS)
def test_whole_words_as_a_leading_word_boundary(pattern: re.Pattern[str], text: str) -> None:
    assert _whole_words(pattern, text) == set(re.findall(r"\b" + pattern.pattern, text))


def test_whole_words_finds_the_calls() -> None:
    assert _whole_words(SELF_CALL, TEXTS[0]) == {"encoder", "", "forward"}
    assert _whole_words(SELF_CALL, TEXTS[2]) == {""}
    assert _whole_words(SELF_ITERATED, TEXTS[3]) == {"layers"}
