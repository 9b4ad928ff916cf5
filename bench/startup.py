"""`gradguard check one_file.py` start-up: CPU of a whole one-file check against Ruff's; prints, asserts nothing.

A one-file check is what a pre-commit hook or an editor's "run on save" pays for every file: the
interpreter's start, our imports, the analysis. Per round, one cold run (`--no-cache`) of each command
on a small training script, clean (the usual CI run) and with one finding (text output then loads the
fix engine to mark fixable findings); CPU is user+sys of the process (`wait4`), the median is printed.
As installed code runs: a first, untimed run of each command writes the bytecode caches
(PYTHONDONTWRITEBYTECODE is dropped from the environment: without `.pyc` files every start compiles
our sources, 0.5 CPU-s).

Run: python bench/startup.py [--rounds 10] [--ruff PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

TRAINING_SCRIPT = """\
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 2))

    def forward(self, x):
        return self.layers(x)


def evaluate(model, loader):
    model.eval()
    correct = 0
    {with_no_grad}
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
    model.train()
    return correct / len(loader.dataset)


def main():
    data = TensorDataset(torch.randn(256, 16), torch.randint(0, 2, (256,)))
    train_loader = DataLoader(data, batch_size=32, shuffle=True)
    val_loader = DataLoader(data, batch_size=64)
    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(3):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        print(epoch, evaluate(model, val_loader))


if __name__ == "__main__":
    main()
"""
SCRIPTS = {
    "clean": TRAINING_SCRIPT.format(with_no_grad="with torch.no_grad():"),
    "one finding": TRAINING_SCRIPT.format(with_no_grad="with torch.no_grad:"),  # GG101
}


ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def cpu_seconds(command: list[str], cwd: Path) -> float:
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENVIRONMENT)
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime


def python_build() -> str:
    flags = sysconfig.get_config_var("CONFIG_ARGS") or ""
    optimised = [flag for flag in ("--enable-optimizations", "--with-lto") if flag in flags]
    return (
        f"{sys.implementation.name} {sys.version.split()[0]} at {sys.executable}; "
        f"{' '.join(optimised) if optimised else 'no PGO/LTO'} (CONFIG_ARGS: {flags})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--ruff", default=shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gradguard-startup-") as folder_name:
        folder = Path(folder_name)
        commands: dict[str, list[str]] = {}
        for name, text in SCRIPTS.items():
            path = folder / f"{name.replace(' ', '_')}.py"
            path.write_text(text, encoding="utf-8")
            commands[f"gradguard check ({name})"] = [
                sys.executable,
                "-m",
                "gradguard",
                "check",
                "--no-cache",
                path.name,
            ]
            if args.ruff:
                commands[f"ruff check --select ALL ({name})"] = [
                    args.ruff,
                    "check",
                    "--select",
                    "ALL",
                    "--no-cache",
                    "--exit-zero",
                    path.name,
                ]
        for command in commands.values():  # bytecode caches written, files in the page cache
            cpu_seconds(command, folder)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, command in commands.items():  # interleaved: a change in the machine's load hits every command
                times[name].append(cpu_seconds(command, folder))
    print(f"Python: {python_build()}")
    print(f"Median CPU (user+sys) of {args.rounds} runs, {len(TRAINING_SCRIPT.splitlines())}-line training script:")
    for name, values in times.items():
        print(f"  {name:40s} {statistics.median(values):6.3f} s   (min {min(values):.3f}, max {max(values):.3f})")
    if not args.ruff:
        print("  (ruff not found: pass --ruff PATH)")
    print(f"load average: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
