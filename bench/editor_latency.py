"""Latency in real editors: prints a table, asserts nothing.

What a user sees, next to what the server itself spends (issue 15), on training scripts of 1,000, 5,000
and 20,000 lines (small train-step functions, one evaluation function at the end with a GG201 finding),
each opened RUNS times in a fresh editor and a fresh server:
- Neovim, headless (push diagnostics): `bench/editor/nvim_latency.lua`, driven as
  `tests/e2e/nvim/drive.lua` drives the e2e test;
- VS Code in code-server (pull diagnostics), in headless Chromium: `bench/editor/vscode_latency.sh` and
  `.js`, with the e2e test's code-server set-up and browser driver (`tests/e2e/vscode/code_server.sh`,
  `workbench.js`; tools from `tests/e2e/vscode/setup.sh`); skipped when the tools are missing. A hover or
  quick fix that never shows (30 s) is counted under the table, and the run goes on. Its edit ->
  diagnostics figures come from the language client's own message trace (edit time -> the first successful
  `textDocument/diagnostic` response sent after the edit's `didChange`), the rest from the UI.
Measured:
- open -> first diagnostics shown, the server's start included (the editor's own start is not);
- edit -> diagnostics shown, for the version of the edit or a later one: characters typed into a
  comment in the middle 150 ms apart (1 s after the first diagnostics), a new line, a pasted function,
  its undo (each of the last three followed by a hover and a quick-fix request on the GG201 finding);
- hover and quick-fix code action, in the editor (VS Code: the command -> the widget shows it);
- the server's own analysis times (its `$/logTrace` "analysed ... in N ms"), median and p95.

Run it in the same go as `bench/lsp_latency.py`, with the load average of the machine:
    uptime; python bench/editor_latency.py; python bench/lsp_latency.py; uptime
One editor, some sizes, fewer runs: `python bench/editor_latency.py --editor vscode --sizes 1000,5000 --runs 2`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = (1_000, 5_000, 20_000)

HEADER = "import torch\nimport torch.nn as nn\n\n\n"
TRAIN_STEP = """\
def train_step_{i}(model, optimizer, x, y):
    # step {i}
    model.train()
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


"""
EVALUATE = """\
def evaluate(model, loader):
    model.eval()
    total = 0.0
    for x, y in loader:
        total += float((model(x) - y).abs().sum())
    return total
"""
PASTE = TRAIN_STEP.format(i="pasted").rstrip("\n") + "\n"


def training_script(lines: int) -> str:
    """Train steps up to `lines`, then the evaluation function (its forward pass is GG201's finding)."""
    steps = max(1, (lines - HEADER.count("\n") - EVALUATE.count("\n")) // TRAIN_STEP.count("\n"))
    return HEADER + "".join(TRAIN_STEP.format(i=i) for i in range(steps)) + EVALUATE


def run_neovim(path: Path, text: str, work: Path) -> dict:
    lines = text.splitlines()
    comments = [n for n, line in enumerate(lines) if line.strip().startswith("# step")]
    out = work / "nvim-latency.json"
    env = {key: value for key, value in os.environ.items() if not key.startswith("XDG_")}
    env.update(
        HOME=str(work / "home"),
        GRADGUARD_PYTHON=sys.executable,
        OUT_FILE=str(out),
        EDIT_LINE=str(comments[len(comments) // 2]),
        PASTE=PASTE.rstrip("\n"),
    )
    Path(env["HOME"]).mkdir()
    driver = HERE / "editor" / "nvim_latency.lua"
    run = subprocess.run(
        ["nvim", "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {driver}", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if run.returncode != 0:
        raise RuntimeError(f"nvim exited {run.returncode}: {run.stderr[-2000:]}")
    return json.loads(out.read_text())


VSCODE_TOOLS = Path(os.environ.get("PREFIX", "/tmp/gradguard-e2e-tools"))
LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \[\w+\] (.*)$")
SERVER_ANALYSIS = re.compile(r"analysed .* in (\d+) ms")


def run_vscode(path: Path, text: str, work: Path) -> dict:
    lines = text.splitlines()
    comments = [n for n, line in enumerate(lines) if line.strip().startswith("# step")]
    comment = comments[len(comments) // 2]
    blank = next(n for n in range(comment, len(lines) - 1) if lines[n] == lines[n + 1] == "")
    env = dict(
        os.environ,
        WORK=str(work),
        SCRIPT=str(path),
        GRADGUARD_PYTHON=sys.executable,
        COMMENT_LINE=str(comment + 1),
        BLANK_LINE=str(blank + 2),
        FINDING="((model(x",
        PASTE=PASTE + "\n",
    )
    run = subprocess.run(
        [str(HERE / "editor" / "vscode_latency.sh")], env=env, capture_output=True, text=True, timeout=1800
    )
    if run.returncode != 0:
        raise RuntimeError(f"vscode_latency.sh exited {run.returncode}: {run.stderr[-2000:]}")
    result = json.loads((work / "out" / "vscode-latency.json").read_text())
    trace = _client_trace((work / "out" / "client.log").read_text())
    result["edits"] = {
        kind: [latency for at in times if (latency := _pull_latency(trace, at)) is not None]
        for kind, times in result["edits"].items()
    }
    result["server_ms"] = [int(m.group(1)) for _, message in trace if (m := SERVER_ANALYSIS.search(message))]
    return result


def _client_trace(log: str) -> list[tuple[float, str]]:
    """(epoch milliseconds, message) of each line of the extension's log (the machine's clock, in UTC)."""
    found = []
    for line in log.splitlines():
        if m := LOG_LINE.match(line):
            at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
            found.append((at.timestamp() * 1000, m.group(2)))
    return found


def _pull_latency(trace: list[tuple[float, str]], edit_at: float) -> float | None:
    """Edit -> the first successful diagnostic pull sent after the edit's didChange came back."""
    change = next(
        (at for at, message in trace if at >= edit_at and "Sending notification 'textDocument/didChange'" in message),
        None,
    )
    if change is None:
        return None
    sent = {}
    for at, message in trace:
        if at < change:
            continue
        if m := re.match(r"Sending request 'textDocument/diagnostic - \((\d+)\)'", message):
            sent[m.group(1)] = at
        elif (
            (m := re.match(r"Received response 'textDocument/diagnostic - \((\d+)\)'", message))
            and m.group(1) in sent
            and "Request failed" not in message
        ):
            return at - edit_at
    return None


def stats(samples: list[float]) -> str:
    if not samples:
        return f"{'-':>8} {'-':>8} {0:>4}"
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):8.0f} {p95:8.0f} {len(ordered):4d}"


COLUMNS = ("open->first", "characters", "newline", "paste", "undo", "hover", "quick fix", "server analysis")


def table(editor: str, run_one, sizes: list[int], runs: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix=f"gradguard-{editor.split()[0].lower()}-bench-"))
    print(f"\n{editor}, {runs} runs per size; milliseconds: median p95 n", flush=True)
    print(f"{'lines':>6} | " + " | ".join(f"{c:>22}" for c in COLUMNS), flush=True)
    for size in sizes:
        text = training_script(size)
        merged: dict[str, list[float]] = {c: [] for c in COLUMNS}
        missed = {"hover": 0, "quick_fix": 0}
        for run in range(runs):
            # the script alone in its folder: the server indexes the workspace folder, and the scripts of
            # other runs there would make every run slower than the one before
            work = folder / f"run_{size}_{run}"
            path = work / "project" / f"train_{size}.py"
            path.parent.mkdir(parents=True)
            path.write_text(text)
            result = run_one(path, text, work)
            merged["open->first"].append(result["open_ms"])
            for kind in ("characters", "newline", "paste", "undo"):
                merged[kind].extend(result["edits"][kind])
            merged["hover"].extend(result["hover"])
            merged["quick fix"].extend(result["quick_fix"])
            merged["server analysis"].extend(result["server_ms"])
            for kind in missed:
                missed[kind] += result.get("missed", {}).get(kind, 0)
        print(f"{len(text.splitlines()):>6} | " + " | ".join(f"{stats(merged[c]):>22}" for c in COLUMNS), flush=True)
        if any(missed.values()):
            print(f"{'':>6}   never shown: {missed['hover']} hovers, {missed['quick_fix']} quick fixes", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Latency in real editors (see the module's docstring).")
    parser.add_argument("--editor", choices=("neovim", "vscode"), help="only this editor (default: both)")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="file sizes in lines, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="fresh editor and server per size (default: 3)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if args.editor != "vscode":
        run_editor_neovim(sizes, args.runs)
    if args.editor != "neovim":
        run_editor_vscode(sizes, args.runs)


def run_editor_neovim(sizes: list[int], runs: int) -> None:
    if shutil.which("nvim") is None:
        print("Neovim: not installed (Debian: apt-get install neovim)")
    else:
        table("Neovim (push diagnostics)", run_neovim, sizes, runs)
        print(
            "(Neovim's didChange debounce: flags.debounce_text_changes, unset = none; the server's: "
            "gradguard.lsp.state.CHANGE_DEBOUNCE_SECONDS)"
        )


def run_editor_vscode(sizes: list[int], runs: int) -> None:
    if not (VSCODE_TOOLS / "cs").is_dir() or shutil.which("chromium") is None:
        print(
            f"VS Code: code-server or chromium missing (tests/e2e/vscode/setup.sh installs them under {VSCODE_TOOLS})"
        )
    else:
        table("VS Code in code-server (pull diagnostics)", run_vscode, sizes, runs)


if __name__ == "__main__":
    main()
