"""Notebooks: code cells analysed as one program, findings reported in their cell."""
from __future__ import annotations

import json
from pathlib import Path

from gradguard.notebook import cells_after_fixes, join_cells

from .conftest import SHARED_EXAMPLES, needs_shared_examples, findings_json, run_gradguard, tree_digest

EXAMPLE = SHARED_EXAMPLES / "notebook__eval_in_cells.ipynb"


def notebook(*cells: dict) -> str:
    return json.dumps({"cells": list(cells), "metadata": {"language_info": {"name": "python"}},
                       "nbformat": 4, "nbformat_minor": 5}, indent=1)


def code(source: str | list[str], outputs: list | None = None) -> dict:
    return {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": outputs or [], "source": source}


def markdown(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def test_finding_lands_in_its_cell(project: Path) -> None:
    (project / "explore.ipynb").write_text(notebook(
        markdown("# Title\nwith torch.no_grad: is prose here"),
        code(["%matplotlib inline\n", "!pip install torch\n", "import torch\n"]),
        code("%%time\nwith torch.no_grad:\n    pass", outputs=[{"output_type": "stream", "name": "stdout", "text": ["x\n"]}]),
        code("x = 1\nwith torch.no_grad:\n    pass\n"),
    ), encoding="utf-8")
    before = tree_digest(project)
    [finding] = findings_json(cwd=project)
    assert (finding["filename"], finding["code"], finding["cell"], finding["location"]["row"]) == (
        "explore.ipynb", "GG101", 4, 2)  # the fourth cell, as in the text below
    text = run_gradguard("--check", cwd=project)
    assert text.stdout.startswith("explore.ipynb:cell 4:2:")
    assert tree_digest(project) == before


@needs_shared_examples
def test_the_shared_example_notebook(project: Path) -> None:
    (project / EXAMPLE.name).write_bytes(EXAMPLE.read_bytes())
    result = run_gradguard("--check", "--format", "json", cwd=project)
    assert result.returncode in (0, 1), result.stderr
    for finding in json.loads(result.stdout):
        cell = json.loads(EXAMPLE.read_text(encoding="utf-8"))["cells"][finding["cell"] - 1]  # 1-based
        assert cell["cell_type"] == "code"
        assert 1 <= finding["location"]["row"] <= len(cell["source"])


def test_broken_notebooks_are_reported(project: Path) -> None:
    (project / "truncated.ipynb").write_text('{"cells": [', encoding="utf-8")
    (project / "no_cells.ipynb").write_text('{"metadata": {}}', encoding="utf-8")
    (project / "bad_source.ipynb").write_text(notebook(code("import torch\n"), {"cell_type": "code", "source": 7}),
                                              encoding="utf-8")
    (project / "r_kernel.ipynb").write_text(json.dumps(
        {"cells": [code("with torch.no_grad:\n  1")], "metadata": {"language_info": {"name": "R"}}}), encoding="utf-8")
    before = tree_digest(project)
    result = run_gradguard("--check", cwd=project)
    assert result.returncode == 2
    errors = result.stderr.splitlines()
    assert any(line.startswith("truncated.ipynb: error: notebook is not valid JSON") for line in errors)
    assert "no_cells.ipynb: error: notebook has no `cells` list (nbformat 4 expected)" in errors
    assert "bad_source.ipynb: error: cell 1: `source` is neither a string nor a list of strings" in errors
    assert len(errors) == 3
    assert result.stdout == "No findings (1 file checked, 3 could not be).\n"
    assert tree_digest(project) == before


def test_syntax_error_is_located_in_its_cell(project: Path) -> None:
    (project / "typo.ipynb").write_text(notebook(code("import torch\n"), code("x = 1\ndef f(:\n    pass\n")),
                                        encoding="utf-8")
    result = run_gradguard("--check", cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith("typo.ipynb:cell 2:2:")


def test_fix_writes_the_fixed_code_back_into_its_cells(project: Path) -> None:
    cells = [
        markdown("# Evaluate"),
        code(["%matplotlib inline\n", "import torch\n", "model = torch.nn.Linear(2, 2)\n"]),
        code("!nvidia-smi\nwith torch.no_grad:\n    out = model(torch.ones(2))\n",
             outputs=[{"output_type": "stream", "name": "stdout", "text": ["ok \u2713\n"]}]),
    ]
    path = project / "eval.ipynb"
    path.write_text(notebook(*cells) + "\n", encoding="utf-8")

    diff = run_gradguard("--check", "--diff", cwd=project)
    changed = [line for line in diff.stdout.splitlines()[2:] if line.startswith(("-", "+"))]
    assert changed == ['-   "source": "!nvidia-smi\\nwith torch.no_grad:\\n    out = model(torch.ones(2))\\n"',
                       '+   "source": "!nvidia-smi\\nwith torch.no_grad():\\n    out = model(torch.ones(2))\\n"']
    fixed = run_gradguard("--check", "--fix", cwd=project)

    assert fixed.returncode == 0, fixed.stderr
    after = json.loads(path.read_text(encoding="utf-8"))
    cells[2]["source"] = "!nvidia-smi\nwith torch.no_grad():\n    out = model(torch.ones(2))\n"
    assert after["cells"] == cells  # the fixed cell, its magic and outputs; the other cells untouched
    assert path.read_text(encoding="utf-8") == notebook(*cells) + "\n"  # same layout, non-ASCII kept
    assert run_gradguard("--check", cwd=project).returncode == 0


def test_fixed_code_maps_back_to_cells_only_when_it_can() -> None:
    sources = ["%time x = 1\nimport torch", "with torch.no_grad:\n    y = 2\n"]
    joined = join_cells(sources)
    assert joined.source == "pass\nimport torch\nwith torch.no_grad:\n    y = 2\n"

    wrapped = "pass\nimport torch\nwith torch.no_grad():\n    y = 2\n"
    assert cells_after_fixes(joined, sources, wrapped) == [sources[0], "with torch.no_grad():\n    y = 2\n"]
    inserted = "pass\nimport torch\nmodel.eval()\nwith torch.no_grad:\n    y = 2\n"  # at a cell's first line: that cell
    assert cells_after_fixes(joined, sources, inserted) == [sources[0], "model.eval()\n" + sources[1]]
    across = "pass\nwith torch.no_grad():\n    import torch\n    with torch.no_grad:\n        y = 2\n"
    assert cells_after_fixes(joined, sources, across) is None
    over_the_magic = "x = 1\nimport torch\nwith torch.no_grad:\n    y = 2\n"
    assert cells_after_fixes(joined, sources, over_the_magic) is None
