"""Results cache: one small JSON file per (GradGuard build, settings, path, file bytes).

The key hashes everything a result depends on, so a stale entry is never read: it is
simply never asked for again. The folder `.gradguard_cache/` in the working directory
is safe to delete at any time; entries are written to a temporary file and renamed,
so a crash or a parallel run never leaves half an entry.

The cache never follows a symlink: a checked repository could ship `.gradguard_cache` (or a folder or
`.gitignore` in it) as a link to elsewhere. `symlink_in` finds such a link before a run, so the CLI can
say the cache is not used; each folder is then opened without following a link (O_NOFOLLOW, relative
to its parent's descriptor) and each file created exclusively, so a link made during the run is not
followed either.
"""

from __future__ import annotations

import hashlib
import json
import os
from contextlib import suppress
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import __version__

CACHE_DIR = ".gradguard_cache"
# bump when an entry changes shape (5: graph-free classes; 6: models a call hands over; 7: leaves_mode;
# 8: static methods; 9: methods' exports; 10: plain classes)
FORMAT = "10"


@lru_cache(maxsize=1)
def build_fingerprint() -> str:
    """Version plus the installed sources' sizes and mtimes: an edited rule invalidates old entries
    even before the version number moves (an editable install during development)."""
    package = Path(__file__).parent
    digest = hashlib.sha256(f"{__version__}/{FORMAT}".encode())
    for source in sorted(package.rglob("*.py")):
        stat = source.stat()
        digest.update(f"{source.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def cache_key(settings: str, path: str, data: bytes) -> str:
    digest = hashlib.sha256()
    for part in (build_fingerprint(), settings, path):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(data)
    return digest.hexdigest()


OPEN_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
CREATE_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
IGNORE_FILE = ".gitignore"


def symlink_in(folder: Path) -> Path | None:
    """The first symlink among the paths the cache in `folder` reads and writes, if any."""
    for path in (folder, folder / IGNORE_FILE, folder / FORMAT):
        if path.is_symlink():
            return path
    try:
        with os.scandir(folder / FORMAT) as entries:  # the key folders
            return next((Path(entry.path) for entry in entries if entry.is_symlink()), None)
    except OSError:  # not created yet
        return None


class Cache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get(self, key: str) -> Any | None:
        try:
            folder = self._open_folder((FORMAT, key[:2]), create=False)
            try:
                descriptor = os.open(f"{key}.json", os.O_RDONLY | os.O_NOFOLLOW, dir_fd=folder)
            finally:
                os.close(folder)
            with open(descriptor, encoding="utf-8") as stream:
                return json.load(stream)
        except (OSError, ValueError):
            return None

    def put(self, key: str, value: Any) -> None:
        """Best effort: a cache that cannot be written only makes the next run slower."""
        try:
            folder = self._open_folder((FORMAT, key[:2]), create=True)
        except OSError:
            return
        import secrets  # only runs that write the cache pay for it (it imports random, base64, hmac)

        temporary = f"{key}.{secrets.token_hex(8)}.tmp"
        try:
            with open(os.open(temporary, CREATE_FILE, 0o644, dir_fd=folder), "w", encoding="utf-8") as stream:
                json.dump(value, stream)
            os.replace(temporary, f"{key}.json", src_dir_fd=folder, dst_dir_fd=folder)
        except OSError:
            with suppress(OSError):
                os.unlink(temporary, dir_fd=folder)
        finally:
            os.close(folder)

    def _open_folder(self, parts: tuple[str, ...], create: bool) -> int:
        """A descriptor of `self.folder / parts...`, no component of it a symlink; created if asked
        (the cache folder with its `.gitignore`)."""
        if create:
            with suppress(FileExistsError):
                os.mkdir(self.folder)
        descriptor = os.open(self.folder, OPEN_FOLDER)
        try:
            if create:
                _mark_ignored(descriptor)
            for part in parts:
                if create:
                    with suppress(FileExistsError):
                        os.mkdir(part, dir_fd=descriptor)
                inner = os.open(part, OPEN_FOLDER, dir_fd=descriptor)
                os.close(descriptor)
                descriptor = inner
        except BaseException:
            os.close(descriptor)
            raise
        return descriptor


def _mark_ignored(folder: int) -> None:
    """A `.gitignore` that keeps the cache out of version control, unless something is there already."""
    with (
        suppress(FileExistsError),
        open(os.open(IGNORE_FILE, CREATE_FILE, 0o644, dir_fd=folder), "w", encoding="utf-8") as stream,
    ):
        stream.write("# Created by GradGuard; safe to delete.\n*\n")
