"""Finding the files to check, reading them without losing a byte, and writing them back safely.

Walking: directories are walked in sorted order for `*.py` and `*.ipynb`, skipping
version-control folders, virtual environments (any folder holding `pyvenv.cfg`),
build output, caches and whatever `exclude` names. `exclude` also applies to files named
on the command line (so pre-commit, which names files, honours it). Symlinked folders are
not followed (a loop such as `loop -> .` cannot trap the walk, nor a link lead out of the
tree), and each real folder and file is visited once, by the first path that reaches it (a
folder named twice, a symlinked file beside its target); what is passed over is said.
FIFOs and devices are skipped, since reading one could block.

Reading: a Python file is decoded the way Python itself does (PEP 263 coding cookie,
UTF-8 BOM, UTF-8 otherwise) with line endings kept as they are, so a fix can be written
back byte-for-byte except where it edits. A cookie must name a character set that reads
ASCII as ASCII and gives the file's bytes back when encoded again; others (rot13, idna,
UTF-7, ...) are an "unsupported source encoding"; a codec this interpreter does not have (a source
transform such as `future_fstrings`) is read as UTF-8 when the bytes are UTF-8. UTF-16 and UTF-32 (with a byte order
mark) are named as such: Python does not run them either. A notebook's code cells are
joined into one program (see `notebook.join_cells`).

Writing (`--fix`, `--add-noqa`): see `write_target` for what is left unchanged and why.

A file that cannot be read raises `FileProblem`; the caller reports it and goes on.
"""

from __future__ import annotations

import codecs
import fnmatch
import functools
import io
import json
import os
import stat
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Callable

from .notebook import JoinedCells, join_cells

SOURCE_SUFFIXES = (".py", ".ipynb")
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "build",
        "dist",
        "__pycache__",
        ".gradguard_cache",
        ".venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
    }
)

# A UTF-16 or UTF-32 byte order mark (UTF-32's first: it begins like UTF-16's). Python reads such a file
# as UTF-8 and rejects it; so do we, saying what it is.
WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
ASCII_CHARACTERS = "".join(map(chr, range(128)))
# Text encodings that are not character sets: they rewrite domain names or backslash escapes, so the
# text is not what the file says, and writing it back gives other bytes (idna truncated a fixed file).
NOT_CHARACTER_SETS = frozenset({"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"})

# How Jupyter (indent 1), VS Code and other writers lay out a notebook's JSON; non-ASCII kept or escaped.
NOTEBOOK_LAYOUTS: tuple[dict[str, Any], ...] = tuple(
    {"indent": indent, "ensure_ascii": ascii} for indent in (1, 2, 4, None) for ascii in (False, True)
)


class FileProblem(Exception):
    """A file that cannot be read or decoded; `line`/`col` are 0-based when known."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


@dataclass(frozen=True)
class SourceFile:
    text: str  # decoded, line endings as in the file
    encoding: str  # codec to write it back with ("utf-8-sig" keeps a BOM)
    cells: JoinedCells | None = None  # set for notebooks: `text` is then the joined program
    cell_indexes: tuple[int, ...] = ()  # for each joined cell, its index in the notebook's `cells`
    cell_sources: tuple[str, ...] = ()  # for each joined cell, its source as in the notebook

    @property
    def is_notebook(self) -> bool:
        return self.cells is not None


class Skipped(str):
    """Why a path was passed over on purpose (said to the user): a symlink to a folder, or a second
    name for a folder or file already visited."""


def walk(paths: list[str], is_excluded: Callable[[str], bool]) -> Iterator[tuple[str, OSError | Skipped | None]]:
    """Yield (path, None) for each file to check, (path, error) for what could not be walked, and
    (path, Skipped) for a symlink passed over. Each real folder and file is visited once, by the
    first path that reaches it; symlinked files come last, so that a file is named as itself where
    the walk reaches it."""
    visited: dict[str, str] = {}  # real path -> the path it was visited by
    links: list[str] = []  # symlinked files, visited after the rest
    for given in paths:
        path = os.path.normpath(given)
        if os.path.isdir(path):
            yield from _walk_dir(path, is_excluded, visited, links)
        elif os.path.islink(path):
            if not is_excluded(path):
                links.append(path)
        elif os.path.exists(path):
            if not is_excluded(path):
                yield from _visit_file(path, os.path.realpath(path), visited)
        else:
            yield path, FileNotFoundError(f"no such file or directory: {given}")
    for path in dict.fromkeys(links):  # a link both walked and named is one
        yield from _visit_file(path, os.path.realpath(path), visited)


def _walk_dir(
    root: str, is_excluded: Callable[[str], bool], visited: dict[str, str], links: list[str]
) -> Iterator[tuple[str, OSError | Skipped | None]]:
    """Depth first, in sorted order, a folder's files before its subfolders; symlinked folders are not followed."""
    pending = [(root, os.path.realpath(root))]
    while pending:
        folder, real_folder = pending.pop()
        if real_folder in visited:
            if visited[real_folder] != folder:
                yield folder, Skipped(f"skipped: the same folder as {visited[real_folder]}")
            continue
        visited[real_folder] = folder
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as error:
            yield error.filename or folder, error
            continue
        subfolders = []
        for entry in entries:
            path = os.path.normpath(entry.path)
            if entry.is_dir(follow_symlinks=False) or (
                entry.is_symlink() and os.path.isdir(path)
            ):  # no error on a loop
                if entry.name in SKIPPED_DIRS or os.path.exists(os.path.join(path, "pyvenv.cfg")) or is_excluded(path):
                    continue
                if entry.is_symlink():
                    yield (
                        path,
                        Skipped(
                            f"skipped: a symlink to a folder ({os.path.realpath(path)}); "
                            "symlinked folders are not followed"
                        ),
                    )
                else:
                    subfolders.append((path, os.path.join(real_folder, entry.name)))
            elif entry.name.endswith(SOURCE_SUFFIXES) and not _is_special(path) and not is_excluded(path):
                if entry.is_symlink():
                    links.append(path)
                else:
                    yield from _visit_file(path, os.path.join(real_folder, entry.name), visited)
        pending.extend(reversed(subfolders))


def _visit_file(path: str, real: str, visited: dict[str, str]) -> Iterator[tuple[str, Skipped | None]]:
    if real not in visited:
        visited[real] = path
        yield path, None
    elif visited[real] != path:
        yield path, Skipped(f"skipped: the same file as {visited[real]}")


def _is_special(path: str) -> bool:
    """A FIFO, socket or device: reading it could block forever. (A broken symlink is not special:
    it is reported as unreadable.)"""
    return os.path.exists(path) and not os.path.isfile(path)


def glob_matches(relative_path: str, globs: tuple[str, ...]) -> bool:
    """`relative_path` (posix) or one of its folders or its name matches one of `globs`."""
    if not globs:
        return False
    parts = relative_path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))] + parts
    return any(fnmatch.fnmatch(candidate, glob.rstrip("/")) for glob in globs for candidate in candidates)


def decode_source(path: str, data: bytes) -> SourceFile:
    return read_notebook(data) if path.endswith(".ipynb") else decode_python(data)


def decode_python(data: bytes) -> SourceFile:
    for bom, name in WIDE_BOMS:
        if data.startswith(bom):
            raise FileProblem(
                f"{name} source is not supported (Python reads source as UTF-8 or as the "
                "ASCII-compatible encoding a coding cookie names); save the file as UTF-8"
            )
    if b"\0" in data:
        raise FileProblem("binary file (contains NUL bytes), not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        message = str(error)
        if message.startswith("unknown encoding: "):
            return _decode_unknown_codec(data, message.removeprefix("unknown encoding: "))
        if not message.startswith("invalid or missing encoding declaration"):
            raise FileProblem(f"bad coding cookie: {error}") from None
        encoding = "utf-8"  # no cookie and the first lines are not UTF-8: reported below
    if not _is_source_encoding(encoding):
        raise FileProblem(f"unsupported source encoding: {encoding}")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start)
        line_start = data.rfind(b"\n", 0, error.start) + 1
        col = len(data[line_start : error.start].decode(encoding, errors="replace"))
        if _is_utf8(encoding):
            message = (
                f"not UTF-8: byte 0x{data[error.start]:02x} cannot be decoded; "
                "save the file as UTF-8 or declare its encoding (PEP 263)"
            )
        else:
            message = f"cannot decode as {encoding} (from its coding cookie): {error.reason}"
        raise FileProblem(message, line, col) from None
    try:
        encode_source(text, encoding)
    except WriteRefused:
        raise FileProblem(
            f"unsupported source encoding: {encoding} (decoding and encoding again changes the file's bytes)"
        ) from None
    return SourceFile(text, encoding)


def _decode_unknown_codec(data: bytes, codec: str) -> SourceFile:
    """A cookie naming a codec this interpreter lacks is, in practice, a source transform installed with
    the project (`future_fstrings`, `pyxl`): it reads UTF-8 and rewrites the text before Python sees it.
    The UTF-8 text is what the user wrote and edits, so that is what is checked and fixed."""
    try:
        return SourceFile(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        raise FileProblem(f"unsupported source encoding: {codec} (no such codec, and the file is not UTF-8)") from None


@functools.cache
def _is_source_encoding(encoding: str) -> bool:
    """A character set that reads ASCII as ASCII, as PEP 263 requires (which rules out UTF-16 and UTF-7);
    `bytes.decode` refuses what is not a text encoding, as CPython does for a cookie (rot13, hex)."""
    try:
        return (
            codecs.lookup(encoding).name not in NOT_CHARACTER_SETS
            and bytes(range(128)).decode(encoding) == ASCII_CHARACTERS
        )
    except (LookupError, ValueError):  # not a text encoding; a codec that fails (UnicodeError is a ValueError)
        return False


@functools.cache
def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def encode_source(text: str, encoding: str) -> bytes:
    """`text` in `encoding`; refused unless decoding the bytes gives `text` back, so that a codec that
    rewrites what it encodes (idna) never replaces a file with something else."""
    try:
        data = text.encode(encoding)
        if _is_utf8(encoding) or data.decode(encoding) == text:
            return data
    except UnicodeError:  # a character the encoding lacks, or bytes it cannot read back
        pass
    raise WriteRefused(f"the fixed text cannot be written back in {encoding}")


def read_notebook(data: bytes) -> SourceFile:
    try:
        notebook = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise FileProblem(f"notebook is not valid JSON: {error}") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise FileProblem("notebook has no `cells` list (nbformat 4 expected)")
    if not _is_python_notebook(notebook):
        return SourceFile("", "utf-8", join_cells([]), ())
    sources, indexes = [], []
    for index, cell in enumerate(cells):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            if isinstance(source, list) and all(isinstance(part, str) for part in source):
                source = "".join(source)
            if not isinstance(source, str):
                raise FileProblem(f"cell {index + 1}: `source` is neither a string nor a list of strings")
            sources.append(source)
            indexes.append(index)
    joined = join_cells(sources)
    return SourceFile(joined.source, notebook_encoding(data), joined, tuple(indexes), tuple(sources))


def notebook_encoding(data: bytes) -> str:
    """The codec that reads the notebook's JSON and writes it back byte for byte: UTF-8, -16 or -32 (RFC 8259;
    `json.loads` detects them the same way). With a UTF-16 or -32 BOM, the codec of its byte order,
    which keeps the BOM as U+FEFF at the start of the text; "utf-8-sig" drops a UTF-8 BOM and writes it back."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return codec
    return json.detect_encoding(data)


def _is_python_notebook(notebook: dict) -> bool:
    metadata = notebook.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    language_info, kernelspec = metadata.get("language_info"), metadata.get("kernelspec")
    language = (language_info.get("name") if isinstance(language_info, dict) else None) or (
        kernelspec.get("language") if isinstance(kernelspec, dict) else None
    )
    return not isinstance(language, str) or language.lower() in ("python", "python3", "ipython", "ipython3")


class WriteRefused(Exception):
    """Rewriting the file would change more than its content; the message says what."""


def folders_checked(paths: list[str]) -> tuple[str, ...]:
    """The real folders named on the command line (a named file stands for its folder): a fix writes
    through a symlink only to a file inside one of them."""
    return tuple(os.path.realpath(path if os.path.isdir(path) else os.path.dirname(path) or ".") for path in paths)


def write_target(path: str, folders: tuple[str, ...]) -> tuple[str, os.stat_result]:
    """The real file that rewriting `path` replaces, and its status. Raises WriteRefused where an atomic
    replacement would not be the same file with new content: a symlink out of the checked folders, a
    file with other hard links (they would keep the old content), a read-only file (judged by its mode
    bits, so root is refused too), or one whose owner and group this process cannot give the new file."""
    real = os.path.realpath(path)
    if real != os.path.abspath(path) and not any(_is_inside(real, folder) for folder in folders):
        raise WriteRefused(f"it is a symlink to {real}, outside the folders being checked")
    status = os.stat(real)
    if not stat.S_ISREG(status.st_mode):
        raise WriteRefused("not a regular file")
    if status.st_nlink > 1:
        raise WriteRefused(f"it has {status.st_nlink} hard links, and replacing it would leave the others unfixed")
    if not status.st_mode & 0o222:
        raise WriteRefused("the file is read-only")
    if not _may_give_owner(status):
        raise WriteRefused(
            f"it belongs to user {status.st_uid}, group {status.st_gid}, which the fixed file could not keep"
        )
    return real, status


def _is_inside(path: str, folder: str) -> bool:
    return os.path.commonpath([path, folder]) == folder


def _may_give_owner(status: os.stat_result) -> bool:
    """Whether chown(2) lets this process give a new file the owner and group of `status`."""
    uid = os.geteuid()
    return uid == 0 or (status.st_uid == uid and status.st_gid in (os.getegid(), *os.getgroups()))


def write_atomically(path: str, text: str, encoding: str, folders: tuple[str, ...]) -> None:
    """Replace the content of the file `path` names (through a symlink; see `write_target`) so that a
    crash leaves the old or the new content, never half, with its mode, owner and group kept. The
    temporary file is created exclusively under a random name (mkstemp: O_EXCL, never a link)."""
    import tempfile  # only runs that write pay for it (it imports random, shutil, bz2)

    data = encode_source(text, encoding)
    target, status = write_target(path, folders)
    folder, name = os.path.split(target)
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".gradguard-tmp")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            try:  # before fchmod: chown may clear the set-user-ID and set-group-ID bits
                os.fchown(descriptor, status.st_uid, status.st_gid)
            except PermissionError:
                raise WriteRefused("its owner and group could not be kept") from None
            os.fchmod(descriptor, stat.S_IMODE(status.st_mode))
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def notebook_with_sources(text: str, sources: dict[int, str]) -> str | None:
    """The notebook's JSON text (decoded with `notebook_encoding`) with the `source` of these cells (by index)
    replaced, in the layout the file had; None when writing the unchanged notebook back would not give its
    exact text (an unusual indent or escaping), so that a fix never reformats the rest of the file."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text.removeprefix(bom)
    notebook = json.loads(text)
    layout = next(
        (options for options in NOTEBOOK_LAYOUTS if json.dumps(notebook, **options) in (text, text.removesuffix("\n"))),
        None,
    )
    if layout is None:
        return None
    for index, source in sources.items():
        cell = notebook["cells"][index]
        cell["source"] = source.splitlines(keepends=True) if isinstance(cell["source"], list) else source
    return bom + json.dumps(notebook, **layout) + ("\n" if text.endswith("\n") else "")
