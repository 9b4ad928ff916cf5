"""On every shared example: fix-all parses, removes what it fixed, adds no finding, and is stable."""

from __future__ import annotations

import ast
import json
from collections import Counter
from pathlib import Path

import pytest
from gradguard import Config, analyze
from gradguard.fixes import apply_fixes, code_fixes, fix_all, fixes_for
from gradguard.fixes.registry import BUILDERS
from gradguard.notebook import join_cells
from gradguard.rules import BY_CODE

EXAMPLES = Path(__file__).parents[2].parent / "shared" / "examples"
PYTHON_EXAMPLES = sorted(EXAMPLES.glob("*.py"))

pytestmark = pytest.mark.skipif(not PYTHON_EXAMPLES, reason="no shared examples on this machine")


@pytest.mark.parametrize("path", PYTHON_EXAMPLES, ids=lambda path: path.name)
def test_fix_all_on_example(path: Path) -> None:
    source = path.read_text()
    before = analyze(source, str(path), Config())
    if not any(BY_CODE.get(code) for code in BUILDERS):
        pytest.skip("no fixable rule is registered yet")
    fixed = fix_all(source, str(path), Config(), unsafe=True)
    ast.parse(fixed)
    after = analyze(fixed, str(path), Config())
    unfixable = Counter(f.code for f in before if not code_fixes(source, f, Config()))
    assert Counter(f.code for f in after) == unfixable
    assert fix_all(fixed, str(path), Config(), unsafe=True) == fixed


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.ipynb")), ids=lambda path: path.name)
def test_notebook_fixes_stay_in_their_cells(path: Path) -> None:
    cells = ["".join(cell["source"]) for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "code"]
    joined = join_cells(cells)
    findings = analyze(joined.source, str(path), Config())
    for finding in findings:
        for fix in fixes_for(joined.source, finding, Config(), joined.starts):
            ast.parse(apply_fixes(joined.source, [fix]))
            cell = joined.locate(finding.span.start_line)[0]
            for edit in fix.edits:
                last_line = (
                    edit.span.end_line - 1
                    if edit.span.end_col == 0 < edit.span.end_line - edit.span.start_line
                    else edit.span.end_line
                )
                assert joined.locate(edit.span.start_line)[0] == joined.locate(last_line)[0] == cell
