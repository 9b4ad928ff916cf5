"""Results cache: one small JSON file per (GradGuard build, settings, path, file bytes).

The key hashes everything a result depends on, so a stale entry is never read: it is
simply never asked for again. The folder `.gradguard_cache/` in the working directory
is safe to delete at any time; entries are written to a temporary file and renamed,
so a crash or a parallel run never leaves half an entry.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import __version__

CACHE_DIR = ".gradguard_cache"
FORMAT = "2"  # bump when the shape of an entry changes


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


class Cache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder / FORMAT

    def get(self, key: str) -> Any | None:
        try:
            with open(self.folder / key[:2] / f"{key}.json", encoding="utf-8") as stream:
                return json.load(stream)
        except (OSError, ValueError):
            return None

    def put(self, key: str, value: Any) -> None:
        """Best effort: a cache that cannot be written only makes the next run slower."""
        target = self.folder / key[:2] / f"{key}.json"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._mark_folder()
            descriptor, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                json.dump(value, stream)
            os.replace(temporary, target)
        except OSError:
            pass

    def _mark_folder(self) -> None:
        ignore = self.folder.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by GradGuard; safe to delete.\n*\n", encoding="utf-8")
