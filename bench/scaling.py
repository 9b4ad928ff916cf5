"""How `gradguard --check` scales with the size of one file: prints a table, asserts nothing.

The file is a training/evaluation script (an `@torch.no_grad()` evaluate helper and a fit loop that
calls it) repeated with numbered names until it has the asked number of lines. For each size it
times `ast.parse` of the file (the floor: no analysis can be faster than reading the tree) and
`gradguard --check --no-cache --jobs 1 FILE` in a child process (user+sys CPU seconds), for this
checkout and, with `--gradguard-src DIR`, for another checkout (e.g. the commit before a change),
in the same go so that both see the same machine load. Linear analysis keeps "s per 100k lines" flat.

Run: nice python bench/scaling.py [--sizes 50000,100000,200000] [--rounds N] [--gradguard-src DIR ...]
"""

from __future__ import annotations

import argparse
import ast
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
HEADER = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
UNIT = """

@torch.no_grad()
def evaluate_{n}(model: nn.Module, loader) -> float:
    model.eval()
    correct = total = 0
    for images, labels in loader:
        correct += (model(images).argmax(dim=1) == labels).sum().item()
        total += labels.numel()
    return correct / total


def fit_{n}(model: nn.Module, train_loader, val_loader, epochs: int = 30):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    for epoch in range(epochs):
        for images, labels in train_loader:
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        val_acc = evaluate_{n}(model, val_loader)  # leaves the model in eval mode: GG203
        print(f"epoch {{epoch:3d}}  val acc {{val_acc:.4f}}")
    return val_acc
"""
# Runs the CLI of whichever checkout is first on sys.path (PYTHONPATH), and says which one it was.
CHILD = (
    "import sys, gradguard.cli; print(gradguard.cli.__file__, file=sys.stderr); "
    "sys.exit(gradguard.cli.main(sys.argv[1:]))"
)


def program(lines: int) -> str:
    parts, count, n = [HEADER], HEADER.count("\n"), 0
    while count < lines:
        unit = UNIT.format(n=n)
        parts.append(unit)
        count += unit.count("\n")
        n += 1
    return "".join(parts)


def parse_seconds(source: str) -> float:
    start = time.process_time()
    ast.parse(source)
    return time.process_time() - start


def check_seconds(server_dir: Path, path: Path) -> tuple[float, int]:
    """CPU seconds of one `--check` run of the checkout whose package folder is `server_dir`, and its findings."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    environment = {**os.environ, "PYTHONPATH": str(server_dir)}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, "--check", "--no-cache", "--jobs", "1", str(path)],
        env=environment,
        capture_output=True,
        text=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    loaded = result.stderr.splitlines()[0] if result.stderr else ""
    if result.returncode not in (0, 1) or not loaded.startswith(str(server_dir)):
        raise SystemExit(f"{server_dir}: exit {result.returncode}, ran {loaded!r}\n{result.stderr[-2000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), result.stdout.count(": GG")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50000,100000,200000", help="lines per file, comma-separated")
    parser.add_argument("--rounds", type=int, default=1, help="runs per size and checkout (the median is shown)")
    parser.add_argument(
        "--gradguard-src",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="another checkout to time in the same go (its server/ folder is put on PYTHONPATH)",
    )
    args = parser.parse_args()
    checkouts = [REPOSITORY, *(src.resolve() for src in args.gradguard_src)]
    print(f"{'checkout':<32} {'lines':>7} {'parse s':>8} {'check s':>8} {'s/100k lines':>13} {'findings':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(text) for text in args.sizes.split(",")):
            source = program(size)
            path = Path(folder) / f"script_{size}.py"
            path.write_text(source)
            lines = source.count("\n")
            parse = statistics.median(parse_seconds(source) for _ in range(args.rounds))
            for checkout in checkouts:
                runs = [check_seconds(checkout / "server", path) for _ in range(args.rounds)]
                seconds = statistics.median(seconds for seconds, _ in runs)
                print(
                    f"{str(checkout)[-32:]:<32} {lines:>7} {parse:>8.2f} {seconds:>8.2f} "
                    f"{seconds / lines * 100_000:>13.2f} {runs[0][1]:>9}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
