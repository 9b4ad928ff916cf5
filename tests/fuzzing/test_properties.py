"""Properties of the core on generated programs: analysis raises nothing but AnalysisError, every
fix applied alone leaves code that parses, and fix_all parses and is idempotent.

Programs come from hypothesmith's Python grammar and from PyTorch-shaped fragments (grad-mode
`with` blocks, decorators, mode switches, loops, generators, threads, an nn.Module); the files in
seeds/ run through the same checks as plain tests.
"""
from __future__ import annotations

import ast
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import Phase, event, given, note, settings, strategies as st

import gradguard
from gradguard.fixes import apply_fixes, fix_all, fixes_for

FUZZ = settings.get_profile("gradguard-fuzz")
SEEDS = sorted((Path(__file__).parent / "seeds").glob("*.py"))
INDENT = "    "


# ---- checks shared by the properties and the seeds -------------------------------------------

def findings_or_none(source: str) -> list[gradguard.Finding] | None:
    """Findings, or None when the core reports the source as unparseable (the one allowed error)."""
    try:
        findings = gradguard.analyze(source, "f.py", gradguard.Config())
    except gradguard.AnalysisError:
        return None
    assert isinstance(findings, list)
    assert all(isinstance(finding, gradguard.Finding) for finding in findings)
    return findings


def assert_each_fix_alone_parses(source: str, findings: list[gradguard.Finding]) -> int:
    applied = 0
    for finding in findings:
        for fix in fixes_for(source, finding, gradguard.Config()):
            fixed = apply_fixes(source, [fix])
            try:
                ast.parse(fixed)
            except SyntaxError as error:
                pytest.fail(f"fix {fix.title!r} for {finding.code} leaves code that does not parse: {error}\n{fixed}")
            applied += 1
    return applied


def assert_fix_all_parses_and_is_idempotent(source: str) -> None:
    fixed = fix_all(source, "f.py", gradguard.Config(), unsafe=True)
    ast.parse(fixed)
    assert fix_all(fixed, "f.py", gradguard.Config(), unsafe=True) == fixed


# ---- PyTorch-shaped programs --------------------------------------------------------------------

IMPORTS = st.lists(
    st.sampled_from(["import torch", "import torch as T", "from torch import no_grad"]),
    min_size=1, max_size=3, unique=True,
)
SUPPORT_IMPORTS = ["import threading", "import torch.nn as nn", "import torch.nn.functional as F"]

GRAD_WITH_HEADERS = [
    "with torch.no_grad():", "with torch.no_grad:", "with T.no_grad():", "with no_grad():", "with no_grad:",
    "with torch.inference_mode():", "with torch.inference_mode:",
    "with torch.set_grad_enabled(flag):", "with torch.set_grad_enabled(False):", "with torch.set_grad_enabled(True):",
    "with torch.enable_grad():", "with torch.enable_grad:",
    "with torch.no_grad(), torch.enable_grad():",
]
DECORATORS = ["@torch.no_grad()", "@torch.no_grad", "@torch.inference_mode()", "@T.no_grad()", "@no_grad()"]
SIMPLE_STATEMENTS = [
    "model.eval()", "model.train()", "model.eval", "model.train(False)",
    "y = model(x)", "loss = y.sum()", "loss = model(x).sum()", "loss.backward()", "optimizer.step()",
    "optimizer.zero_grad()", "torch.set_grad_enabled(False)", "torch.set_grad_enabled(True)", "torch.no_grad()",
    "y = F.dropout(x, 0.1)", "y = F.dropout(x, 0.1, training=True)", "t = threading.Thread(target=f)", "t.start()",
    "model = Net()", "x = torch.randn(2, 3)", "flag = not flag", "pass",
    "preds = [model(b) for b in batches]", "fn = lambda b: model(b)",
]
LOOP_ONLY = ["break", "continue"]
FUNCTION_ONLY = ["return y", "return", "yield y", "yield"]


@st.composite
def statements(draw, depth: int, in_loop: bool, in_function: str) -> list[str]:
    """One or more statements, as lines with relative indentation. `in_function`: "", "def" or "async"
    (an async generator may not `return` a value)."""
    function_only = [s for s in FUNCTION_ONLY if not (in_function == "async" and s == "return y")] if in_function else []
    simple = SIMPLE_STATEMENTS + (LOOP_ONLY if in_loop else []) + function_only
    kinds = ["simple"] * 3 + (["with", "for", "while", "try", "if", "def", "class"] if depth > 0 else [])
    kind = draw(st.sampled_from(kinds))

    def body(loop: bool = in_loop, function: str = in_function) -> list[str]:
        return [INDENT + line for line in draw(block(depth - 1, loop, function))]

    if kind == "simple":
        return [draw(st.sampled_from(simple))]
    if kind == "with":
        return [draw(st.sampled_from(GRAD_WITH_HEADERS)), *body()]
    if kind == "for":
        return ["for b in batches:", *body(loop=True)]
    if kind == "while":
        return [draw(st.sampled_from(["while True:", "while step < 10:"])), *body(loop=True)]
    if kind == "try":
        handler = draw(st.sampled_from(["finally:", "except Exception:"]))
        return ["try:", *body(), handler, *body()]
    if kind == "if":
        lines = [draw(st.sampled_from(["if flag:", "if model.training:", "if torch.is_grad_enabled():"])), *body()]
        return lines + (["else:", *body()] if draw(st.booleans()) else [])
    if kind == "def":
        decorators = draw(st.lists(st.sampled_from(DECORATORS), max_size=2))
        header = draw(st.sampled_from(["def f(model, x):", "async def f(model, x):", "def evaluate(model, x, *args, **kw):"]))
        lines = [*decorators, header, *body(loop=False, function="async" if header.startswith("async") else "def")]
        if draw(st.booleans()) and not header.startswith("async"):
            lines.append(INDENT + "yield y")  # a generator
        return lines
    # a model class, defined where the block is
    forward = body(loop=False, function="def")
    return ["class Net(nn.Module):", INDENT + "def forward(self, x):", *[INDENT + line for line in forward],
            INDENT * 2 + "return x"]


@st.composite
def block(draw, depth: int, in_loop: bool = False, in_function: str = "") -> list[str]:
    parts = draw(st.lists(statements(depth, in_loop, in_function), min_size=1, max_size=4))
    return [line for part in parts for line in part]


@st.composite
def torch_programs(draw) -> str:
    lines = [*draw(IMPORTS), *SUPPORT_IMPORTS, "flag = True", "step = 0", "batches = []",
             *draw(block(depth=3))]
    return "\n".join(lines) + "\n"


def grammar_programs() -> st.SearchStrategy[str]:
    return hypothesmith.from_grammar()


# ---- properties ----------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@settings(FUZZ)
@given(source=grammar_programs())
def test_analyze_raises_only_analysis_error_on_grammar_programs(source: str) -> None:
    note(source)
    findings = findings_or_none(source)
    if findings is not None:
        assert_each_fix_alone_parses(source, findings)


@settings(FUZZ)
@given(source=torch_programs())
def test_analyze_raises_nothing_on_torch_programs(source: str) -> None:
    note(source)
    ast.parse(source)  # the generator makes valid programs, so AnalysisError would be a bug too
    findings = findings_or_none(source)
    assert findings is not None
    for code in sorted({finding.code for finding in findings}) or ["no findings"]:
        event(code)


@settings(FUZZ)
@given(source=torch_programs())
def test_each_fix_alone_parses_on_torch_programs(source: str) -> None:
    note(source)
    findings = findings_or_none(source)
    assert findings is not None
    event("some fix applied alone" if assert_each_fix_alone_parses(source, findings) else "no fix to apply")


@settings(FUZZ, phases=[phase for phase in Phase if phase is not Phase.shrink])  # shrinking it took > 5 minutes
@given(source=torch_programs())
def test_fix_all_parses_and_is_idempotent_on_torch_programs(source: str) -> None:
    note(source)
    assert_fix_all_parses_and_is_idempotent(source)


# ---- seed corpus ---------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS, ids=[path.stem for path in SEEDS])
def test_seed_analyzes_fixes_parse_and_fix_all_is_idempotent(seed: Path) -> None:
    source = seed.read_text(encoding="utf-8")
    findings = findings_or_none(source)
    assert findings is not None, f"{seed.name} parses with ast, so AnalysisError is a bug"
    assert_each_fix_alone_parses(source, findings)
    assert_fix_all_parses_and_is_idempotent(source)


def test_seed_corpus_is_present() -> None:
    assert 8 <= len(SEEDS) <= 12, [path.name for path in SEEDS]
