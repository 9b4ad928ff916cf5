"""Bad input never crashes the run and never loses data: each file is reported, the others still checked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import GG101_SNIPPET, findings_json, run_gradguard, tree_digest

NESTED = "import torch\ntorch.set_grad_enabled(False)\nx = " + "(" * 2000 + "1" + ")" * 2000 + "\n"


def write_bytes(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def test_each_unreadable_file_is_reported_and_nothing_changes(project: Path) -> None:
    write_bytes(project, "binary.py", b"import torch\x00\x01\x02")
    write_bytes(project, "latin1_no_cookie.py", "import torch\n# café\n".encode("latin-1"))
    write_bytes(project, "bad_cookie.py", "# -*- coding: klingon -*-\nimport torch  # café\n".encode("latin-1"))
    write_bytes(project, "nested.py", NESTED.encode())
    write_bytes(project, "syntax.py", b"import torch\n@torch.no_grad()\ndef broken(:\n")
    write_bytes(project, "no_grad_names.py", b"import torch\ndef broken(:\n")  # cannot hold a finding: not parsed
    write_bytes(project, "good.py", GG101_SNIPPET.encode())
    os.symlink("loop.py", project / "loop.py")
    os.symlink("missing-target.py", project / "dangling.py")
    os.mkfifo(project / "pipe.py")  # must be skipped, not read (reading would block)
    before = tree_digest(project)

    result = run_gradguard("--check", cwd=project)

    assert result.returncode == 2
    errors = result.stderr.splitlines()
    assert "binary.py: error: binary file (contains NUL bytes), not Python source" in errors
    assert any(line.startswith("latin1_no_cookie.py:2:6: error: not UTF-8: byte 0xe9") for line in errors)
    not_utf8_cookie = "unsupported source encoding: klingon (no such codec, and the file is not UTF-8)"
    assert f"bad_cookie.py: error: {not_utf8_cookie}" in errors
    assert any(line.startswith("nested.py:") and ": error: " in line for line in errors)
    assert any(line.startswith("syntax.py:3:") and ": error: syntax error" in line for line in errors)
    assert any(line.startswith("loop.py: error: cannot read") for line in errors)
    assert any(line.startswith("dangling.py: error: cannot read") for line in errors)
    assert not any("pipe.py" in line or "no_grad_names.py" in line or "Traceback" in line for line in errors)
    assert len(errors) == 7
    assert result.stdout.splitlines()[0].startswith("good.py:2:")
    assert tree_digest(project) == before


def test_fix_leaves_bad_files_alone(project: Path) -> None:
    write_bytes(project, "binary.py", b"import torch\x00")
    write_bytes(
        project, "latin1_no_cookie.py", "import torch\nwith torch.no_grad:  # café\n    pass\n".encode("latin-1")
    )
    write_bytes(project, "good.py", GG101_SNIPPET.encode())
    before = tree_digest(project)
    result = run_gradguard("--check", "--fix", cwd=project)
    assert result.returncode == 2
    after = tree_digest(project)
    assert after["binary.py"] == before["binary.py"]
    assert after["latin1_no_cookie.py"] == before["latin1_no_cookie.py"]
    assert (project / "good.py").read_text(encoding="utf-8") == GG101_SNIPPET.replace("no_grad:", "no_grad():")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file(project: Path) -> None:
    path = write_bytes(project, "secret.py", GG101_SNIPPET.encode())
    path.chmod(0)
    result = run_gradguard("--check", cwd=project)
    assert result.returncode == 2 and "secret.py: error: cannot read: Permission denied" in result.stderr


@pytest.mark.parametrize(
    "name, data, row, column",
    [
        ("bom.py", b"\xef\xbb\xbf" + GG101_SNIPPET.encode(), 2, 6),
        ("crlf.py", GG101_SNIPPET.replace("\n", "\r\n").encode(), 2, 6),
        ("mixed.py", b"import torch\r\nwith torch.no_grad:\n    pass\r\n", 2, 6),
        ("tabs.py", b"import torch\nif True:\n\twith torch.no_grad:\n\t\tpass\n", 3, 7),
        (
            "unicode.py",
            "import torch\nπ = 1; λ = 2\nif π: x = 'é'; y = torch.no_grad\nwith torch.no_grad:\n    pass\n".encode(),
            4,
            6,
        ),
        (
            "latin1_cookie.py",
            "# -*- coding: latin-1 -*-\nimport torch\n# café\nwith torch.no_grad:\n    pass\n".encode("latin-1"),
            4,
            6,
        ),
    ],
)
def test_unusual_but_valid_files_are_analysed(project: Path, name: str, data: bytes, row: int, column: int) -> None:
    write_bytes(project, name, data)
    [finding] = findings_json(cwd=project)
    assert (finding["code"], finding["location"]["row"]) == ("GG101", row)
    assert finding["location"]["column"] == column


@pytest.mark.parametrize(
    "name, data",
    [
        ("bom.py", b"\xef\xbb\xbf" + GG101_SNIPPET.encode()),
        ("crlf.py", GG101_SNIPPET.replace("\n", "\r\n").encode()),
        ("mixed.py", b"import torch\r\nwith torch.no_grad:\n    pass\r\n"),
        (
            "latin1_cookie.py",
            "# -*- coding: latin-1 -*-\nimport torch  # café\nwith torch.no_grad:\n    pass\n".encode("latin-1"),
        ),
    ],
)
def test_fix_keeps_encoding_and_line_endings(project: Path, name: str, data: bytes) -> None:
    path = write_bytes(project, name, data)
    result = run_gradguard("--check", "--fix", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert path.read_bytes() == data.replace(b"no_grad:", b"no_grad():")


def test_empty_and_huge_files(project: Path) -> None:
    write_bytes(project, "empty.py", b"")
    write_bytes(project, "one_line.py", b"import torch; x = [" + b"1, " * 350_000 + b"]\n")
    write_bytes(project, "long.py", b"import torch\n" + b"x = 1\n" * 50_000 + b"with torch.no_grad:\n    pass\n")
    result = run_gradguard("--check", "--no-cache", cwd=project)
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("long.py:50002:")
    assert result.stdout.endswith("Found 1 finding in 1 file (3 files checked). 1 fixable with `--fix`.\n")
