"""Latency in real editors: prints a table, asserts nothing.

What a user sees, next to what the server itself spends (issue 15): headless Neovim (push diagnostics,
`bench/editor/nvim_latency.lua`, driven as `tests/e2e/nvim/drive.lua` drives the e2e test) on training
scripts of 1,000, 5,000 and 20,000 lines (small train-step functions, one evaluation function at the
end with a GG201 finding), each opened RUNS times in a fresh Neovim and a fresh server:
- open -> first diagnostics shown, the server's start included (Neovim's own start is not);
- edit -> diagnostics shown, for the version of the edit or a later one: characters typed into a
  comment in the middle 150 ms apart (1 s after the first diagnostics), a new line, a pasted 10-line function, its undo (each of the
  last three followed by a hover and a quick-fix request on the GG201 finding);
- hover and quick-fix code action round trips, in the editor;
- the server's own analysis times (its `$/logTrace` "analysed ... in N ms"), median and p95.

Run it in the same go as `bench/lsp_latency.py`, with the load average of the machine:
    uptime; python bench/editor_latency.py; python bench/lsp_latency.py; uptime
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = (1_000, 5_000, 20_000)
RUNS = int(os.environ.get("EDITOR_BENCH_RUNS", "3"))

HEADER = "import torch\nimport torch.nn as nn\n\n\n"
TRAIN_STEP = '''\
def train_step_{i}(model, optimizer, x, y):
    # step {i}
    model.train()
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


'''
EVALUATE = '''\
def evaluate(model, loader):
    model.eval()
    total = 0.0
    for x, y in loader:
        total += float((model(x) - y).abs().sum())
    return total
'''
PASTE = TRAIN_STEP.format(i="pasted").rstrip("\n") + "\n"


def training_script(lines: int) -> str:
    """Train steps up to `lines`, then the evaluation function (its forward pass is GG201's finding)."""
    steps = max(1, (lines - HEADER.count("\n") - EVALUATE.count("\n")) // TRAIN_STEP.count("\n"))
    return HEADER + "".join(TRAIN_STEP.format(i=i) for i in range(steps)) + EVALUATE


def run_neovim(path: Path, text: str, out: Path) -> dict:
    lines = text.splitlines()
    comments = [n for n, line in enumerate(lines) if line.strip().startswith("# step")]
    env = {key: value for key, value in os.environ.items() if not key.startswith("XDG_")}
    env.update(
        HOME=str(out.parent / "home"), GRADGUARD_PYTHON=sys.executable, OUT_FILE=str(out),
        EDIT_LINE=str(comments[len(comments) // 2]), PASTE=PASTE.rstrip("\n"),
    )
    Path(env["HOME"]).mkdir(exist_ok=True)
    driver = HERE / "editor" / "nvim_latency.lua"
    run = subprocess.run(["nvim", "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {driver}", str(path)],
                         env=env, capture_output=True, text=True, timeout=1800)
    if run.returncode != 0:
        raise RuntimeError(f"nvim exited {run.returncode}: {run.stderr[-2000:]}")
    return json.loads(out.read_text())


def stats(samples: list[float]) -> str:
    if not samples:
        return f"{'-':>8} {'-':>8} {0:>4}"
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):8.0f} {p95:8.0f} {len(ordered):4d}"


def main() -> None:
    if shutil.which("nvim") is None:
        sys.exit("nvim not found (Debian: apt-get install neovim)")
    folder = Path(tempfile.mkdtemp(prefix="gradguard-editor-bench-"))
    columns = ("open->first", "characters", "newline", "paste", "undo", "hover", "quick fix", "server analysis")
    print(f"Neovim (push diagnostics), {RUNS} runs per size; milliseconds: median p95 n", flush=True)
    print(f"{'lines':>6} | " + " | ".join(f"{c:>22}" for c in columns), flush=True)
    for size in SIZES:
        text = training_script(size)
        merged: dict[str, list[float]] = {c: [] for c in columns}
        versions = set()
        for run in range(RUNS):
            path = folder / f"train_{size}_{run}.py"
            path.write_text(text)
            result = run_neovim(path, text, folder / f"nvim_{size}_{run}.json")
            versions.add((result["neovim"], result["debounce_ms"]))
            merged["open->first"].append(result["open_ms"])
            for kind in ("characters", "newline", "paste", "undo"):
                merged[kind].extend(result["edits"][kind])
            merged["hover"].extend(result["hover"])
            merged["quick fix"].extend(result["quick_fix"])
            merged["server analysis"].extend(result["server_ms"])
        print(f"{len(text.splitlines()):>6} | " + " | ".join(f"{stats(merged[c]):>22}" for c in columns), flush=True)
    for neovim, debounce in sorted(versions, key=str):
        print(f"Neovim {neovim}; its didChange debounce (flags.debounce_text_changes): {debounce} ms", flush=True)


if __name__ == "__main__":
    main()
