"""GradGuard's quality on real PyTorch code: prints tables, asserts nothing.

Reads the labelled set in bench/real_quality/ (coordinates only; the sources come from the fetched
mirrors under /work/.mirror/<owner>+<name>/):
- cases.toml: `bug` cases (a real fix commit: the buggy parent and the fix) and `correct` functions
  (evaluation done right, and code that needs gradients);
- reviews.toml: every GG2xx finding of a baseline run on whole repositories (and the corpus), each
  judged by hand as true / false / debatable.

For each repository and commit it writes the Python files of that commit to a temporary folder and
runs `gradguard --check --format json --no-cache` on the whole tree, so the analysis sees the real
project (cross-file index). Then it prints:
- recall on the buggy versions: a bug is found when a finding of one of the case's `expect` rules
  lands inside the function's line range;
- fixed versions still flagged by one of those rules inside the fixed function;
- findings inside the correct functions (every one is false);
- precision per rule against the reviews; findings at unreviewed locations are listed as
  "needs review", reviewed findings no longer reported as "gone".
Each miss and each false finding is listed with path:line, rule and message.
Cases of a `sample` (a set gathered later and kept apart from tuning) also count in rows of their own,
e.g. "GG201 [s7]" and "all [s7]"; notebook cases name their `cell`.

Run (the GradGuard under test, in order of precedence):
    python bench/real_quality.py                       # gradguard importable in this interpreter
    python bench/real_quality.py --src /work/main      # the checkout at /work/main (its server/)
    python bench/real_quality.py --gradguard "/work/main/.venv/bin/gradguard"
Options: --only bugs,correct,reviews  --skip-corpus  --jobs N  --mirrors DIR  --corpus DIR
Missing mirrors are named with the repository to fetch; their cases are skipped and counted.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

DATA = Path(__file__).resolve().parent / "real_quality"
DEFAULT_MIRRORS = Path("/work/.mirror")
DEFAULT_CORPUS = Path("/work/corpus/src")
CORPUS = "corpus"  # the `repo` of reviews made on the corpus tree (no commit)


@dataclass(frozen=True)
class Finding:
    path: str
    cell: int | None  # notebook cell index; lines then count within the cell
    line: int
    code: str
    message: str

    def show(self, repo: str) -> str:
        cell = f"[cell {self.cell}]" if self.cell is not None else ""
        return f"{repo}:{self.path}{cell}:{self.line} {self.code} {self.message[:150]}"


@dataclass
class Tally:
    total: int = 0
    hits: int = 0
    items: list[str] = field(default_factory=list)


def git_dir(mirrors: Path, repo: str) -> Path | None:
    base = mirrors / repo.replace("/", "+") / "repo"
    for candidate in (base / ".git", base):
        if (candidate / "HEAD").is_file():
            return candidate
    return None


def write_tree(gitdir: Path, commit: str, into: Path) -> None:
    """The .py and .ipynb files of `commit`, read with cat-file (mirrors are bare)."""
    names = subprocess.run(
        ["git", "--git-dir", str(gitdir), "ls-tree", "-r", "--name-only", commit],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    names = [n for n in names if n.endswith((".py", ".ipynb"))]
    blob = subprocess.run(
        ["git", "--git-dir", str(gitdir), "cat-file", "--batch"],
        input="".join(f"{commit}:{n}\n" for n in names).encode(),
        capture_output=True,
        check=True,
    ).stdout
    at = 0
    for name in names:
        header_end = blob.index(b"\n", at)
        header = blob[at:header_end].split()
        if header[-1] == b"missing":  # a submodule or a file too large for the snapshot
            at = header_end + 1
            continue
        size = int(header[2])
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob[header_end + 1 : header_end + 1 + size])
        at = header_end + 1 + size + 1


def run_gradguard(command: list[str], env: dict[str, str], tree: Path) -> list[Finding]:
    done = subprocess.run(
        [*command, "--check", "--format", "json", "--no-cache", "."],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    if not done.stdout.lstrip().startswith("["):  # files that do not parse only add to stderr
        raise RuntimeError(f"gradguard failed on {tree}: {done.stderr[-2000:]}")
    return [
        Finding(
            os.path.normpath(item["filename"]),
            item.get("cell"),
            item["location"]["row"],
            item["code"],
            item["message"],
        )
        for item in json.loads(done.stdout or "[]")
    ]


class Runner:
    """Findings per (repo, commit), each tree analysed once."""

    def __init__(self, command: list[str], env: dict[str, str], mirrors: Path, corpus: Path):
        self.command, self.env, self.mirrors, self.corpus = command, env, mirrors, corpus
        self.findings: dict[tuple[str, str], list[Finding]] = {}

    def analyse(self, key: tuple[str, str]) -> None:
        repo, commit = key
        if repo == CORPUS:
            self.findings[key] = run_gradguard(self.command, self.env, self.corpus)
            return
        with tempfile.TemporaryDirectory(prefix="gg-real-") as tmp:
            write_tree(git_dir(self.mirrors, repo), commit, Path(tmp))
            self.findings[key] = run_gradguard(self.command, self.env, Path(tmp))

    def analyse_all(self, keys: set[tuple[str, str]], jobs: int) -> None:
        todo = sorted(keys)
        with ThreadPoolExecutor(jobs) as pool:
            for index, _ in enumerate(pool.map(self.analyse, todo), 1):
                if sys.stderr.isatty():
                    print(f"\ranalysed {index}/{len(todo)} trees", end="", file=sys.stderr, flush=True)
        print(f"analysed {len(todo)} trees", file=sys.stderr)

    def inside(self, repo: str, commit: str, path: str, lines: list[int], cell: int | None = None) -> list[Finding]:
        """Findings within `lines` of `path` (of notebook cell `cell`: lines then count within the cell)."""
        return [
            f
            for f in self.findings[(repo, commit)]
            if f.path == path and f.cell == cell and lines[0] <= f.line <= lines[1]
        ]


def source_at(mirrors: Path, repo: str, commit: str, path: str, cell: int | None = None) -> str:
    """The file's text, or for a notebook the source of its cell number `cell` (1-based, all cells counted)."""
    text = subprocess.run(
        ["git", "--git-dir", str(git_dir(mirrors, repo)), "show", f"{commit}:{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if cell is None:
        return text
    source = json.loads(text)["cells"][cell - 1]["source"]
    return source if isinstance(source, str) else "".join(source)


def definitions_in(node: ast.AST):
    """Functions and classes directly in `node`'s body, also under if/try/with/loops (not nested defs)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield child
        elif isinstance(child, ast.stmt):
            yield from definitions_in(child)


def label_problem(source: str, function: str, lines: list[int]) -> str | None:
    """Why a recorded (function, lines) does not match the file, or None when it does."""
    if function == "<module>":
        return None if lines[1] <= source.count("\n") + 1 else "lines past the end of the file"
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return f"does not parse: {error}"
    scope: list[ast.AST] = [tree]
    for name in function.split("."):
        found = [node for parent in scope for node in definitions_in(parent) if node.name == name]
        if not found:
            return f"no {name!r} in scope"
        scope = found
    for node in scope:  # the whole function, or a block inside it
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        if start <= lines[0] and lines[1] <= node.end_lineno and (lines[0] == start or lines[0] > node.lineno):
            return None
    return f"{function} does not hold lines {lines}"


def table(title: str, header: list[str], rows: list[list[object]]) -> None:
    print(f"\n## {title}\n")
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())


def ratio(hits: int, total: int) -> str:
    return f"{hits}/{total} ({hits / total:.0%})" if total else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    chooser = parser.add_mutually_exclusive_group()
    chooser.add_argument("--gradguard", help="command that runs GradGuard (e.g. a venv's gradguard)")
    chooser.add_argument("--src", type=Path, help="a GradGuard checkout whose server/ to import")
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--skip-corpus", action="store_true", help="leave out reviews on the corpus")
    parser.add_argument("--only", default="bugs,correct,reviews")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    parts = set(args.only.split(","))

    env = dict(os.environ)
    if args.gradguard:
        command = shlex.split(args.gradguard)
    else:
        command = [sys.executable, "-m", "gradguard"]
        if args.src:
            env["PYTHONPATH"] = str(args.src.resolve() / "server")
    version = subprocess.run([*command, "--version"], env=env, capture_output=True, text=True)
    print(f"GradGuard under test: {' '.join(command)} ({version.stdout.strip() or version.stderr.strip()})")

    cases = tomllib.loads((DATA / "cases.toml").read_text())
    reviews = tomllib.loads((DATA / "reviews.toml").read_text()) if (DATA / "reviews.toml").exists() else {}
    bugs = cases.get("bug", []) if "bugs" in parts else []
    correct = cases.get("correct", []) if "correct" in parts else []
    verdicts = reviews.get("finding", []) if "reviews" in parts else []
    scopes = reviews.get("scope", []) if "reviews" in parts else []
    if args.skip_corpus:
        scopes = [s for s in scopes if s["repo"] != CORPUS]
        verdicts = [v for v in verdicts if v["repo"] != CORPUS]

    wanted = {c["repo"] for c in bugs + correct} | {s["repo"] for s in scopes if s["repo"] != CORPUS}
    missing = sorted(r for r in wanted if git_dir(args.mirrors, r) is None)
    if missing:
        print(
            f"\n{len(missing)} mirror(s) missing under {args.mirrors}: "
            "fetch them (search tool `fetch github:OWNER/NAME`), their cases are skipped:"
        )
        for repo in missing:
            print(f"  fetch github:{repo}")
    bugs = [c for c in bugs if c["repo"] not in missing]
    correct = [c for c in correct if c["repo"] not in missing]
    scopes = [s for s in scopes if s["repo"] not in missing]

    problems = []
    for case in bugs:
        for commit, path, function, lines, cell in (
            (case["buggy_commit"], case["path"], case["function"], case["lines"], case.get("cell")),
            (
                case["fixed_commit"],
                case.get("fixed_path", case["path"]),
                case.get("fixed_function", case["function"]),
                case["fixed_lines"],
                case.get("fixed_cell", case.get("cell")),
            ),
            *(
                (case[side], site["path"], site["function"], site[key], None)
                for site in case.get("call_sites", [])
                for side, key in (("buggy_commit", "lines"), ("fixed_commit", "fixed_lines"))
            ),
        ):
            problem = label_problem(source_at(args.mirrors, case["repo"], commit, path, cell), function, lines)
            if problem:
                problems.append(f"{case['repo']}@{commit[:7]}:{path} {problem}")
    for case in correct:
        problem = label_problem(
            source_at(args.mirrors, case["repo"], case["commit"], case["path"], case.get("cell")),
            case["function"],
            case["lines"],
        )
        if problem:
            problems.append(f"{case['repo']}@{case['commit'][:7]}:{case['path']} {problem}")
    if problems:
        print("\nLabels that do not match their files (fix the data):")
        for problem in problems:
            print(f"  {problem}")

    keys = {(c["repo"], c["buggy_commit"]) for c in bugs} | {(c["repo"], c["fixed_commit"]) for c in bugs}
    keys |= {(c["repo"], c["commit"]) for c in correct} | {(s["repo"], s.get("commit", "")) for s in scopes}
    runner = Runner(command, env, args.mirrors, args.corpus)
    runner.analyse_all(keys, args.jobs)

    if bugs:
        report_bugs(runner, bugs)
    if correct:
        report_correct(runner, correct)
    if scopes:
        report_reviews(runner, scopes, verdicts)
    return 0


def buggy_sites(case: dict) -> list[tuple[str, list[int], int | None]]:
    """Where a finding counts for a bug: the function (or notebook cell), and the call sites it names
    (a train-mode leak is reported where the caller goes on training)."""
    return [
        (case["path"], case["lines"], case.get("cell")),
        *((s["path"], s["lines"], None) for s in case.get("call_sites", [])),
    ]


def fixed_sites(case: dict) -> list[tuple[str, list[int], int | None]]:
    return [
        (case.get("fixed_path", case["path"]), case["fixed_lines"], case.get("fixed_cell", case.get("cell"))),
        *((s["path"], s["fixed_lines"], None) for s in case.get("call_sites", [])),
    ]


def rows_of(label: str, case: dict) -> list[str]:
    """The table rows a case (or review scope) counts in for `label`: the label, and the label within the
    case's sample (e.g. "GG201 [s7]") when it belongs to one, so that a sample not used for tuning can be
    read apart."""
    return [label, f"{label} [{case['sample']}]"] if "sample" in case else [label]


def row_order(label: str) -> tuple[str, bool, str]:
    """Rules, then "all", first for the whole set, then for each sample."""
    name, _, sample = label.partition(" [")
    return sample, name == "all", name


def report_bugs(runner: Runner, bugs: list[dict]) -> None:
    recall: dict[str, Tally] = defaultdict(Tally)
    still: dict[str, Tally] = defaultdict(Tally)
    misses, flagged = [], []
    for case in bugs:
        expect = set(case["expect"])
        group = "/".join(sorted(expect))
        found = [
            f
            for path, lines, cell in buggy_sites(case)
            for f in runner.inside(case["repo"], case["buggy_commit"], path, lines, cell)
            if f.code in expect
        ]
        after = [
            f
            for path, lines, cell in fixed_sites(case)
            for f in runner.inside(case["repo"], case["fixed_commit"], path, lines, cell)
            if f.code in expect
        ]
        for label in rows_of(group, case) + rows_of("all", case):
            recall[label].total += 1
            recall[label].hits += bool(found)
            still[label].total += 1
            still[label].hits += bool(after)
        cell = f"[cell {case['cell']}]" if "cell" in case else ""
        sample = f"[{case['sample']}] " if "sample" in case else ""
        where = (
            f"{sample}{case['repo']}@{case['buggy_commit'][:7]}:{case['path']}{cell}:"
            f"{case['lines'][0]}-{case['lines'][1]}"
        )
        if not found:
            other = runner.inside(case["repo"], case["buggy_commit"], case["path"], case["lines"], case.get("cell"))
            note = "; other findings there: " + ", ".join(f"{f.code}@{f.line}" for f in other) if other else ""
            misses.append(f"{where} {case['function']} (expect {group}){note}\n      {case['reason'][:160]}")
        flagged += [f.show(case["repo"] + "@" + case["fixed_commit"][:7]) for f in after]
    rows = [
        [g, ratio(recall[g].hits, recall[g].total), ratio(still[g].hits, still[g].total)]
        for g in sorted(recall, key=row_order)
    ]
    table("Bug-fix commits (function level)", ["expected rules", "recall on buggy", "fixed still flagged"], rows)
    print(f"\nMissed bugs ({len(misses)}):")
    for line in misses:
        print(f"  {line}")
    print(f"\nFixed versions still flagged ({len(flagged)}):")
    for line in flagged:
        print(f"  {line}")


def report_correct(runner: Runner, correct: list[dict]) -> None:
    per_rule: Counter[str] = Counter()
    flagged: dict[str, Tally] = defaultdict(Tally)  # functions flagged, per "all" row
    false = []
    for case in correct:
        found = runner.inside(case["repo"], case["commit"], case["path"], case["lines"], case.get("cell"))
        for label in rows_of("all", case):
            flagged[label].total += 1
            flagged[label].hits += bool(found)
        for f in found:
            per_rule.update(rows_of(f.code, case) + rows_of("all", case))
        sample = f"[{case['sample']}] " if "sample" in case else ""
        false += [sample + f.show(case["repo"] + "@" + case["commit"][:7]) for f in found]
    per_rule.update({label: 0 for label in flagged})  # an "all" row for every sample, even without findings
    rows = [
        [label, n, ratio(flagged[label].hits, flagged[label].total) if label in flagged else ""]
        for label, n in sorted(per_rule.items(), key=lambda item: row_order(item[0]))
    ]
    table(
        f"Correct functions: {ratio(flagged['all'].hits, flagged['all'].total)} flagged",
        ["rule", "false findings", "functions flagged"],
        rows,
    )
    for line in false:
        print(f"  {line}")


def report_reviews(runner: Runner, scopes: list[dict], verdicts: list[dict]) -> None:
    judged = {(v["repo"], v.get("commit", ""), v["path"], v.get("cell"), v["line"], v["rule"]): v for v in verdicts}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    unreviewed, seen = [], set()
    for scope in scopes:
        key = (scope["repo"], scope.get("commit", ""))
        for finding in runner.findings[key]:
            if not finding.code.startswith("GG2"):
                continue
            where = (*key, finding.path, finding.cell, finding.line, finding.code)
            verdict = judged.get(where)
            labels = rows_of(finding.code, scope) + rows_of("all", scope)
            if verdict is None:
                for label in labels:
                    counts[label]["needs review"] += 1
                unreviewed.append(finding.show(f"{scope['repo']}@{key[1][:7]}"))
                continue
            seen.add(where)
            for label in labels:
                counts[label][verdict["verdict"]] += 1
    gone = [key for key in judged if key[:2] in {(s["repo"], s.get("commit", "")) for s in scopes} and key not in seen]
    gone_true = sum(judged[k]["verdict"] == "true" for k in gone)
    rows = []
    for code in sorted(counts, key=row_order):
        c = counts[code]
        reviewed = c["true"] + c["false"] + c["debatable"]
        rows.append([code, c["true"], c["false"], c["debatable"], ratio(c["true"], reviewed), c["needs review"]])
    table(
        f"Reviewed findings on {len(scopes)} trees (precision = true / reviewed)",
        ["rule", "true", "false", "debatable", "precision", "needs review"],
        rows,
    )
    print(f"\nReviewed findings no longer reported: {len(gone)} ({gone_true} of them true)")
    for key in gone:
        v = judged[key]
        cell = f"[cell {key[3]}]" if key[3] is not None else ""
        print(f"  [{v['verdict']}] {key[0]}:{key[2]}{cell}:{key[4]} {key[5]} {v['reason'][:120]}")
    false = [v for k, v in judged.items() if k in seen and v["verdict"] != "true"]
    print(f"\nFalse or debatable findings still reported ({len(false)}):")
    for v in false:
        cell = f"[cell {v['cell']}]" if "cell" in v else ""
        print(f"  [{v['verdict']}] {v['repo']}:{v['path']}{cell}:{v['line']} {v['rule']} {v['reason'][:120]}")
    print(f"\nNeeds review ({len(unreviewed)}):")
    for line in unreviewed:
        print(f"  {line}")


if __name__ == "__main__":
    sys.exit(main())
