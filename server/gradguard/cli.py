"""`gradguard check|server|rule|version`, as Ruff's commands; `--check`, `--explain`, `--list-rules`,
`--version` and bare server flags are older spellings of them.

Findings go to stdout in the chosen format. Everything else goes to stderr, one line
each, so stdout stays machine-readable:

    path: error: message              a file that could not be read, decoded or walked
    path:line:col: error: message     a file that does not parse (or nests too deeply)
    path: warning: message            e.g. an unknown key in [tool.gradguard]

Exit status: 0 no findings (or --exit-zero), 1 findings (or, with --diff, changes to show), 2 a usage
error or any file that could not be checked; the other files are checked all the same.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from . import __version__
from .analysis import KNOWN_SELECTORS, unknown_selectors
from .cache import CACHE_DIR, symlink_in
from .checking import FileResult, Options, Problem, Task, check_all
from .files import Skipped, WriteRefused, folders_checked, glob_matches, walk, write_atomically
from .formats import TextStyle, plural, printable, problem_line, render
from .project import Project, ProjectProblem, Projects
from .rules import RULES, find_rule

COMMANDS = ("check", "server", "rule", "version")
SERVER_FLAGS = ("--stdio", "--tcp", "--host", "--port")  # the language server's options (`lsp.server`)
# The spellings before subcommands: `gradguard --check PATH`, `--explain CODE`, `--list-rules`, `--version`.
ALIASES = {"--check": ["check"], "--list-rules": ["rule", "--all"], "--explain": ["rule"], "--version": ["version"]}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradguard",
        description="Find and fix autograd-scope mistakes in PyTorch code.",
        epilog="Without a command, gradguard serves LSP on stdio when its input is not a terminal (as an editor "
        "starts it) and prints this help on a terminal. `gradguard --check PATH` is `gradguard check PATH`.",
    )
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    _add_check_options(
        commands.add_parser("check", help="check files and folders (default: .), print the findings, fix them")
    )
    # Parsed by the server itself (see `main`): listed here for the help.
    commands.add_parser(
        "server", help="serve the Language Server Protocol: --stdio (default) or --tcp [--host H] [--port N]"
    )
    rule = commands.add_parser("rule", help="explain a rule (code or slug), or list every rule with --all")
    which = rule.add_mutually_exclusive_group(required=True)
    which.add_argument("code", nargs="?", metavar="CODE|SLUG")
    which.add_argument("--all", action="store_true", help="list every rule: code, slug, severity, summary")
    commands.add_parser("version", help="print the version")
    return parser


def _add_check_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to check (default: .)")
    parser.add_argument(
        "--output-format", "--format", dest="format", choices=("text", "json", "sarif", "github"), default="text"
    )
    parser.add_argument(
        "--statistics", action="store_true", help="text: one line per rule with its count, not one per finding"
    )
    parser.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even with findings (2 still means a usage error or a file not checked)",
    )
    change = parser.add_mutually_exclusive_group()
    change.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    change.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; change nothing")
    change.add_argument("--add-noqa", action="store_true", help="append `# noqa: GGnnn` to every finding's line")
    parser.add_argument("--unsafe-fixes", action="store_true", help="with --fix/--diff: also apply unsafe fixes")
    parser.add_argument(
        "--select", type=_codes, help="only these rules: codes, prefixes (GG2) or slugs, comma-separated"
    )
    parser.add_argument("--ignore", type=_codes, help="skip these rules (codes, prefixes or slugs)")
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip matching paths")
    parser.add_argument("--config", type=Path, metavar="PYPROJECT", help="use this file's [tool.gradguard]")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write .gradguard_cache/")
    parser.add_argument("--jobs", type=_positive, default=os.cpu_count() or 1, metavar="N")


def _codes(text: str) -> tuple[str, ...]:
    codes = tuple(token.strip() for token in text.split(",") if token.strip())
    if unknown := unknown_selectors(codes):
        raise argparse.ArgumentTypeError(f"unknown rule code or slug: {', '.join(unknown)}; expected {KNOWN_SELECTORS}")
    return codes


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("must be a positive whole number")
    return int(text)


def main(argv: list[str]) -> int:
    if not argv:
        if sys.stdin.isatty():  # someone typed `gradguard`: an editor would give a pipe
            build_parser().print_help()
            return 2
        return _serve([])
    argv = _spelled_as_command(argv)
    if argv[0] == "server":
        return _serve(argv[1:])
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit:  # argparse: --help (0) or a usage error (2)
        return int(exit.code or 0)
    if args.command == "version":
        print(f"gradguard {__version__}")
        return 0
    if args.command == "rule":
        return _rule(args.code, args.all)
    if args.config is not None and not args.config.is_file():
        print(f"gradguard: error: --config {printable(str(args.config))}: no such file", file=sys.stderr)
        return 2
    return run_check(args)


def _spelled_as_command(argv: list[str]) -> list[str]:
    """The old spellings as commands: `--check PATH` is `check PATH`, `--explain X` is `rule X`, and
    bare server flags (`--tcp --port 2087`) are `server ...`. Options given without a command (`--fix
    a.py`) mean `check`."""
    if argv[0] in COMMANDS or not argv[0].startswith("-") or argv[0] in ("-h", "--help"):
        return argv
    names = [arg.split("=", 1)[0] for arg in argv]
    for flag, command in ALIASES.items():
        if flag in names:
            at = names.index(flag)
            value = [argv[at].split("=", 1)[1]] if "=" in argv[at] else []
            return command + value + argv[:at] + argv[at + 1 :]
    if all(name in SERVER_FLAGS for name in names if name.startswith("-")):
        return ["server", *argv]
    return ["check", *argv]


def _serve(argv: list[str]) -> int:
    from .lsp.server import main as serve  # pygls and the server only when serving

    return serve(argv)


def _rule(code: str | None, all_rules: bool) -> int:
    if all_rules:
        for listed in RULES:
            print(f"{listed.code}  {listed.slug:<34} {listed.severity:<8} {listed.summary}")
        return 0
    rule = find_rule(code or "")
    if rule is None:
        print(f"gradguard: error: no rule {code!r}; see `gradguard rule --all`", file=sys.stderr)
        return 2
    print(rule.explanation(), end="")
    return 0


def run_check(args: argparse.Namespace) -> int:
    overrides = {"select": args.select, "ignore": args.ignore}
    projects = Projects(overrides, args.config)
    options = Options(
        with_fixes=args.format in ("text", "json", "sarif"),
        apply_fixes=args.fix or args.diff,
        unsafe_fixes=args.unsafe_fixes,
        add_noqa=args.add_noqa,
        cache_dir=None if args.no_cache else _cache_folder(),
        write_into=folders_checked(args.paths or ["."]) if args.fix or args.add_noqa else None,
    )
    extra_excludes = tuple(glob for item in args.exclude for glob in item.split(",") if glob)
    entries = list(_plan(args.paths or ["."], projects, options, extra_excludes))
    tasks = [entry for entry in entries if isinstance(entry, Task)]
    checked = iter(check_all(tasks, args.jobs))  # in the order given, whatever --jobs is
    results = [next(checked) if isinstance(entry, Task) else entry for entry in entries]
    results = [_write(result, options) for result in results]

    for result in results:
        for note in result.notes:
            print(printable(f"{result.path}: note: {note}"), file=sys.stderr)
        for problem in result.problems:
            print(problem_line(result, problem), file=sys.stderr)
    changed = [r for r in results if r.new_text is not None]
    if args.diff:
        sys.stdout.write("".join(_diff(r) for r in changed))
        print(f"Would fix {_counted(changed, 'finding')}.{_unsafe_hint(results, args.unsafe_fixes)}", file=sys.stderr)
    elif args.add_noqa:
        print(f"Added {_counted(changed, 'noqa comment', 'to')}.", file=sys.stderr)
    else:
        if args.fix:
            print(f"Fixed {_counted(changed, 'finding')}.{_unsafe_hint(results, args.unsafe_fixes)}", file=sys.stderr)
        style = TextStyle(colour=_colour(sys.stdout), unsafe_fixes=args.unsafe_fixes, statistics=args.statistics)
        sys.stdout.write(render(args.format, results, style))
    if any(r.problems for r in results):
        return 2
    if args.add_noqa or args.exit_zero:
        return 0
    return 1 if (changed if args.diff else any(r.findings for r in results)) else 0


def _colour(stream: TextIO) -> bool:
    """On a terminal, unless NO_COLOR says otherwise; FORCE_COLOR colours a pipe too (the order CPython follows)."""
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or stream.isatty()


def _cache_folder() -> str | None:
    """The results cache in the working directory, unless a symlink there could make it write elsewhere."""
    folder = Path.cwd() / CACHE_DIR
    if (link := symlink_in(folder)) is not None:
        print(
            printable(
                f"{link.relative_to(Path.cwd())}: warning: is a symlink, so the results cache is not used "
                f"(delete {CACHE_DIR} to start a new one)"
            ),
            file=sys.stderr,
        )
        return None
    return str(folder)


def _unsafe_hint(results: list[FileResult], unsafe_fixes: bool) -> str:
    """Said when findings are left because their only fixes are unsafe. Known for the files no safe fix
    changed (a changed file's findings are analysed again, without fixes), so it gives no count."""
    if unsafe_fixes or not any(fix is not None and fix.applicability == "unsafe" for r in results for fix in r.fixes):
        return ""
    return " Some findings have only unsafe fixes: `--unsafe-fixes` applies them too (read the diff first)."


def _counted(changed: list[FileResult], noun: str, preposition: str = "in") -> str:
    return f"{plural(sum(r.changes for r in changed), noun)} {preposition} {plural(len(changed), 'file')}"


def _plan(
    paths: list[str], projects: Projects, options: Options, extra_excludes: tuple[str, ...]
) -> Iterator[Task | FileResult]:
    warned: set[Path] = set()
    reported: set[Path] = set()

    def is_excluded(path: str) -> bool:
        try:
            project = projects.for_file(path)
        except ProjectProblem:
            return False
        return glob_matches(_relative(path, project.root), project.config.exclude + extra_excludes)

    for path, error in walk(paths, is_excluded):
        if isinstance(error, Skipped):
            print(printable(f"{path}: note: {error}"), file=sys.stderr)
            continue
        if error is not None:
            yield FileResult(path, problem=Problem(f"cannot read: {error.strerror or error}"))
            continue
        try:
            project = projects.for_file(path)
        except ProjectProblem as problem:
            if problem.path not in reported:
                reported.add(problem.path)
                yield FileResult(str(problem.path), problem=Problem(f"{problem.message}; files under it not checked"))
            continue
        _warn_once(project, warned)
        yield Task(path, _relative(path, project.root), project.config, options)


def _warn_once(project: Project, warned: set[Path]) -> None:
    if project.source is not None and project.source not in warned:
        warned.add(project.source)
        for warning in project.warnings:
            print(printable(f"{project.source}: warning: {warning}"), file=sys.stderr)


def _relative(path: str, root: Path) -> str:
    absolute = Path(path).absolute()
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return absolute.as_posix()


def _write(result: FileResult, options: Options) -> FileResult:
    if result.new_text is None or options.write_into is None:
        return result
    try:
        write_atomically(result.path, result.new_text, result.encoding, options.write_into)
    except WriteRefused as refused:
        return FileResult(result.path, result.findings, problem=Problem(f"left unchanged: {refused}"))
    except OSError as error:
        return FileResult(result.path, result.findings, problem=Problem(f"cannot write the fixed file: {error}"))
    return result


def _diff(result: FileResult) -> str:
    assert result.original_text is not None and result.new_text is not None
    lines = difflib.unified_diff(
        result.original_text.splitlines(keepends=True),
        result.new_text.splitlines(keepends=True),
        fromfile=f"a/{printable(result.path)}",
        tofile=f"b/{printable(result.path)}",
    )
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n" for line in lines)
