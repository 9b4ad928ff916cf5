"""A real editor nobody here wrote: headless Neovim opens examples/, gets GradGuard's diagnostics, hovers,
applies the preferred quick fix and writes the file; the test reads the file on disk.

Skipped when `nvim` is not installed (Debian: `apt-get install neovim`).
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
DRIVER = Path(__file__).with_name("nvim") / "drive.lua"
EXAMPLE = ROOT / "examples" / "train_classifier.py"


@pytest.mark.skipif(shutil.which("nvim") is None, reason="neovim not installed")
def test_neovim_quick_fix_written_to_disk(tmp_path: Path) -> None:
    sample = tmp_path / "project" / EXAMPLE.name
    sample.parent.mkdir()
    shutil.copy(EXAMPLE, sample)
    out = tmp_path / "out"
    out.mkdir()
    home = tmp_path / "home"  # keep Neovim's state out of the real home
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=str(home), GRADGUARD_PYTHON=sys.executable, OUT_DIR=str(out))

    run = subprocess.run(
        ["nvim", "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {DRIVER}", str(sample)],
        env=env, capture_output=True, text=True, timeout=240,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    diagnostics = json.loads((out / "diagnostics.json").read_text())["raw"]["diagnostics"]
    finding = next(d for d in diagnostics if d["code"] == "GG101")
    assert finding["source"] == "gradguard"
    before = EXAMPLE.read_text().splitlines()[finding["range"]["start"]["line"]]
    assert "with torch.no_grad:" in before
    hover = json.loads((out / "hover.json").read_text())
    assert "GG101" in hover["contents"]["value"]
    after = sample.read_text()
    assert "with torch.no_grad():" in after and "with torch.no_grad:" not in after
    assert after.replace("with torch.no_grad():", "with torch.no_grad:") == EXAMPLE.read_text()
