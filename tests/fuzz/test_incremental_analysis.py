"""An analysis with a `DocumentMemo` (the language server's, edit after edit) must report exactly
what an analysis of the whole text reports: the same findings (with their data), exports, outgoing
calls and places for the hover (grad-disabled regions, API names), or the same error. The programs
are torch_programs.py's with independent functions around them (whose chunks the memo reuses), and
the edits insert, delete, change and duplicate lines, including ones that break the syntax for a while.
"""

from __future__ import annotations

import ast

import pytest
from gradguard.analysis import AnalysisError, analyze_module
from gradguard.dataflow.crossfile import Export, ProjectIndex
from gradguard.incremental import DocumentMemo
from gradguard.reparse import Reparser
from hypothesis import event, given, note
from hypothesis import strategies as st
from properties import PATH, fuzz_settings
from torch_programs import torch_programs

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

INDEPENDENT_FUNCTION = """\
def evaluate_{n}(model, loader):
    model.train()
    for x in loader:
        out = model(x)
    with torch.no_grad:
        pass
    return out
"""
INSERTED_LINES = [
    "",
    "    model.eval()",
    "model.train()",
    "with torch.no_grad():",
    "    out = model(x)",
    "def evaluate(model, loader):",
    "    return model(x)",
    "@torch.no_grad()",
    "x = (",
    '"""',
    "    evaluate_1(model, loader)",
    "evaluate_2(net, data)",
    "class Net(nn.Module):",
    "import torch as T",
    "    global model",
    "    loss.backward()",
    "    pass",
    "    # noqa",
    "from helpers import validate",
    "    validate(model)",
]
EDITS = st.lists(
    st.tuples(
        st.sampled_from(["insert", "delete", "change", "duplicate", "append"]),
        st.floats(0, 1),
        st.sampled_from(INSERTED_LINES),
    ),
    min_size=1,
    max_size=8,
)


def edited(lines: list[str], edit: tuple[str, float, str]) -> list[str]:
    kind, where, text = edit
    lines = list(lines)
    index = min(int(where * len(lines)), len(lines) - 1) if lines else 0
    if kind == "insert" or not lines:
        lines.insert(index, text)
    elif kind == "delete":
        del lines[index]
    elif kind == "change":
        lines[index] = lines[index].replace("eval", "train").replace("no_grad()", "no_grad") or text
    elif kind == "duplicate":
        lines.insert(index, lines[-1 - index])
    else:
        lines[index] += text.strip()[:4]
    return lines


def outcome(source: str, memo: DocumentMemo | None, project: ProjectIndex) -> object:
    try:
        analysis = analyze_module(source, PATH, project=project, module="pkg.mod", memo=memo, hover_places=True)
    except AnalysisError as error:
        return ("error", error.message, error.line, error.col)
    return (
        [(finding, finding.data) for finding in analysis.findings],
        analysis.exports,
        analysis.calls,
        analysis.grad_regions,
        analysis.api_names,
    )


def whole_parse(source: str) -> str | None:
    try:
        return ast.dump(ast.parse(source), include_attributes=True)
    except (SyntaxError, ValueError):
        return None


@fuzz_settings()
@given(program=torch_programs(max_depth=2), functions=st.integers(0, 4), edits=EDITS)
def test_memo_analysis_equals_whole_analysis(program: str, functions: int, edits: list) -> None:
    blocks = [INDEPENDENT_FUNCTION.format(n=n) for n in range(functions)]
    lines = "\n".join([*blocks[:2], program, *blocks[2:]]).split("\n")
    project = ProjectIndex()
    memo, reparser = DocumentMemo(), Reparser()
    for step, edit in enumerate([None, *edits]):
        if edit is not None:
            lines = edited(lines, edit)
        if step == 3:  # another file's summary changes while this one is open
            project.add(
                "helpers",
                {
                    "validate": Export(
                        params=("model",), grad_exit=None, mode_exit=(("model", ("eval",)),), trains_unset=False
                    )
                },
                [],
            )
        source = "\n".join(lines)
        note(f"step {step}:\n{source}")
        expected = outcome(source, None, project)
        assert outcome(source, memo, project) == expected
        try:
            reparsed = ast.dump(reparser.parse(source, ast.parse), include_attributes=True)
        except (SyntaxError, ValueError):
            reparsed = None
        assert reparsed == whole_parse(source)
        failed = isinstance(expected, tuple) and expected[0] == "error"
        if not failed:  # as the language server does after each analysis: the document's own entry set again
            own = analyze_module(source, PATH, project=project, module="pkg.mod")
            project.add("pkg.mod", own.exports, [], own.classes)
        event("error" if failed else "analysed")
        if not failed:
            event(f"grad-disabled regions: {bool(expected[3])}")
