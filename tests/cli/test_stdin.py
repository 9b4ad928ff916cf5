"""`gradguard check -` reads the source from standard input, `--stdin-filename` names it; with `--fix` the
source goes to stdout, fixed, and the report to stderr (as `ruff check --fix -`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import CLEAN_SNIPPET, GG101_SNIPPET, tree_digest
from .test_notebooks import code, notebook


def run_with_input(source: bytes, *args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "gradguard", "check", "--no-cache", *args],
        cwd=cwd,
        input=source,
        capture_output=True,
        timeout=600,
    )


def test_dash_reads_standard_input_and_names_it_dash(project: Path) -> None:
    result = run_with_input(GG101_SNIPPET.encode(), "-", cwd=project)
    assert result.returncode == 1, result.stderr
    assert result.stdout.decode().startswith("-:2:6: GG101 [*] error: ")
    assert list(project.iterdir()) == [project / "pyproject.toml"]


def test_stdin_filename_names_it_and_picks_its_configuration(project: Path) -> None:
    (project / "sub").mkdir()
    (project / "sub" / "pyproject.toml").write_text('[tool.gradguard]\nignore = ["GG101"]\n', encoding="utf-8")
    named = run_with_input(GG101_SNIPPET.encode(), "--stdin-filename", "top.py", cwd=project)  # no `-`: implied
    assert named.returncode == 1 and named.stdout.decode().startswith("top.py:2:6: GG101 ")
    ignored = run_with_input(GG101_SNIPPET.encode(), "-", "--stdin-filename", "sub/x.py", cwd=project)
    assert (ignored.returncode, ignored.stdout.decode()) == (0, "No findings (1 file checked).\n")


def test_stdin_filename_ending_in_ipynb_is_read_as_a_notebook(project: Path) -> None:
    source = notebook(code("import torch\n"), code("with torch.no_grad:\n    pass\n")).encode()
    result = run_with_input(source, "-", "--stdin-filename", "nb.ipynb", "--output-format", "json", cwd=project)
    assert [(f["filename"], f["cell"], f["location"]["row"]) for f in json.loads(result.stdout)] == [("nb.ipynb", 2, 1)]
    fixed = run_with_input(source, "--fix", "--stdin-filename", "nb.ipynb", cwd=project)
    assert fixed.returncode == 0, fixed.stderr
    assert json.loads(fixed.stdout)["cells"][1]["source"] == "with torch.no_grad():\n    pass\n"  # layout kept


def test_fix_writes_the_fixed_source_to_stdout_and_the_report_to_stderr(project: Path) -> None:
    (project / "x.py").write_text(GG101_SNIPPET, encoding="utf-8")
    before = tree_digest(project)
    source = (
        "# -*- coding: latin-1 -*-\n# café\n"
        + GG101_SNIPPET
        + "model = torch.nn.Linear(2, 2)\ndef evaluate(x):\n    return model(x)\n"
    )
    result = run_with_input(source.encode("latin-1"), "--fix", "--stdin-filename", "x.py", cwd=project)
    assert result.stdout == source.replace("no_grad:", "no_grad():").encode("latin-1")  # in its own encoding
    assert result.returncode == 1  # the GG201 has only an unsafe fix: left, reported
    report = result.stderr.decode()
    assert report.startswith("Fixed 1 finding in 1 file.") and "x.py:8:12: GG201 warning: " in report
    assert tree_digest(project) == before  # x.py itself is not written


def test_fix_passes_on_source_it_cannot_fix_unchanged(project: Path) -> None:
    clean = run_with_input(CLEAN_SNIPPET.encode(), "--fix", "-", cwd=project)
    assert (clean.returncode, clean.stdout) == (0, CLEAN_SNIPPET.encode())
    broken = b"import torch\nwith torch.no_grad():\nx = (\n"  # names a grad-mode API: parsed, so reported
    unparsable = run_with_input(broken, "--fix", "-", cwd=project)
    assert (unparsable.returncode, unparsable.stdout) == (2, broken)
    assert unparsable.stderr.decode().startswith("-:3:")


def test_diff_of_standard_input(project: Path) -> None:
    result = run_with_input(GG101_SNIPPET.encode(), "--diff", "--stdin-filename", "a/b.py", cwd=project)
    assert result.returncode == 1
    assert result.stdout.decode().splitlines()[:2] == ["--- a/a/b.py", "+++ b/a/b.py"]


def test_dash_with_other_paths_or_add_noqa_is_a_usage_error(project: Path) -> None:
    for args in (["-", "a.py"], ["--add-noqa", "-"], ["--stdin-filename", "x.py", "a.py"]):
        result = run_with_input(b"", *args, cwd=project)
        assert result.returncode == 2 and result.stderr.startswith(b"gradguard: error: "), args
