"""Real editors nobody here wrote drive the server: each opens a copy of examples/train_classifier.py,
receives GradGuard's diagnostics, hovers, applies the preferred quick fix and writes the file; the test
reads the file on disk.

Skipped when the editor is missing. Debian: `apt-get install neovim` (0.7.2),
`apt-get install emacs-nox elpa-eglot` (Emacs 28.2 + eglot 1.9).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
EXAMPLE = ROOT / "examples" / "train_classifier.py"


def run_editor(command: list[str], tmp_path: Path) -> tuple[Path, Path]:
    """Runs `command + [copy of the example]` with a private HOME; returns (results folder, the copy)."""
    sample = tmp_path / "project" / EXAMPLE.name
    sample.parent.mkdir()
    shutil.copy(EXAMPLE, sample)
    out, home = tmp_path / "out", tmp_path / "home"  # editor state stays out of the real home
    out.mkdir()
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=str(home), GRADGUARD_PYTHON=sys.executable, OUT_DIR=str(out))
    run = subprocess.run([*command, str(sample)], env=env, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return out, sample


def check_quick_fix(out: Path, sample: Path) -> None:
    diagnostics = json.loads((out / "diagnostics.json").read_text())["raw"]["diagnostics"]
    finding = next(d for d in diagnostics if d["code"] == "GG101")
    assert finding["source"] == "gradguard"
    assert "with torch.no_grad:" in EXAMPLE.read_text().splitlines()[finding["range"]["start"]["line"]]
    assert "GG101" in json.loads((out / "hover.json").read_text())["contents"]["value"]
    after = sample.read_text()
    assert "with torch.no_grad():" in after and "with torch.no_grad:" not in after
    assert after.replace("with torch.no_grad():", "with torch.no_grad:") == EXAMPLE.read_text()


@pytest.mark.skipif(shutil.which("nvim") is None, reason="neovim not installed")
def test_neovim(tmp_path: Path) -> None:
    driver = HERE / "nvim" / "drive.lua"
    out, sample = run_editor(
        ["nvim", "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {driver}"], tmp_path
    )
    check_quick_fix(out, sample)


@pytest.mark.skipif(shutil.which("emacs") is None, reason="emacs not installed")
def test_emacs_eglot(tmp_path: Path) -> None:
    out, sample = run_editor(["emacs", "--batch", "-q", "-l", str(HERE / "emacs" / "drive.el")], tmp_path)
    check_quick_fix(out, sample)
    flymake = json.loads((out / "diagnostics.json").read_text())["flymake"]
    assert any("GG101" in item["text"] for item in flymake)
