"""`gradguard check|server|rule|version`, as Ruff's commands; `--check`, `--explain`, `--list-rules`,
`--version` and bare server flags are older spellings of them.

Findings go to stdout in the chosen format (but for `check --fix -`, where stdout is the fixed source, as
Ruff's). Everything else goes to stderr, one line each, so stdout stays machine-readable:

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
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Callable, TextIO

from . import __version__
from .analysis import KNOWN_SELECTORS, unknown_selectors
from .apis import API_TEXTS, api_explanation
from .cache import CACHE_DIR, symlink_in
from .checking import FileResult, Options, Problem, Task, check_all
from .files import (
    SOURCE_SUFFIXES,
    Skipped,
    WriteRefused,
    encode_source,
    folders_checked,
    glob_matches,
    walk,
    write_atomically,
)
from .formats import TextStyle, fixes_by_file, fixes_listing, plural, printable, problem_line, render
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
    rule = commands.add_parser(
        "rule",
        help="explain a rule (code or slug) or a PyTorch API (torch.no_grad, "
        "Module.eval, ...), or list every rule with --all",
    )
    which = rule.add_mutually_exclusive_group(required=True)
    which.add_argument("code", nargs="?", metavar="CODE|SLUG|API")
    which.add_argument("--all", action="store_true", help="list every rule: code, slug, severity, summary")
    commands.add_parser("version", help="print the version")
    return parser


def _add_check_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or folders to check (default: .); `-` reads the source from standard input",
    )
    parser.add_argument(
        "--stdin-filename",
        metavar="PATH",
        help="the name of the source read from standard input (implies `-`): for the configuration, "
        "notebooks (.ipynb) and messages; with --fix the fixed source goes to stdout",
    )
    parser.add_argument(
        "--output-format", "--format", dest="format", choices=("text", "json", "sarif", "github"), default="text"
    )
    parser.add_argument(
        "--statistics", action="store_true", help="text: one line per rule with its count, not one per finding"
    )
    parser.add_argument(
        "--show-fixes",
        action="store_true",
        help="on stderr, per file and rule: what --fix fixed (with --fix), would fix (--diff, or a check)",
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
    parser.add_argument(
        "--watch", action="store_true", help="check again whenever a file under PATH changes (Ctrl-C stops)"
    )
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
    if error := _stdin_misuse(args):
        print(f"gradguard: error: {error}", file=sys.stderr)
        return 2
    return watch(args) if args.watch else run_check(args)


def _reads_stdin(args: argparse.Namespace) -> bool:
    """`gradguard check -`, or `--stdin-filename` with no path (as Ruff reads them)."""
    return args.paths == ["-"] or (not args.paths and args.stdin_filename is not None)


def _stdin_misuse(args: argparse.Namespace) -> str | None:
    if "-" in args.paths and args.paths != ["-"]:
        return "`-` (standard input) cannot be checked together with other paths"
    if args.stdin_filename is not None and not _reads_stdin(args):
        return "--stdin-filename names standard input: give `-` or no path"
    if _reads_stdin(args) and (args.add_noqa or args.watch):
        writer = "--add-noqa writes files" if args.add_noqa else "--watch watches files"
        return f"{writer}: it does not read standard input"
    if args.watch and args.add_noqa:
        return "--watch with --add-noqa would add the comments again on every change"
    return None


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
    from .lsp.workers import start_early

    start_early("analysis")  # the worker starts while pygls is imported: the first diagnostics come sooner
    from .lsp.server import main as serve  # pygls and the server only when serving

    return serve(argv)


def _rule(code: str | None, all_rules: bool) -> int:
    if all_rules:
        for listed in RULES:
            print(f"{listed.code}  {listed.slug:<34} {listed.severity:<8} {listed.summary}")
        return 0
    rule = find_rule(code or "")
    if rule is not None:
        print(rule.explanation(), end="")
        return 0
    api = api_explanation(code or "")  # the hover's text for that API
    if api is not None:
        print(api)
        return 0
    print(
        f"gradguard: error: no rule {code!r}; see `gradguard rule --all`, or name an API: {', '.join(API_TEXTS)}",
        file=sys.stderr,
    )
    return 2


def run_check(args: argparse.Namespace) -> int:
    overrides = {"select": args.select, "ignore": args.ignore}
    projects = Projects(overrides, args.config)
    options = Options(
        with_fixes=args.format in ("json", "sarif"),
        mark_fixable=args.format == "text",
        apply_fixes=args.fix or args.diff,
        unsafe_fixes=args.unsafe_fixes,
        add_noqa=args.add_noqa,
        cache_dir=None if args.no_cache else _cache_folder(),
        write_into=folders_checked(args.paths or ["."])
        if (args.fix or args.add_noqa) and not _reads_stdin(args)
        else None,
    )
    extra_excludes = tuple(glob for item in args.exclude for glob in item.split(",") if glob)
    stdin = sys.stdin.buffer.read() if _reads_stdin(args) else None
    if stdin is not None:
        entries = [_stdin_entry(args.stdin_filename or "-", stdin, projects, options)]
    else:
        entries = list(_plan(args.paths or ["."], projects, options, extra_excludes))
    tasks = [entry for entry in entries if isinstance(entry, Task)]
    with ProgressBar(sys.stderr) as bar:
        checked = iter(check_all(tasks, args.jobs, bar.update))  # in the order given, whatever --jobs is
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
        print(_fixes_summary(f"Would fix {_counted(changed, 'finding')}", results, args), file=sys.stderr)
    elif args.add_noqa:
        print(f"Added {_counted(changed, 'noqa comment', 'to')}.", file=sys.stderr)
    else:
        if stdin is not None and args.fix:  # as Ruff: the source, fixed or not, goes to stdout; the report to stderr
            sys.stdout.buffer.write(_fixed_source(results[0], stdin))
            sys.stdout.flush()
        if args.fix:
            print(_fixes_summary(f"Fixed {_counted(changed, 'finding')}", results, args), file=sys.stderr)
        elif args.show_fixes:
            fixable = fixes_by_file(results, applied=False, unsafe_fixes=args.unsafe_fixes)
            count = (
                f"{plural(sum(sum(c.values()) for c in fixable.values()), 'finding')} in {plural(len(fixable), 'file')}"
            )
            fix = "--fix --unsafe-fixes" if args.unsafe_fixes else "--fix"
            print(_fixes_summary(f"`{fix}` would fix {count}", results, args), file=sys.stderr)
        report = sys.stderr if stdin is not None and args.fix else sys.stdout
        style = TextStyle(colour=_colour(report), unsafe_fixes=args.unsafe_fixes, statistics=args.statistics)
        report.write(render(args.format, results, style))
    sys.stdout.flush()  # --watch: each run shows as it ends
    if any(r.problems for r in results):
        return 2
    if args.add_noqa or args.exit_zero:
        return 0
    return 1 if (changed if args.diff else any(r.findings for r in results)) else 0


def watch(args: argparse.Namespace) -> int:
    """Check, then check again after each change of a source or pyproject.toml under the paths (as `ruff check
    --watch`): the cache makes a new run analyse only what changed. Ends on Ctrl-C."""
    import watchfiles  # only a watching run pays for it (and anyio)

    ignored = watchfiles.DefaultFilter()  # .git, .venv, editors' swap files...

    def read_by_a_check(change: watchfiles.Change, path: str) -> bool:  # not the results cache, which a check writes
        return path.endswith((*SOURCE_SUFFIXES, "pyproject.toml")) and ignored(change, path)

    paths = [path for path in args.paths or ["."] if os.path.exists(path)]
    paths += [args.config] if args.config is not None else []
    status = run_check(args)
    if not paths:
        return status  # nothing there to watch: the check said so
    print(f"[{time.strftime('%H:%M:%S')}] Watching for changes (Ctrl-C stops).", file=sys.stderr)
    for changes in watchfiles.watch(*paths, watch_filter=read_by_a_check, raise_interrupt=False):
        if sys.stdout.isatty():
            sys.stdout.write("\x1b[2J\x1b[H")  # a clear screen for each run, as Ruff's
        print(f"[{time.strftime('%H:%M:%S')}] {plural(len(changes), 'change')} seen: checking again.", file=sys.stderr)
        status = run_check(args)
    return status


PROGRESS_AFTER_SECONDS = 2.0  # a shorter run ends before a bar would tell anything


class ProgressBar:
    """`[#######.......] 120/400 files checked` on stderr, redrawn in place, once a run has taken two seconds, and only
    on a terminal: a pipe or a CI log gets nothing. Erased when the run ends, before the report."""

    WIDTH = 30

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream, self.clock = stream, clock
        self.on = stream.isatty()
        self.started = self.drawn = clock()
        self.shown = False

    def update(self, done: int, total: int, what: str) -> None:
        now = self.clock()
        if not self.on or now - self.started < PROGRESS_AFTER_SECONDS or (now - self.drawn < 0.1 and done < total):
            return  # at most ten redraws a second
        filled = self.WIDTH * done // max(total, 1)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{plural(total, 'file')} {what}\x1b[K"
        )
        self.stream.flush()
        self.drawn, self.shown = now, True

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exception: object) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")  # back to the start of the line, cleared
            self.stream.flush()


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


def _fixes_summary(headline: str, results: list[FileResult], args: argparse.Namespace) -> str:
    """`Fixed 2 findings in 1 file.`; with --show-fixes, what per file and rule, as Ruff enumerates them."""
    hint = _unsafe_hint(results, args.unsafe_fixes)
    listing = fixes_listing(fixes_by_file(results, args.fix or args.diff, args.unsafe_fixes)) if args.show_fixes else ""
    if not listing:
        return f"{headline}.{hint}"
    return f"{headline}:\n{listing}{hint.lstrip()}".rstrip("\n")


def _unsafe_hint(results: list[FileResult], unsafe_fixes: bool) -> str:
    """Said when findings are left because their only fixes are unsafe. Known for the files no safe fix
    changed (a changed file's findings are analysed again, without fixes), so it gives no count."""
    if unsafe_fixes or not any(applicability == "unsafe" for r in results for applicability in r.fixable):
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


def _stdin_entry(name: str, data: bytes, projects: Projects, options: Options) -> Task | FileResult:
    """Standard input as a file named `name`: its configuration is that of `name`'s folder."""
    try:
        project = projects.for_file(name)
    except ProjectProblem as problem:
        return FileResult(str(problem.path), problem=Problem(f"{problem.message}; standard input not checked"))
    return Task(name, _relative(name, project.root), project.config, options, source=data)


def _fixed_source(result: FileResult, read: bytes) -> bytes:
    """The fixed text in the encoding it came in; the bytes read, unchanged, when nothing was fixed."""
    if result.new_text is None:
        return read
    try:
        return encode_source(result.new_text, result.encoding)
    except WriteRefused:  # the fixed text has a character the source's encoding lacks: as a file would be, left as is
        return read


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
