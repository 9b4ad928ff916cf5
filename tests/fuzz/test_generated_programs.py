"""Properties (a)-(c) of properties.py on generated programs: hypothesmith's Python programs (any
syntax, mostly unrelated to PyTorch) and torch_programs.py's PyTorch-shaped ones.

A hypothesmith program rarely mentions a grad-mode API, so the text gate would skip it; each one is
also analysed with a snippet that has a finding put before or after it. Before it, a fix such as
GG102's "wrap the following statements" re-indents the whole generated program.
"""

from __future__ import annotations

import ast

import hypothesmith
import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st
from properties import (
    analyze_or_none,
    check_each_fix_parses,
    check_fix_all_parses_and_is_idempotent,
    fuzz_settings,
)
from torch_programs import torch_programs

# Generated programs hold things like `1()` or "\d", which compiling them warns about, hundreds of times.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

SNIPPETS_WITH_A_FINDING = [
    "import torch\nwith torch.no_grad:\n    pass\n",  # GG101
    "import torch\ntorch.no_grad()\nout = model(x)\n",  # GG102
    "import torch\ntorch.set_grad_enabled(False)\n",  # GG105
    "import torch\ndef evaluate(model, x):\n    model.eval()\n    return model(x)\n",  # GG201
    "import torch\nmodel.eval\n",  # GG103
]


def parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def check_generated_program(program: str, snippet: str, snippet_first: bool) -> None:
    note(f"program:\n{program}")
    analyze_or_none(program)
    if not parses(program):
        event("program does not parse")
        return
    source = snippet + program if snippet_first else program.rstrip("\n") + "\n" + snippet
    note(f"with the snippet:\n{source}")
    findings = analyze_or_none(source)
    if findings is None:
        event("with the snippet: AnalysisError")  # e.g. a `from __future__` import no longer first
        return
    event(f"with the snippet: {len(findings)} findings, {check_each_fix_parses(source, findings)} fixes applied alone")
    check_fix_all_parses_and_is_idempotent(source)


@fuzz_settings()
@given(
    program=hypothesmith.from_grammar(), snippet=st.sampled_from(SNIPPETS_WITH_A_FINDING), snippet_first=st.booleans()
)
def test_grammar_programs_analyze_and_fix_cleanly(program: str, snippet: str, snippet_first: bool) -> None:
    check_generated_program(program, snippet, snippet_first)


@fuzz_settings()
@given(program=hypothesmith.from_node(), snippet=st.sampled_from(SNIPPETS_WITH_A_FINDING), snippet_first=st.booleans())
def test_syntax_tree_programs_analyze_and_fix_cleanly(program: str, snippet: str, snippet_first: bool) -> None:
    check_generated_program(program, snippet, snippet_first)


@fuzz_settings()
@given(source=torch_programs())
def test_analyze_raises_nothing_on_torch_programs(source: str) -> None:
    note(source)
    findings = analyze_or_none(source)
    # The generator only writes valid programs, so even AnalysisError would be a bug here.
    assert findings is not None, "AnalysisError on a program that parses"
    for code in sorted({finding.code for finding in findings}) or ["no finding"]:
        event(code)


@fuzz_settings()
@given(source=torch_programs())
def test_each_fix_alone_parses_on_torch_programs(source: str) -> None:
    note(source)
    findings = analyze_or_none(source)
    assert findings is not None, "AnalysisError on a program that parses"
    event("some fix applied" if check_each_fix_parses(source, findings) else "no fix")


@fuzz_settings()
@given(source=torch_programs())
def test_fix_all_parses_and_is_idempotent_on_torch_programs(source: str) -> None:
    note(source)
    check_fix_all_parses_and_is_idempotent(source)
