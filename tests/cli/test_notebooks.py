"""Notebooks: code cells analysed as one program, findings reported in their cell."""

from __future__ import annotations

import ast
import codecs
import json
from pathlib import Path

import pytest
from gradguard.findings import Span
from gradguard.notebook import cells_after_fixes, join_cells

from .conftest import SHARED_EXAMPLES, findings_json, needs_shared_examples, run_gradguard, tree_digest

EXAMPLE = SHARED_EXAMPLES / "notebook__eval_in_cells.ipynb"


def notebook(*cells: dict) -> str:
    return json.dumps(
        {"cells": list(cells), "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5},
        indent=1,
    )


def code(source: str | list[str], outputs: list | None = None) -> dict:
    return {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": outputs or [], "source": source}


def markdown(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def test_finding_lands_in_its_cell(project: Path) -> None:
    (project / "explore.ipynb").write_text(
        notebook(
            markdown("# Title\nwith torch.no_grad: is prose here"),
            code(["%matplotlib inline\n", "!pip install torch\n", "import torch\n"]),
            code(
                "%%time\nwith torch.no_grad:\n    pass",
                outputs=[{"output_type": "stream", "name": "stdout", "text": ["x\n"]}],
            ),
            code("x = 1\nwith torch.no_grad:\n    pass\n"),
        ),
        encoding="utf-8",
    )
    before = tree_digest(project)
    [finding] = findings_json(cwd=project)
    assert (finding["filename"], finding["code"], finding["cell"], finding["location"]["row"]) == (
        "explore.ipynb",
        "GG101",
        4,
        2,
    )  # the fourth cell, as in the text below
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
    (project / "bad_source.ipynb").write_text(
        notebook(code("import torch\n"), {"cell_type": "code", "source": 7}), encoding="utf-8"
    )
    (project / "r_kernel.ipynb").write_text(
        json.dumps({"cells": [code("with torch.no_grad:\n  1")], "metadata": {"language_info": {"name": "R"}}}),
        encoding="utf-8",
    )
    before = tree_digest(project)
    result = run_gradguard("--check", cwd=project)
    assert result.returncode == 2
    errors = result.stderr.splitlines()
    assert any(line.startswith("truncated.ipynb: error: notebook is not valid JSON") for line in errors)
    assert "no_cells.ipynb: error: notebook has no `cells` list (nbformat 4 expected)" in errors
    assert "bad_source.ipynb: error: cell 2: `source` is neither a string nor a list of strings" in errors  # from 1
    assert len(errors) == 3
    assert result.stdout == "No findings (1 file checked, 3 could not be).\n"
    assert tree_digest(project) == before


def test_syntax_error_is_located_in_its_cell(project: Path) -> None:
    (project / "typo.ipynb").write_text(
        notebook(code("import torch\n"), code("x = 1\ndef f(:\n    model.eval()\n")), encoding="utf-8"
    )
    result = run_gradguard("--check", cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith("typo.ipynb:cell 2:2:")


def test_fix_writes_the_fixed_code_back_into_its_cells(project: Path) -> None:
    cells = [
        markdown("# Evaluate"),
        code(["%matplotlib inline\n", "import torch\n", "model = torch.nn.Linear(2, 2)\n"]),
        code(
            "!nvidia-smi\nwith torch.no_grad:\n    out = model(torch.ones(2))\n",
            outputs=[{"output_type": "stream", "name": "stdout", "text": ["ok \u2713\n"]}],
        ),
    ]
    path = project / "eval.ipynb"
    path.write_text(notebook(*cells) + "\n", encoding="utf-8")

    diff = run_gradguard("--check", "--diff", cwd=project)
    changed = [line for line in diff.stdout.splitlines()[2:] if line.startswith(("-", "+"))]
    assert changed == [
        '-   "source": "!nvidia-smi\\nwith torch.no_grad:\\n    out = model(torch.ones(2))\\n"',
        '+   "source": "!nvidia-smi\\nwith torch.no_grad():\\n    out = model(torch.ones(2))\\n"',
    ]
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


COURSE_NOTEBOOK = [  # as course notebooks are handed out: a placeholder cell, magics that set up Colab
    markdown("# Exercise 3: evaluate the classifier\nFill in the loss, then run every cell."),
    code(
        [
            "import torch\n",
            "model = torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.Dropout())\n",
            "model.train()\n",
        ]
    ),
    code(["criterion = # TODO: pick a loss\n", "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"]),
    code(["if IN_COLAB:\n", "    %pip install torchvision\n", "elif LOCAL:\n", "    %load_ext tensorboard\n"]),
    code(
        [
            "val_loader = [torch.ones(4) for b in range(10)\n",
            "              if b\n",
            "              % 2]\n",
            "keep = (len(val_loader)\n",
            "        != 0)\n",
        ]
    ),
    code(
        [
            "with torch.no_grad():\n",
            "    for x in val_loader:\n",
            "        out = model(x)\n",
            "with torch.no_grad:\n",
            "    pass\n",
        ]
    ),
]


def test_a_cell_that_does_not_parse_is_left_out_and_the_others_checked(project: Path) -> None:
    (project / "exercise.ipynb").write_text(notebook(*COURSE_NOTEBOOK), encoding="utf-8")
    error = (
        "exercise.ipynb:cell 3:1:13: error: syntax error: invalid syntax; "
        "this cell is left out, the others are checked without it"
    )

    text = run_gradguard("--check", cwd=project)
    assert text.returncode == 2  # as for any file that could not be parsed whole
    assert text.stderr.splitlines() == [error]  # once, in its own cell; the magics' blocks and brackets parse
    findings = text.stdout.splitlines()[:-1]
    assert [line[: line.index(" GG") + 6] for line in findings] == [
        "exercise.ipynb:cell 6:3:15: GG202",
        "exercise.ipynb:cell 6:4:6: GG101",
    ]
    assert "(line 3 of cell 2)" in findings[0]  # the cell numbers of the text, counted the same way

    as_json = findings_json(cwd=project, exit_codes=(2,))
    assert [(f["code"], f["cell"], f["location"]["row"]) for f in as_json] == [("GG202", 6, 3), ("GG101", 6, 4)]

    sarif = json.loads(run_gradguard("--check", "--format", "sarif", cwd=project).stdout)["runs"][0]
    assert [r["ruleId"] for r in sarif["results"]] == ["GG202", "GG101"]
    assert [r["properties"]["cell"] for r in sarif["results"]] == [6, 6]
    (invocation,) = sarif["invocations"]
    assert not invocation["executionSuccessful"]
    assert [n["message"]["text"] for n in invocation["toolExecutionNotifications"]] == [error]


def test_fix_leaves_a_cell_that_does_not_parse_as_it_is(project: Path) -> None:
    path = project / "exercise.ipynb"
    path.write_text(notebook(*COURSE_NOTEBOOK) + "\n", encoding="utf-8")
    fixed = run_gradguard("--check", "--fix", cwd=project)
    assert fixed.returncode == 2, fixed.stderr
    cells = json.loads(json.dumps(COURSE_NOTEBOOK))
    cells[5]["source"][3] = "with torch.no_grad():\n"  # the safe GG101 fix; GG202's is unsafe
    assert path.read_text(encoding="utf-8") == notebook(*cells) + "\n"  # every other byte as it was


def test_percent_and_bang_are_magics_only_where_a_logical_line_starts(project: Path) -> None:
    cells = [
        code("import torch\nmodel = torch.nn.Linear(4, 2)\n"),
        code(
            "x = (1\n     != 2)\ny = [3\n     % 2]\nz = 4 \\\n    % 3\ns = '''\n%not a magic\n'''\n"
            "if x:\n    !pip install \\\n        torchvision\n    %time y\nfiles = !ls\n"
        ),
        code("with torch.no_grad:\n    pass\n"),
    ]
    (project / "operators.ipynb").write_text(notebook(*cells), encoding="utf-8")
    result = run_gradguard("--check", cwd=project)
    assert result.stderr == ""
    assert result.stdout.startswith("operators.ipynb:cell 3:1:6: GG101 ")
    assert result.returncode == 1


@pytest.mark.parametrize(
    "encoding, bom",
    [
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", b""),
        ("utf-32-be", codecs.BOM_UTF32_BE),
        ("utf-8", codecs.BOM_UTF8),
    ],
)
def test_fix_writes_a_notebook_back_in_its_encoding(project: Path, encoding: str, bom: bytes) -> None:
    """RFC 8259 lets JSON be UTF-8, -16 or -32; Windows tools save notebooks as UTF-16 with a BOM."""

    def text(cells: list[dict]) -> str:  # non-ASCII kept, as Jupyter writes it
        return (
            json.dumps(
                {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1, ensure_ascii=False
            )
            + "\n"
        )

    cells = [markdown("Évaluation ✓"), code("import torch\nwith torch.no_grad:\n    pass\n")]
    path = project / "wide.ipynb"
    path.write_bytes(bom + text(cells).encode(encoding))
    result = run_gradguard("--check", "--fix", cwd=project)
    assert (result.returncode, result.stderr) == (0, "Fixed 1 finding in 1 file.\n")
    cells[1]["source"] = "import torch\nwith torch.no_grad():\n    pass\n"
    assert path.read_bytes() == bom + text(cells).encode(encoding)


def test_syntax_error_column_is_the_cells_not_the_json_files(project: Path) -> None:
    """CPython places a syntax error by reading the line of the file it is told the code came from: for a
    notebook that is a line of JSON (line 2 here: ` "cells": [`), which put the caret at column 13."""
    (project / "typo.ipynb").write_text(
        notebook(code("import torch\nmodel_output_value = = 1\ntorch.set_grad_enabled(False)\n")), encoding="utf-8"
    )
    result = run_gradguard("--check", cwd=project)
    assert result.stderr.startswith("typo.ipynb:cell 1:2:22: error: syntax error: invalid syntax")


def test_magics_become_pass_where_a_logical_line_starts() -> None:
    cell = (
        "if IN_COLAB:\n"
        "    !pip install a \\\n"  # a shell escape continued on the next line: both lines are the escape
        "        b\n"
        "    %load_ext tensorboard\n"
        "x = (a  # a comment's ( and ' do not count\n"
        "     != b)\n"
        "y = 'it''s' \\\n"
        "    % 2\n"
        's = """quote \\""" still open\n'
        "%in a string\n"
        '"""\n'
        "?torch.no_grad\n"
        "files = !ls\n"  # assigned: IPython's `files = get_ipython().getoutput('ls')`
        "torch.no_grad??  # help, with the source\n"
        "n = 1  # why?\n"
        "x == !y\n"
    )  # not an assignment: a syntax error in IPython too
    joined = join_cells(["import torch", cell])
    assert joined.source.split("\n")[1:-1] == [
        "if IN_COLAB:",
        "    pass",
        "",
        "    pass",
        "x = (a  # a comment's ( and ' do not count",
        "     != b)",
        "y = 'it''s' \\",
        "    % 2",
        's = """quote \\""" still open',
        "%in a string",
        '"""',
        "pass",
        "pass",
        "pass",
        "n = 1  # why?",
        "x == !y",
    ]
    assert joined.magic_lines == {2, 3, 4, 12, 13, 14}
    ast.parse("\n".join(joined.source.split("\n")[:-2]))  # all but `x == !y`
    assert joined.edits_magic([Span(4, 0, 5, 0)]) and joined.edits_magic([Span(12, 0, 12, 0)])
    assert not joined.edits_magic([Span(5, 0, 6, 0), Span(1, 0, 2, 0)])  # up to the start of line 2: line 1 only
