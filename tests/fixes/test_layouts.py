"""Fixes keep the file's own layout: CRLF line endings, tabs, non-ASCII text, notebook cells,
form feeds, one-line suites."""

from __future__ import annotations

import pytest
from gradguard import Config
from gradguard.fixdata import ForwardPasses, ModelAt
from gradguard.fixes import apply_fixes, fix_all, fixes_for
from gradguard.notebook import join_cells
from support import apply, finding, line_of, titles

EVALUATE = (
    "import torch\n"
    "\n"
    "\n"
    "def evaluate(model, val_loader):\n"
    "    model.eval()\n"
    "    # whole validation set\n"
    "    for x, y in val_loader:\n"
    "        out = model(x)\n"
    "        print(out.sum())\n"
    "    return 1\n"
)
EVALUATE_WRAPPED = (
    "import torch\n"
    "\n"
    "\n"
    "def evaluate(model, val_loader):\n"
    "    model.eval()\n"
    "    # whole validation set\n"
    "    with torch.no_grad():\n"
    "        for x, y in val_loader:\n"
    "            out = model(x)\n"
    "            print(out.sum())\n"
    "    return 1\n"
)


def test_crlf_file_keeps_crlf() -> None:
    before = EVALUATE.replace("\n", "\r\n")
    fixed = apply(before, finding("GG201", before, "model(x)", data=ForwardPasses()), "Wrap")
    assert fixed == EVALUATE_WRAPPED.replace("\n", "\r\n")


def test_crlf_insert_and_noqa() -> None:
    before = EVALUATE.replace("\n", "\r\n")
    found = finding("GG202", before, "model(x)", data=ModelAt("model", line_of(before, "for x")))
    inserted = before.replace("set\r\n    for", "set\r\n    model.eval()\r\n    for")
    assert apply(before, found, "Insert") == inserted
    assert apply(before, found, "Ignore") == before.replace("model(x)\r\n", "model(x)  # noqa: GG202\r\n")


def test_tab_indented_file_keeps_tabs() -> None:
    before = EVALUATE.replace("    ", "\t")
    fixed = apply(before, finding("GG201", before, "model(x)", data=ForwardPasses()), "Wrap")
    assert fixed == EVALUATE_WRAPPED.replace("    ", "\t")


def test_tab_indented_insert() -> None:
    before = "def f(model, loader):\n\tfor x in loader:\n\t\tmodel(x)\n"
    found = finding("GG202", before, "model(x)", data=ModelAt("model", 1))
    assert apply(before, found, "Insert") == "def f(model, loader):\n\tmodel.eval()\n\tfor x in loader:\n\t\tmodel(x)\n"


def test_non_ascii_columns_count_code_points() -> None:
    before = 'import torch\n\ndef predict(model, x):\n    y = model(x); print("température ✓")  # é\n    return y\n'
    found = finding("GG201", before, "model(x)", data=ForwardPasses())
    assert apply(before, found, "Ignore").splitlines()[3].endswith("# é  # noqa: GG201")
    assert "    with torch.no_grad():\n        y = model(x)" in apply(before, found, "Wrap")


def test_notebook_wrap_stays_in_its_cell() -> None:
    cells = [
        "import torch\nmodel = torch.nn.Linear(2, 2)\n",
        "%matplotlib inline\ntorch.no_grad()\nout = model(torch.ones(2))\n",
        "loss = model(torch.ones(2)).sum()\nloss.backward()\n",
    ]
    joined = join_cells(cells)
    found = finding("GG102", joined.source, "torch.no_grad()")
    fixes = fixes_for(joined.source, found, Config(), joined.starts)
    fixed = apply_fixes(joined.source, [fixes[0]])
    assert fixed.splitlines()[3:] == [
        "with torch.no_grad():",
        "    out = model(torch.ones(2))",
        "loss = model(torch.ones(2)).sum()",
        "loss.backward()",
    ]
    for edit in fixes[0].edits:  # every edit maps back into one cell
        assert joined.locate(edit.span.start_line)[0] == joined.locate(max(edit.span.end_line - 1, 0))[0] == 1


def test_form_feed_is_not_a_line_break() -> None:
    before = "import torch\n\x0c\ndef f(model):\n    model.eval\n"
    assert apply(before, finding("GG103", before, "model.eval")) == before.replace("model.eval", "model.eval()")


@pytest.mark.parametrize("indent", ["\x0c ", "\x0c    "], ids=["one_space", "four_spaces"])
def test_form_feed_before_the_first_indentation_stays_out_of_new_blocks(indent: str) -> None:
    """libcst indents new blocks like the file's first indented line; Python resets the column at a form feed."""
    before = f"class A:\n{indent}pass\nimport torch\ndef evaluate(model, x):\n    model.eval()\n    return model(x)\n"
    found = finding("GG201", before, "model(x)", data=ForwardPasses())
    block_indent = indent.lstrip("\x0c")
    wrapped = before.replace("    return model(x)", f"    with torch.no_grad():\n    {block_indent}return model(x)")
    assert apply(before, found, "Wrap in `with torch.no_grad():`") == wrapped
    assert apply(before, found, "Wrap in `with torch.inference_mode():`") == wrapped.replace(
        "no_grad", "inference_mode"
    )
    assert fix_all(wrapped, "f.py", Config(), unsafe=True) == wrapped


def test_no_block_fix_moves_a_line_whose_indentation_holds_a_form_feed() -> None:
    """One block deeper, `\\x0c pass` would keep the column of its `if` (the tokenizer restarts it at the form
    feed): the `with` around the following statements is not offered; the other fixes are (found by the
    generated-program property)."""
    before = "import torch\ntorch.no_grad()\nout = model(x)\nif ...:\n\x0c pass\n"
    found = finding("GG102", before, "torch.no_grad()")
    assert titles(before, found) == ["Remove `torch.no_grad()` (it has no effect)", "Ignore GG102 on this line"]


def test_one_line_def_is_decorated_not_wrapped() -> None:
    """A `with` around the one-line `def` would only cover defining the function, never its forward pass."""
    before = "import torch\ndef evaluate(model, x): model.eval(); return model(x)\n"
    found = finding("GG201", before, "model(x)", data=ForwardPasses())
    assert titles(before, found) == ["Decorate `evaluate` with `@torch.no_grad()`", "Ignore GG201 on this line"]
    fixed = fix_all(before, "f.py", Config(), unsafe=True)
    assert fixed == before.replace("def", "@torch.no_grad()\ndef")
    assert fix_all(fixed, "f.py", Config(), unsafe=True) == fixed


@pytest.mark.parametrize(
    "before",
    [
        "import torch\ntorch.set_grad_enabled(flag)\nfor batch in val_loader:\n"
        "    model.train()\n    out = model(batch)\n",
        "import torch\ndef evaluate(model):\n    torch.set_grad_enabled(flag)\n"
        "    for batch in val_loader: model.train(); out = model(batch)\n",
    ],
    ids=["module_level_loop", "one_line_loop_in_function"],
)
def test_no_eval_insert_before_a_loop_that_sets_training_mode(before: str) -> None:
    """An `eval()` before the loop would be undone by the `train()` in it: no insert fix, and fix-all leaves the
    code."""
    found = finding("GG202", before, "model(batch)", data=ModelAt("model", line_of(before, "for batch")))
    assert titles(before, found) == ["Ignore GG202 on this line"]
    assert fix_all(before, "f.py", Config(), unsafe=True) == before


@pytest.mark.parametrize("tail", ["\n    ", "\n\t", "\n "], ids=["spaces", "tab", "one_space"])
def test_a_last_line_of_whitespace_without_a_line_break_stays(tail: str) -> None:
    before = "import torch\ntorch.no_grad()\nx = 1" + tail
    assert fix_all(before, "f.py", Config()) == "import torch\nx = 1" + tail
    assert fix_all(before, "f.py", Config(), unsafe=True) == "import torch\nwith torch.no_grad():\n    x = 1" + tail


def test_no_fix_where_libcst_would_lose_a_blank_line() -> None:
    """libcst reads `x\\n\\n  ` as `x\\n  ` (a blank line before a last line of spaces without a line break is
    lost): a fix computed from its code would delete that line too."""
    before = "import torch\ntorch.no_grad()\nx = 1\n\n  "
    assert fix_all(before, "f.py", Config(), unsafe=True) == before
