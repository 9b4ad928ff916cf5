"""The suppression grammar (`gradguard.noqa`), and its one edit as `--add-noqa` and the quick fix write it."""

from __future__ import annotations

import pytest
from gradguard.analysis import analyze
from gradguard.config import Config
from gradguard.findings import Finding, Span
from gradguard.fixes import apply_fixes, fixes_for
from gradguard.noqa import add_noqa_comments, directives, noqa_edit

CODE, SLUG = "GG101", "no-grad-not-called"


def reported(text: str, code: str = CODE, slug: str = SLUG, line: int = 0) -> Finding:
    """A finding of `code` that begins where `torch` first stands in `text`."""
    column = text.index("torch")
    return Finding(code, slug, "error", "message", Span(line, column, line, column + len("torch.no_grad")))


def suppressed(text: str) -> bool:
    return directives(text, text.index("torch")).suppresses(CODE, SLUG)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("with torch.no_grad:", False),
        # bare: every code
        ("with torch.no_grad:  # noqa", True),
        ("with torch.no_grad:  #NOQA", True),
        ("with torch.no_grad:  # NoQa # why", True),
        ("with torch.no_grad:  # noqa - the class is passed on", True),
        ("with torch.no_grad:  # noqa why", True),
        # codes: those only, whatever the spacing and the case of `noqa`
        ("with torch.no_grad:  # noqa: GG101", True),
        ("with torch.no_grad:  #noqa:GG101", True),
        ("with torch.no_grad:  # NOQA: GG101", True),
        ("with torch.no_grad:  # noqa : GG101", True),
        ("with torch.no_grad:  # noqa\t:\tGG101", True),
        ("with torch.no_grad:  # noqa: E501, GG101", True),
        ("with torch.no_grad:  # noqa: E501,GG101", True),
        ("with torch.no_grad:  # noqa: E501 GG101", True),
        ("with torch.no_grad:  # noqa: E501GG101", True),
        ("with torch.no_grad:  # noqa: E501,, GG101", True),
        ("with torch.no_grad:  # noqa: GG101 because the class is passed on", True),
        ("with torch.no_grad:  # noqa: GG101# why", True),
        ("with torch.no_grad:  # noqa: GG201", False),
        ("with torch.no_grad:  # noqa : GG999", False),  # a code we do not have suppresses nothing
        ("with torch.no_grad:  # NOQA : E501", False),
        ("with torch.no_grad:  # noqa: E501 because GG101", False),  # the list ended at "because"
        # malformed: nothing
        ("with torch.no_grad:  # noqa:", False),
        ("with torch.no_grad:  # noqa: gg101", False),
        ("with torch.no_grad:  # noqa: no-grad-not-called", False),
        ("with torch.no_grad:  #noqaGG101", False),
        ("with torch.no_grad:  # noqa: GG101.", False),
        ("with torch.no_grad:  # noqa: GG101abc", False),
        ("with torch.no_grad:  # noqa: GG101Gx", False),
        # several comments: the first `noqa` counts, after any other comment
        ("with torch.no_grad:  # noqa: E501  # noqa: GG101", False),
        ("with torch.no_grad:  # see #12 # noqa: GG101", True),
        ("with torch.no_grad:  # see noqa: GG101", False),
        ("with torch.no_grad:  # type: ignore  # noqa: GG101", True),
        ("with torch.no_grad:  # type: ignore[attr-defined]", False),
        ("x = []  # type: list[torch.no_grad]", False),
        # our own directive: codes or slugs, every one in the comment
        ("with torch.no_grad:  # gradguard: ignore[GG101]", True),
        ("with torch.no_grad:  # gradguard: ignore[GG201, no-grad-not-called]", True),
        ("with torch.no_grad:  # gradguard: ignore[GG201]", False),
        ("with torch.no_grad:  # noqa: E501  # gradguard: ignore[GG101]", True),
        # a `#` in a string is not a comment
        ('with torch.no_grad, open("# noqa"):', False),
        ('with torch.no_grad, open("#"):  # noqa: GG101', True),
        ("with torch.no_grad, open('''# noqa'''):", False),
        ('print(f"{torch.no_grad} # noqa")', False),
        ('print(f"{torch.no_grad}")  # noqa: GG101', True),
        ('print({"a": torch.no_grad})  # noqa: GG101', True),
        ('x = torch.no_grad + f("""# noqa', False),  # the line ends inside a string
        # the line begins inside a string opened on an earlier line
        ('# noqa""", torch.no_grad)', False),
        ('# noqa""", torch.no_grad)  # noqa: GG101', True),
    ],
)
def test_grammar(text: str, expected: bool) -> None:
    assert suppressed(text) is expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("with torch.no_grad:", "with torch.no_grad:  # noqa: GG101"),
        ("with torch.no_grad: \t", "with torch.no_grad:  # noqa: GG101"),
        ("with torch.no_grad:  # why", "with torch.no_grad:  # why  # noqa: GG101"),
        ("with torch.no_grad:  # type: ignore", "with torch.no_grad:  # type: ignore  # noqa: GG101"),
        ("with torch.no_grad:  # noqa: E501", "with torch.no_grad:  # noqa: E501, GG101"),
        ("with torch.no_grad:  # NOQA : E501", "with torch.no_grad:  # noqa: E501, GG101"),
        ("with torch.no_grad:  #noqa:E501,W291", "with torch.no_grad:  # noqa: E501, W291, GG101"),
        ("with torch.no_grad:  # noqa : GG999", "with torch.no_grad:  # noqa: GG999, GG101"),
        ("with torch.no_grad:  # noqa: E501 long URL", "with torch.no_grad:  # noqa: E501, GG101 long URL"),
        ("with torch.no_grad:  # noqa: E501  # type: int", "with torch.no_grad:  # noqa: E501, GG101  # type: int"),
        # the first `noqa` counts: a malformed one gets a valid one in front of it
        ("with torch.no_grad:  # noqa:", "with torch.no_grad:  # noqa: GG101  # noqa:"),
        ("with torch.no_grad:  # why # noqa: gg101", "with torch.no_grad:  # why # noqa: GG101  # noqa: gg101"),
        ('with torch.no_grad, open("# noqa: E501"):', 'with torch.no_grad, open("# noqa: E501"):  # noqa: GG101'),
        # suppressed already, or no comment can go there
        ("with torch.no_grad:  # noqa", None),
        ("with torch.no_grad:  # noqa: E501, GG101", None),
        ("with torch.no_grad:  # gradguard: ignore[no-grad-not-called]", None),
        ('x = torch.no_grad, """', None),
        ("x = torch.no_grad + \\", None),
    ],
)
def test_edit_for_one_finding(text: str, expected: str | None) -> None:
    edit = noqa_edit(text, [reported(text)])
    if expected is None:
        assert edit is None
    else:
        assert edit is not None and edit.span.start_line == edit.span.end_line == 0
        assert text[: edit.span.start_col] + edit.new_text + text[edit.span.end_col :] == expected


def test_add_noqa_writes_one_directive_per_line() -> None:
    text = "x = 1\r\nwith torch.no_grad:  # NOQA : E501\r\nwith torch.no_grad:\r\n"
    findings = [
        reported(text, line=1),
        reported(text, "GG205", "other", line=1),
        reported(text, line=1),
        reported(text, line=2),
    ]
    assert add_noqa_comments(text, findings) == (
        "x = 1\r\nwith torch.no_grad:  # noqa: E501, GG101, GG205\r\nwith torch.no_grad:  # noqa: GG101\r\n",
        2,
    )


@pytest.mark.parametrize(
    "comment",
    [
        "",
        "  # why",
        "  # NOQA : E501",
        "  # noqa : GG999",
        "  # noqa: E501 long URL",
        "  # type: ignore",
        "  # noqa:",
        "  # noqa: E501  # noqa: GG101",
    ],
)
def test_add_noqa_and_the_quick_fix_write_the_same_line(comment: str) -> None:
    source = f"import torch\nwith torch.no_grad:{comment}\n    pass\n"
    [finding] = analyze(source, "loop.py")
    [ignore] = [fix for fix in fixes_for(source, finding, Config()) if fix.title == "Ignore GG101 on this line"]
    added, changed = add_noqa_comments(source, [finding])
    assert changed == 1 and apply_fixes(source, [ignore]) == added
    assert analyze(added, "loop.py") == []
