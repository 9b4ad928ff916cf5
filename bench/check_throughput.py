"""`gradguard --check` throughput against Ruff, TorchFix and Fixit: prints a table, asserts nothing.

Lays out the corpus of real PyTorch code (../shared/bench/corpus.sh), installs the peers in their own
virtual environment, then times in rounds, each round running every tool once in a rotated order:
- on the whole corpus: GradGuard cold (--no-cache), GradGuard with a warm cache, Ruff with every rule;
- on a fixed sample (every 20th file): GradGuard cold, TorchFix and Fixit (libcst linters, slow).
Per tool: median CPU seconds (user+sys of the process and its children), median wall seconds,
lines per CPU-second and the largest peak RSS of any one process; then the ratios against GradGuard cold.

Run: nice python bench/check_throughput.py [--corpus DIR] [--rounds N] [--jobs N] [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS_SCRIPT = REPOSITORY.parent / "shared" / "bench" / "corpus.sh"
DEFAULT_PEERS_VENV = Path("/tmp/gradguard-bench-peers")
# torchfix needs only libcst, flake8 and PyYAML; torch is not among its dependencies, so none is installed.
PEERS = ("ruff", "torchfix", "fixit")
SAMPLE_EVERY = 20


@dataclass
class Tool:
    name: str
    command: list[str]
    tree: str  # "corpus" or "sample": which file set it runs on
    cwd: Path
    # counts the files the tool could not check, from its (stdout, stderr)
    failed_files: Callable[[str, str], int] | None = None
    runs: list[dict] = field(default_factory=list)


def lay_out_corpus(corpus_script: Path) -> Path:
    """Runs corpus.sh (it honours GRADGUARD_CORPUS); its first line of output is the corpus folder."""
    result = subprocess.run(["bash", str(corpus_script)], check=True, capture_output=True, text=True)
    folder, *packages = result.stdout.splitlines()
    print("\n".join(packages), file=sys.stderr)
    return Path(folder)


def install_peers(venv: Path) -> Path:
    bin_dir = venv / "bin"
    if not all((bin_dir / peer).exists() for peer in PEERS):
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(bin_dir / "pip"), "install", "-q", *PEERS], check=True)
    return bin_dir


def gradguard_build_stamp() -> tuple[Path, str]:
    """The gradguard package that will run, and its sources' sizes and mtimes: an editable install in a
    shared checkout can change mid-run, which would mix builds in one table (and empty the warm cache)."""
    package = Path(importlib.util.find_spec("gradguard").origin).parent
    digest = hashlib.sha256()
    for source in sorted(package.rglob("*.py")):
        digest.update(f"{source}:{source.stat().st_size}:{source.stat().st_mtime_ns}\n".encode())
    return package, digest.hexdigest()


def python_files(root: Path) -> list[Path]:
    return sorted(path.relative_to(root) for path in root.rglob("*.py"))


def copy_files(source_root: Path, relative_paths: list[Path], destination: Path) -> Path:
    for relative in relative_paths:
        (destination / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source_root / relative, destination / relative)
    return destination


def count_lines(root: Path, relative_paths: list[Path]) -> int:
    return sum((root / relative).read_bytes().count(b"\n") for relative in relative_paths)


def run_timed(tool: Tool, target: Path, output_dir: Path) -> dict:
    stdout_path, stderr_path = output_dir / f"{tool.name}.out", output_dir / f"{tool.name}.err"
    with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen([*tool.command, str(target)], cwd=tool.cwd, stdout=stdout, stderr=stderr)
        # wait4 gives this child's own resource use, including the worker processes it waited for.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    failed = (
        tool.failed_files(stdout_path.read_text(errors="replace"), stderr_path.read_text(errors="replace"))
        if tool.failed_files
        else 0
    )
    return {
        "cpu": usage.ru_utime + usage.ru_stime,
        "wall": wall,
        "rss_mb": usage.ru_maxrss / 1024,
        "exit": process.returncode,
        "failed": failed,
    }


def summarise(tool: Tool, lines: int) -> dict:
    cpu = statistics.median(run["cpu"] for run in tool.runs)
    return {
        "files": tool.tree,
        "cpu": cpu,
        "wall": statistics.median(run["wall"] for run in tool.runs),
        "lines": lines,
        "lines_per_cpu_s": lines / cpu,
        "rss_mb": max(run["rss_mb"] for run in tool.runs),
        "exits": sorted({run["exit"] for run in tool.runs}),
        "failed": max(run["failed"] for run in tool.runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="use this existing tree instead of running corpus.sh")
    parser.add_argument("--corpus-script", type=Path, default=DEFAULT_CORPUS_SCRIPT)
    parser.add_argument("--peers-venv", type=Path, default=DEFAULT_PEERS_VENV)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="processes for gradguard and torchfix (1: CPU figures compare with single-process runs)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: every 20th file stands for the corpus, every 400th for the sample, 1 round",
    )
    args = parser.parse_args()

    corpus_root = args.corpus.resolve() if args.corpus else lay_out_corpus(args.corpus_script)
    peers_bin = install_peers(args.peers_venv)
    rounds = 1 if args.quick else args.rounds

    with tempfile.TemporaryDirectory(prefix="gradguard-bench-") as scratch_name:
        scratch = Path(scratch_name)
        corpus_files = python_files(corpus_root)
        if args.quick:
            corpus_files = corpus_files[::SAMPLE_EVERY]
            corpus_root = copy_files(corpus_root, corpus_files, scratch / "corpus")
        sample_files = corpus_files[::SAMPLE_EVERY]
        sample_root = copy_files(corpus_root, sample_files, scratch / "sample")
        roots = {"corpus": corpus_root, "sample": sample_root}
        lines = {"corpus": count_lines(corpus_root, corpus_files), "sample": count_lines(sample_root, sample_files)}
        # gradguard keeps its cache in .gradguard_cache/ of its working directory: the bench's own folder.
        cache_home, outputs = scratch / "cache-home", scratch / "outputs"
        cache_home.mkdir()
        outputs.mkdir()

        gradguard = [sys.executable, "-m", "gradguard", "--check", "--format", "json", "--jobs", str(args.jobs)]
        tools = [
            Tool("GradGuard cold", [*gradguard, "--no-cache"], "corpus", scratch),
            Tool("GradGuard warm", gradguard, "corpus", cache_home),
            Tool(
                "Ruff",
                [
                    str(peers_bin / "ruff"),
                    "check",
                    "--select",
                    "ALL",
                    "--output-format",
                    "concise",
                    "--no-cache",
                    "--exit-zero",
                ],
                "corpus",
                scratch,
            ),
            Tool("GradGuard cold (sample)", [*gradguard, "--no-cache"], "sample", scratch),
            Tool(
                "TorchFix (sample)",
                [str(peers_bin / "torchfix"), "--select", "ALL", "--jobs", str(args.jobs), "--show-stderr"],
                "sample",
                scratch,
                lambda stdout, stderr: stderr.count("Failed to codemod "),
            ),
            # Fixit has no jobs option: it always uses a process per core; CPU time stays comparable.
            Tool(
                "Fixit (sample)",
                [str(peers_bin / "fixit"), "lint"],
                "sample",
                scratch,
                lambda stdout, stderr: stdout.count(": EXCEPTION: "),
            ),
        ]
        print(
            f"corpus {corpus_root}: {len(corpus_files)} files, {lines['corpus']:,} lines; "
            f"sample {len(sample_files)} files, {lines['sample']:,} lines",
            file=sys.stderr,
        )
        build_before = gradguard_build_stamp()
        run_timed(tools[1], corpus_root, outputs)  # warms the cache
        for round_index in range(rounds):
            rotation = round_index % len(tools)
            for tool in tools[rotation:] + tools[:rotation]:
                tool.runs.append(run_timed(tool, roots[tool.tree], outputs))
                print(f"round {round_index + 1}: {tool.name}: {tool.runs[-1]['cpu']:.1f} CPU s", file=sys.stderr)

        build_after = gradguard_build_stamp()

    results = {tool.name: summarise(tool, lines[tool.tree]) for tool in tools}
    print_report(results, peers_bin, rounds, args.jobs)
    print(f"GradGuard measured: {build_before[0]}")
    if build_after != build_before:
        print("WARNING: gradguard's sources changed during the run: the figures mix builds; run it again.")


def print_report(results: dict[str, dict], peers_bin: Path, rounds: int, jobs: int) -> None:
    print(
        f"Median of {rounds} round(s); peak RSS is the largest single process over all rounds. "
        f"gradguard and torchfix --jobs {jobs}; Ruff is multi-threaded and Fixit uses a process per core, "
        "so CPU seconds, not wall seconds, are the fair comparison.\n"
    )
    print("| tool | files | CPU s | wall s | lines | lines/CPU-s | peak RSS MB | exit codes | files failed |")
    print("|---|---|--:|--:|--:|--:|--:|---|--:|")
    for name, row in results.items():
        print(
            f"| {name} | {row['files']} | {row['cpu']:.2f} | {row['wall']:.2f} "
            f"| {row['lines']:,} | {row['lines_per_cpu_s']:,.0f} | {row['rss_mb']:.0f} "
            f"| {', '.join(map(str, row['exits']))} | {row['failed']} |"
        )
    cold, warm, sample = results["GradGuard cold"], results["GradGuard warm"], results["GradGuard cold (sample)"]
    ratios = [
        ("GradGuard cold CPU / Ruff CPU (same files; goal at most 2)", cold["cpu"] / results["Ruff"]["cpu"]),
        (
            "GradGuard lines/CPU-s / TorchFix's (sample; goal at least 50)",
            sample["lines_per_cpu_s"] / results["TorchFix (sample)"]["lines_per_cpu_s"],
        ),
        (
            "GradGuard lines/CPU-s / Fixit's (sample)",
            sample["lines_per_cpu_s"] / results["Fixit (sample)"]["lines_per_cpu_s"],
        ),
        ("warm-cache speedup, CPU (goal at least 10)", cold["cpu"] / warm["cpu"]),
        ("warm-cache speedup, wall", cold["wall"] / warm["wall"]),
    ]
    print("\n| ratio | value |\n|---|--:|")
    for label, value in ratios:
        print(f"| {label} | {value:.2f}× |")
    versions = [
        subprocess.run([str(peers_bin / peer), "--version"], capture_output=True, text=True).stdout.strip()
        for peer in PEERS
    ]
    print("\nPeers: " + "; ".join(f"{peer} ({version})" for peer, version in zip(PEERS, versions)))


if __name__ == "__main__":
    main()
