"""What an analysis with a `DocumentMemo` redoes after an edit: only the touched statements are
parsed, only the chunks that are not isolated and unchanged are analysed, and walks of functions
whose inputs did not change are reused. (That the results equal a whole analysis is checked on
generated programs and edits in tests/fuzz/test_incremental_analysis.py.)"""

from __future__ import annotations

import ast

import gradguard.analysis
import gradguard.dataflow.solver
import pytest
from gradguard.analysis import analyze_module
from gradguard.incremental import DocumentMemo
from gradguard.reparse import Reparser

PRELUDE = "import torch\n\n\n"
EVALUATE = """\
def evaluate_{n}(model, loader):
    model.eval()
    total = 0.0
    for x, y in loader:
        total += float(model(x).sum())
    return total


"""
TRAIN_CALLING_EVALUATE = """\
def validate(model, loader):
    model.eval()
    with torch.no_grad():
        return [model(x) for x in loader]


def fit(model, loader, optimizer):
    for x in loader:
        model(x).sum().backward()
        optimizer.step()
        validate(model, loader)
        total = 0


"""


def independent_functions(count: int) -> str:
    return PRELUDE + "".join(EVALUATE.format(n=n) for n in range(count))


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    """The texts `ast.parse` is given."""
    texts: list[str] = []
    parse = ast.parse
    monkeypatch.setattr(ast, "parse", lambda text, *args, **kwargs: texts.append(text) or parse(text, *args, **kwargs))
    return texts


@pytest.fixture
def analysed(monkeypatch) -> list[int]:
    """How many top-level statements each analysis of a module gets."""
    sizes: list[int] = []
    build_facts = gradguard.analysis.build_facts
    monkeypatch.setattr(
        gradguard.analysis, "build_facts", lambda tree, *args: sizes.append(len(tree.body)) or build_facts(tree, *args)
    )
    return sizes


def test_reparse_parses_only_the_statement_an_edit_touched(parsed):
    reparser = Reparser()
    source = independent_functions(30)
    reparser.parse(source, ast.parse)
    edited = source.replace(
        "def evaluate_7(model, loader):\n    model.eval()", "def evaluate_7(model, loader):\n    model.train()"
    )
    tree = reparser.parse(edited, ast.parse)
    assert parsed[1].lstrip("\n").startswith("def evaluate_7(") and parsed[1].count("def ") == 1
    assert ast.dump(tree, include_attributes=True) == ast.dump(ast.parse(edited), include_attributes=True)


def test_reparse_parses_only_the_method_an_edit_touched_in_a_class(parsed):
    reparser = Reparser()
    methods = "".join(
        "    " + line if line.strip() else line for line in independent_functions(12).splitlines(True)[3:]
    )
    source = PRELUDE + "class Evaluator:\n" + methods.replace("(model, loader)", "(self, model, loader)")
    reparser.parse(source, ast.parse)
    edited = source.replace(
        "    def evaluate_7(self, model, loader):\n        model.eval()",
        "    def evaluate_7(self, model, loader):\n        model.train()\n",
    )
    tree = reparser.parse(edited, ast.parse)
    assert parsed[1].lstrip("\n").startswith("class _:\n    def evaluate_7(") and parsed[1].count("def ") == 1
    assert ast.dump(tree, include_attributes=True) == ast.dump(ast.parse(edited), include_attributes=True)


def test_reparse_moves_the_statements_after_an_edit_that_adds_lines():
    reparser = Reparser()
    source = independent_functions(5)
    reparser.parse(source, ast.parse)
    edited = source.replace("    total = 0.0\n", "    total = 0.0\n    count = 0\n\n", 1)
    assert ast.dump(reparser.parse(edited, ast.parse), include_attributes=True) == ast.dump(
        ast.parse(edited), include_attributes=True
    )


def test_an_edit_in_one_independent_function_analyses_only_its_chunk(analysed):
    memo = DocumentMemo()
    source = independent_functions(40)
    first = analyze_module(source, "train.py", memo=memo).findings
    edited = source.replace(
        "def evaluate_12(model, loader):\n    model.eval()", "def evaluate_12(model, loader):\n    model.train()"
    )
    second = analyze_module(edited, "train.py", memo=memo).findings
    assert analysed == [41, 2]  # the import and the edited function
    assert len(first) == 40
    assert [(f, f.data) for f in second] == [(f, f.data) for f in analyze_module(edited, "train.py").findings]
    assert any(
        f.code == "GG202" and f.span.start_line == edited.split("\n").index("def evaluate_12(model, loader):") + 4
        for f in second
    )


def test_walks_of_functions_whose_inputs_did_not_change_are_reused(monkeypatch):
    walked: list[str] = []
    walker = gradguard.dataflow.solver.Walker

    def counting_walker(module, fn, record, probing=False):
        if not probing:
            walked.append(fn.name)
        return walker(module, fn, record, probing)

    monkeypatch.setattr(gradguard.dataflow.solver, "Walker", counting_walker)
    memo = DocumentMemo()
    source = PRELUDE + TRAIN_CALLING_EVALUATE
    analyze_module(source, "train.py", memo=memo)
    walked.clear()
    edited = source.replace("        total = 0\n", "        total = 1\n")
    findings = analyze_module(edited, "train.py", memo=memo).findings
    # `validate` is called by `fit`, so both chunks are analysed, but only the edited function (once per
    # round) and the module body are walked again
    assert set(walked) == {"fit", "<module>"}
    assert findings == analyze_module(edited, "train.py").findings


def test_a_syntax_error_mid_edit_is_reported_and_the_next_good_text_analysed():
    memo = DocumentMemo()
    source = independent_functions(3)
    analyze_module(source, "train.py", memo=memo)
    broken = source.replace("    total = 0.0\n", "    total = (0.0\n", 1)
    try:
        analyze_module(broken, "train.py", memo=memo)
        raise AssertionError("no error")
    except gradguard.analysis.AnalysisError as error:
        assert error.line == 5 and "syntax error" in error.message
    fixed = broken.replace("    total = (0.0\n", "    total = 0.0\n    count = 0\n", 1)
    assert analyze_module(fixed, "train.py", memo=memo).findings == analyze_module(fixed, "train.py").findings


def test_isolated_chunks_moved_by_an_edit_keep_their_results_rendered_at_their_new_lines(analysed):
    memo = DocumentMemo()
    source = independent_functions(20).replace(
        "    model.eval()\n", "    model.train()\n    with torch.no_grad():\n        pass\n"
    )
    analyze_module(source, "train.py", memo=memo)
    edited = source.replace("    total = 0.0\n", "    total = 0.0\n    count = 0\n\n", 1)  # in evaluate_0
    findings = analyze_module(edited, "train.py", memo=memo).findings
    assert analysed == [21, 2]  # the import and evaluate_0: the 19 functions after it only moved
    whole = analyze_module(edited, "train.py").findings
    assert [(f, f.data) for f in findings] == [(f, f.data) for f in whole]
    last = findings[-1]
    train_line = edited.split("\n").index("def evaluate_19(model, loader):") + 1
    assert last.code == "GG202" and f"(line {train_line + 1})" in last.message
    assert last.data.anchor_line == train_line + 4  # before the loop `for x, y in loader:`


def test_a_function_pasted_and_its_undo_analyse_only_the_chunks_they_touch(analysed):
    """The number of chunks is no part of what isolated chunks' results depend on (issue 15: a paste, its
    undo and the next edit were whole analyses in the editor)."""
    memo = DocumentMemo()
    source = independent_functions(30)
    pasted = source.replace("def evaluate_12(", EVALUATE.format(n="pasted") + "def evaluate_12(")
    for text in (source, pasted, source):
        findings = analyze_module(text, "train.py", memo=memo).findings
        assert [(f, f.data) for f in findings] == [(f, f.data) for f in analyze_module(text, "train.py").findings]
    # the analyses with the memo, each followed by a whole one: the import, the pasted function and the one
    # before it (its last lines changed); then the import and that function again
    assert analysed[::2] == [31, 3, 2]


def analyse_in_workspace(source: str, memo: DocumentMemo, index) -> list:
    """What the language server's analysis worker does: analyse with the index, then set the module's entry."""
    from gradguard.lsp.summaries import ModuleSummary

    analysis = analyze_module(source, "/project/train.py", project=index.project, module="train", memo=memo)
    index.update("train", ModuleSummary(analysis.exports, tuple(analysis.calls), analysis.classes))
    return analysis.findings


def test_the_documents_own_entry_in_the_workspace_index_leaves_its_memo_alone(analysed):
    """Each analysis sets the document's own entry again; a function added or removed changes it, and so did
    the first analysis after opening. Its own analysis does not read that entry back, so the next edit still
    analyses only what it touched."""
    from gradguard.lsp.summaries import WorkspaceIndex

    index, memo = WorkspaceIndex(), DocumentMemo()
    source = independent_functions(30)
    pasted = source.replace("def evaluate_12(", EVALUATE.format(n="pasted") + "def evaluate_12(")
    typed = source.replace("    total = 0.0\n", "    total = 0.0  # x\n", 1)
    for text in (source, pasted, source, typed):
        findings = analyse_in_workspace(text, memo, index)
        whole = analyze_module(text, "/project/train.py", project=index.project, module="train").findings
        assert [(f, f.data) for f in findings] == [(f, f.data) for f in whole]
    assert analysed[::2] == [31, 3, 2, 2]  # as above; then the import and the function typed into


def test_an_entry_that_leads_back_to_the_document_makes_its_own_changes_count(analysed):
    """A package that re-exports one of the document's functions: the document's analysis may follow a name
    through it into its own entry, so a change of that entry analyses the whole document again."""
    from gradguard.dataflow.crossfile import ModuleClasses
    from gradguard.lsp.summaries import ModuleSummary, WorkspaceIndex

    index, memo = WorkspaceIndex(), DocumentMemo()
    index.update("pkg", ModuleSummary(classes=ModuleClasses(imports=(("evaluate_3", "train.evaluate_3"),))))
    source = independent_functions(30)
    pasted = source.replace("def evaluate_12(", EVALUATE.format(n="pasted") + "def evaluate_12(")
    for text in (source, pasted, source):
        analyse_in_workspace(text, memo, index)
    assert analysed == [31, 32, 31]


def test_a_document_that_calls_itself_through_an_import_of_itself_counts_its_own_changes(analysed):
    """`import train` in train.py: its calls of `train.evaluate_3` reach its own entry."""
    from gradguard.lsp.summaries import WorkspaceIndex

    index, memo = WorkspaceIndex(), DocumentMemo()
    source = independent_functions(30).replace(PRELUDE, PRELUDE + "import train\n\n\n") + (
        "def fit(model, loader):\n    model.train()\n    train.evaluate_3(model, loader)\n"
    )
    pasted = source.replace("def evaluate_12(", EVALUATE.format(n="pasted") + "def evaluate_12(")
    for text in (source, source, pasted, source):
        analyse_in_workspace(text, memo, index)
    # the second analysis sees the call's target in the index (the first added the module), so its result
    # differs from the first's; each later change of the module's own entry analyses it all again
    assert analysed == [33, 33, 34, 33]
