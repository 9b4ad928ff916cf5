"""Fixes compose: non-overlapping edits apply together, overlapping ones wait, fix-all reaches a fixed point."""

from __future__ import annotations

import ast

import gradguard.fixes as engine
import pytest
from fake_rules import fake_analyze
from gradguard import Config, Edit, Fix, Span
from gradguard.checking import Options, Task, check_file
from gradguard.fixes import apply_fixes, fix_all, fixes_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def insert(line: int, col: int, text: str) -> Fix:
    return Fix("insert", "safe", (Edit(Span(line, col, line, col), text),))


def test_non_overlapping_edits_apply_together() -> None:
    assert apply_fixes("ab\ncd\n", [insert(0, 1, "X"), insert(1, 2, "Y")]) == "aXb\ncdY\n"


def test_overlapping_fix_waits_for_the_next_round() -> None:
    replace = Fix("replace", "safe", (Edit(Span(0, 0, 0, 2), "zz"),))
    assert apply_fixes("ab\n", [replace, insert(0, 1, "X")]) == "zz\n"
    assert apply_fixes("ab\n", [insert(0, 1, "X"), insert(0, 1, "Y")]) == "aXb\n"


def test_identical_edits_are_shared() -> None:
    both = Fix("two", "safe", (Edit(Span(0, 0, 0, 0), "import torch\n"), Edit(Span(1, 0, 1, 1), "y")))
    other = Fix("one", "safe", (Edit(Span(0, 0, 0, 0), "import torch\n"), Edit(Span(2, 0, 2, 1), "z")))
    assert apply_fixes("a\nb\nc\n", [both, other]) == "import torch\na\ny\nz\n"


def test_a_fix_is_applied_whole_or_not_at_all() -> None:
    first = Fix("first", "safe", (Edit(Span(0, 0, 0, 1), "A"),))
    second = Fix("second", "safe", (Edit(Span(0, 0, 0, 1), "B"), Edit(Span(1, 0, 1, 1), "C")))
    assert apply_fixes("a\nb\n", [first, second]) == "A\nb\n"


@pytest.fixture
def fake_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "analyze", fake_analyze)


SCRIPT = """\
import torch as T


def evaluate(model, val_loader):
    model.eval
    total = 0
    for x in val_loader:
        total += model(x).sum()
    with T.no_grad:
        y = model(total)
    return total


def predict(model, x):
    T.no_grad()
    out = model(x)
    return out
"""


def test_fix_all_safe_only(fake_rules: None) -> None:
    fixed = fix_all(SCRIPT, "s.py", Config(), unsafe=False)
    assert "    model.eval()\n" in fixed and "    with T.no_grad():\n" in fixed
    assert "T.no_grad()\n    out" not in fixed  # the safe GG102 fix removes the discarded call
    assert [f.code for f in fake_analyze(fixed)] == ["GG201", "GG201"]  # wrapping is unsafe: not applied


def test_fix_all_unsafe_leaves_nothing(fake_rules: None) -> None:
    fixed = fix_all(SCRIPT, "s.py", Config(), unsafe=True)
    assert fake_analyze(fixed) == []
    assert "    with T.no_grad():\n        for x in val_loader:\n" in fixed
    assert "    with T.no_grad():\n        out = model(x)\n        return out\n" in fixed
    assert fix_all(fixed, "s.py", Config(), unsafe=True) == fixed


# Generated programs: functions built from statements the fake rules report on.
STATEMENTS = st.sampled_from(
    [
        "model.eval",
        "model.train",
        "torch.no_grad()",
        "y = model(x)",
        "print(y)",
        "z = model(y) + 1",
        "x = x + 1",
        "# a comment",
        "",
        "for x in val_loader:\n    y = model(x)",
        "with torch.no_grad:\n    y = model(x)",
        "if x:\n    model.eval\n    q = model(x); print(q)",
        "return y",
        "r = model(\n    x,\n)",
    ]
)


@st.composite
def programs(draw: st.DrawFn) -> str:
    functions = []
    for index in range(draw(st.integers(1, 3))):
        body = draw(
            st.lists(STATEMENTS, min_size=1, max_size=6).filter(lambda b: b.count("torch.no_grad()") <= 2)
        )  # each nests one more `with`: one more fix-all round
        if "return y" in body:  # nothing after a return
            body = body[: body.index("return y") + 1]
        lines = [f"def f{index}(model, x, y, val_loader):"]
        lines += ["    " + line if line else "" for stmt in body for line in stmt.split("\n")]
        lines.append("    pass")
        functions.append("\n".join(lines))
    header = draw(
        st.sampled_from(["import torch\n\n\n", "import torch as torch\n\n\n", '"""doc"""\nimport torch\n\n\n'])
    )
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return (header + "\n\n\n".join(functions) + "\n").replace("\n", newline)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(programs())
def test_every_fix_parses_and_fix_all_is_stable(fake_rules: None, source: str) -> None:
    for finding in fake_analyze(source):
        for fix in fixes_for(source, finding, Config()):
            ast.parse(apply_fixes(source, [fix]))
    fixed = fix_all(source, "gen.py", Config(), unsafe=True)
    ast.parse(fixed)
    assert fake_analyze(fixed) == []
    assert fix_all(fixed, "gen.py", Config(), unsafe=True) == fixed
    if "\r\n" in source:  # CRLF files stay CRLF throughout
        assert "\n" not in fixed.replace("\r\n", "")


def test_touching_edits_wait_for_the_next_round() -> None:
    """A replacement that ends where another edit begins: each is right alone, together the order is a guess."""
    replace = Fix("replace", "safe", (Edit(Span(0, 0, 0, 1), "x"),))
    assert apply_fixes("ab\n", [replace, insert(0, 1, "Y")]) == "xb\n"
    assert apply_fixes("ab\n", [insert(0, 1, "Y"), replace]) == "aYb\n"


def test_fixes_with_one_isolation_key_wait_for_the_next_round() -> None:
    first = Fix("first", "safe", (Edit(Span(0, 0, 0, 1), "A"),), isolation=("block", 0))
    far = Fix("far", "safe", (Edit(Span(2, 0, 2, 1), "C"),), isolation=("block", 0))
    other = Fix("other", "safe", (Edit(Span(1, 0, 1, 1), "B"),), isolation=("block", 1))
    assert apply_fixes("a\nb\nc\n", [first, far, other]) == "A\nB\nc\n"


# Each fix alone leaves a statement in the loop body; both deletions in one round would leave none
# (at 4ce42db: "internal error" and no findings printed). The comments stay, whatever the order.
LAST_TWO_STATEMENTS = """\
import torch


def evaluate(model, loader):
    for batch in loader:
        # keep: above
        torch.no_grad()
        # why this runs here
        torch.no_grad()  # keep: after
    else:
        model.eval()
"""


def test_deleting_the_last_statements_of_a_block_keeps_it_valid_and_its_comments() -> None:
    fixed = fix_all(LAST_TWO_STATEMENTS, "f.py", Config())
    assert fixed == LAST_TWO_STATEMENTS.replace("        torch.no_grad()\n", "").replace(
        "        torch.no_grad()  # keep: after\n", "        # keep: after\n        pass\n"
    )
    assert fix_all(fixed, "f.py", Config()) == fixed


def test_fix_all_goes_on_until_nothing_changes() -> None:
    """Each `with` the unsafe GG102 fix writes holds the next bare call: one more round each (4ce42db stopped at 4)."""
    calls = 6
    source = "import torch\n\n\ndef step(model, x):\n" + "    torch.no_grad()\n    x = model(x)\n" * calls
    fixed = fix_all(source, "f.py", Config(), unsafe=True)
    assert fixed.count("with torch.no_grad():") == calls
    assert [f.code for f in engine.analyze(fixed, "f.py", Config())] == []
    assert engine.fix_rounds(fixed, "f.py", Config(), unsafe=True) == engine.FixedSource(fixed)


@pytest.fixture
def endless_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    """One finding that never goes away, whose fix adds a line each time."""
    monkeypatch.setattr(engine, "analyze", lambda source, path, config: fake_analyze("with torch.no_grad:\n    pass\n"))
    monkeypatch.setitem(engine.BUILDERS, "GG101", (lambda ctx: [insert(0, 0, "x = 1\n")],))


def test_fix_all_stops_at_its_bound_and_says_so(endless_fix: None) -> None:
    outcome = engine.fix_rounds("import torch\n", "f.py", Config())
    rounds = engine.ROUNDS_PER_FINDING * 2  # one finding
    assert outcome.text == "x = 1\n" * rounds + "import torch\n"
    assert outcome.stopped == f"fixes stopped after {rounds} rounds, still changing the code; run the fix again"


def test_check_notes_when_fixes_stopped(endless_fix: None, tmp_path) -> None:
    path = tmp_path / "f.py"
    path.write_text("import torch\nwith torch.no_grad:\n    pass\n")
    result = check_file(Task(str(path), "f.py", Config(), Options(apply_fixes=True)))
    assert result.notes == ("fixes stopped after 4 rounds, still changing the code; run the fix again",)
    assert result.new_text is not None and result.new_text.startswith("x = 1\n" * 4)


def test_a_round_that_would_not_parse_stops_the_fixes_and_keeps_the_findings(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """A fix bug must cost the fixes, not the findings (at 4ce42db: "internal error" and none printed)."""
    monkeypatch.setitem(engine.BUILDERS, "GG101", (lambda ctx: [insert(0, 0, "(\n")],))
    path = tmp_path / "f.py"
    path.write_text("import torch\nwith torch.no_grad:\n    pass\n")
    result = check_file(Task(str(path), "f.py", Config(), Options(apply_fixes=True)))
    assert result.problem is None and result.new_text is None
    assert [finding.code for finding in result.findings] == ["GG101"]
    [note] = result.notes
    assert note.startswith("fixes stopped: the next ones would leave code that does not analyse (syntax error")
