"""The fix engine's parse of an edited text re-parses only the top-level statements the edit touched
(`fixes/tree.py`): the result is what parsing the whole text gives, and the other statements are the
earlier parse's, so a quick fix right after an edit of a large file does not wait for a whole parse."""

from __future__ import annotations

import gradguard.fixes.tree as tree_module
import libcst as cst
import pytest
from gradguard import Config
from gradguard.analysis import analyze
from gradguard.fixes import fixes_for
from gradguard.fixes.tree import SourceTree, source_tree

STEP = """\
def train_step_{i}(model, optimizer, x, y):
    # step {i}
    model.train()
    optimizer.zero_grad()
    loss = (model(x) - y).pow(2).mean()
    loss.backward()
    optimizer.step()


"""
EVALUATE = """\
def evaluate(model, loader):
    model.eval()
    total = 0.0
    for x, y in loader:
        total += float((model(x) - y).abs().sum())
    return total
"""
SOURCE = "# a training script\nimport torch\n\n\n" + "".join(STEP.format(i=i) for i in range(12)) + EVALUATE
LINES = SOURCE.splitlines(keepends=True)
MIDDLE = LINES.index("    # step 6\n")
BETWEEN = MIDDLE + 7  # the second blank line after train_step_6


def edited(at: int, remove: int = 0, insert: str = "") -> str:
    return "".join([*LINES[:at], insert, *LINES[at + remove :]])


def fresh(text: str) -> SourceTree | None:
    """`text` parsed whole: no earlier parse to start from."""
    source_tree.cache_clear()
    tree_module._recent.clear()
    return source_tree(text)


EDITS = {
    "a character typed into a comment": edited(MIDDLE, 1, "    # step 6x\n"),
    "a new line between two functions": edited(BETWEEN, 0, "\n"),
    "a function pasted between two others": edited(BETWEEN, 0, STEP.format(i="pasted")),
    "a line of a function deleted": edited(MIDDLE + 1, 1),
    "a line that joins the function above": edited(BETWEEN, 0, "    extra = 1\n"),
    "a comment between two functions": edited(BETWEEN, 0, "# between\n"),
    "the header comment edited": edited(0, 1, "# a training script, edited\n"),
    "a bracket left open": edited(MIDDLE + 2, 1, "    model.train(\n"),
}


@pytest.mark.parametrize("text", EDITS.values(), ids=EDITS.keys())
def test_an_edited_text_parses_as_a_whole_parse_would(text: str) -> None:
    fresh(SOURCE)
    tree = source_tree(text)
    try:
        whole = cst.parse_module(text)
    except cst.ParserSyntaxError:
        assert tree is None
        return
    assert tree is not None and tree.module.code == text
    assert tree.module.deep_equals(whole)
    assert tree._statement_starts == SourceTree(text)._statement_starts


def test_the_statements_an_edit_left_alone_are_not_parsed_again() -> None:
    before = fresh(SOURCE).module.body
    after = source_tree(EDITS["a character typed into a comment"]).module.body
    assert len(after) == len(before)
    kept = [index for index, statement in enumerate(after) if statement is before[index]]
    # The edited function and one statement on each side are parsed again; the others are the same objects.
    code = cst.Module([]).code_for_node
    changed = next(index for index, statement in enumerate(before) if "# step 6" in code(statement))
    assert kept == [index for index in range(len(before)) if abs(index - changed) > 1]


def test_a_fix_after_an_edit_is_the_fix_of_a_whole_parse() -> None:
    text = EDITS["a function pasted between two others"]
    (finding,) = [f for f in analyze(text, "train.py", Config()) if f.code == "GG201"]
    earlier = fresh(SOURCE)
    after_edit = fixes_for(text, finding, Config())
    assert source_tree(text).module.body[0] is earlier.module.body[0]  # re-parsed in part
    fresh(text)
    assert after_edit and after_edit == fixes_for(text, finding, Config())


def test_the_text_an_edit_starts_from_is_the_most_alike_of_the_recent_ones() -> None:
    """Two documents open side by side: a quick fix in one after one in the other re-parses only the edit."""
    other = "import torch\n\n\n" + "".join(STEP.format(i=f"other_{i}") for i in range(12))
    earlier = fresh(SOURCE)
    source_tree(other)
    tree = source_tree(EDITS["a new line between two functions"])
    assert tree.module.body[-1] is earlier.module.body[-1]
