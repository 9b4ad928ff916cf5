"""The labelled examples in ../shared/examples and ../shared/examples-intent: findings exactly on the
`# expect:` lines."""

import json
import re
from pathlib import Path

import pytest
from gradguard import analyze
from gradguard.notebook import join_cells

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "examples"
if not EXAMPLES.is_dir():
    EXAMPLES = Path(__file__).resolve().parents[1] / "shared-examples"
EXPECT = re.compile(r"# expect: (?P<slugs>.*)$")
INTENT_EXAMPLES = EXAMPLES.parent / "examples-intent"
pytestmark = pytest.mark.skipif(not EXAMPLES.is_dir(), reason="shared examples not present")


def expected(lines):
    return {
        (i, slug.strip())
        for i, line in enumerate(lines)
        if (m := EXPECT.search(line))
        for slug in m.group("slugs").split(",")
    }


def example_files():
    return [path for folder in (EXAMPLES, INTENT_EXAMPLES) if folder.is_dir() for path in sorted(folder.glob("*.py"))]


@pytest.mark.parametrize("path", example_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_file(path):
    source = path.read_text(encoding="utf-8")
    got = {(f.span.start_line, f.slug) for f in analyze(source, str(path))}
    assert got == expected(source.splitlines())
    if path.name.startswith("clean__"):
        assert got == set()


def test_notebook_cells():
    notebook = json.loads((EXAMPLES / "notebook__eval_in_cells.ipynb").read_text(encoding="utf-8"))
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    indices = [i for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code"]
    texts = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells]
    joined = join_cells(texts)
    got = set()
    for finding in analyze(joined.source, "notebook.ipynb"):
        cell, span = joined.span_in_cell(finding.span)
        got.add((indices[cell], span.start_line + 1, finding.slug))
    want = {(indices[c], line + 1, slug) for c, text in enumerate(texts) for line, slug in expected(text.splitlines())}
    assert want == {(4, 4, "missing-eval"), (5, 3, "forward-without-no-grad")}
    assert got == want
