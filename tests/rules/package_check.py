"""A package laid out in a temporary folder and checked as a whole with `gradguard --check`, the way a user
checks a project: one process, the cross-file index built from the files on disk."""

import json
import subprocess
import sys
import textwrap


def layout(tmp_path, **files):
    """`pkg/<name>.py` for each keyword, its text dedented, beside an empty `pkg/__init__.py`."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    for name, text in files.items():
        (tmp_path / "pkg" / f"{name}.py").write_text(textwrap.dedent(text))


def findings(tmp_path, *paths):
    """The JSON findings of `gradguard --check` run in `tmp_path` on `paths` (the whole folder by default)."""
    run = subprocess.run(
        [sys.executable, "-m", "gradguard", "--check", *(paths or ["."]), "--format", "json", "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    return json.loads(run.stdout)


def check(tmp_path, *paths):
    """(file, line, code) of each finding."""
    return [(f["filename"], f["location"]["row"], f["code"]) for f in findings(tmp_path, *paths)]
