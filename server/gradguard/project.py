"""Which settings govern a file: `[tool.gradguard]` of the nearest `pyproject.toml` that has one.

The search goes upward from the file's folder; a `pyproject.toml` without a
`[tool.gradguard]` table is passed over (as Ruff does for `[tool.ruff]`), so a nested
package's build file does not silently reset a monorepo's settings. The answer is
cached per folder, so each `pyproject.toml` is read once per run.

A broken `pyproject.toml` (invalid TOML, a value of the wrong type) is a `ProjectProblem`: the
CLI does not check the files it would govern, since checking them with the wrong settings would
report what the user turned off (the language server checks them with the defaults, and says so).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Config, ConfigError, config_from_mapping, expected


class ProjectProblem(Exception):
    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message


@dataclass(frozen=True)
class Project:
    root: Path  # folder that `exclude` and `per-file-ignores` globs are relative to
    config: Config
    source: Path | None = None  # the pyproject.toml it came from
    warnings: tuple[str, ...] = field(default=(), compare=False)


class Projects:
    """Resolves and caches the project of each folder; command-line overrides apply on top."""

    def __init__(self, overrides: dict[str, Any], config_file: Path | None = None) -> None:
        self.overrides = overrides
        self._by_dir: dict[Path, Project | ProjectProblem] = {}
        self._fixed = self._load(config_file) if config_file is not None else None

    def for_file(self, path: str) -> Project:
        """Raises ProjectProblem when the governing pyproject.toml is broken."""
        found = self._fixed or self._for_dir(Path(path).absolute().parent)
        if isinstance(found, ProjectProblem):
            raise found
        return found

    def _for_dir(self, folder: Path) -> Project | ProjectProblem:
        if folder in self._by_dir:
            return self._by_dir[folder]
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _has_gradguard_table(candidate):
            found = self._load(candidate)
        elif folder.parent != folder:
            found = self._for_dir(folder.parent)
        else:
            found = Project(Path.cwd(), Config().with_overrides(**self.overrides))
        self._by_dir[folder] = found
        return found

    def _load(self, path: Path) -> Project | ProjectProblem:
        try:
            table = _gradguard_table(_read_toml(path))
            config, warnings = config_from_mapping(table, prefix="tool.gradguard.")
        except ProjectProblem as problem:
            return problem
        except ConfigError as error:
            return ProjectProblem(path, str(error))
        return Project(path.absolute().parent, config.with_overrides(**self.overrides), path, tuple(warnings))


def _gradguard_table(document: dict[str, Any]) -> dict[str, Any]:
    """`[tool.gradguard]`, empty when absent; a `tool` or `tool.gradguard` that is not a table is a problem."""
    table: Any = document
    for key in ("tool", "gradguard"):
        table = table.get(key, {})
        if not isinstance(table, dict):
            raise ConfigError([expected("tool" if key == "tool" else "tool.gradguard", "a table", table)])
    return table


def _has_gradguard_table(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    # A cheap look before parsing; a broken file that mentions us still gets parsed and reported.
    return "gradguard" in text


def _read_toml(path: Path) -> dict[str, Any]:
    # imported here: most runs find no `[tool.gradguard]` and never parse TOML (a tenth of a one-file check's imports)
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib
    try:
        with open(path, "rb") as stream:
            return tomllib.load(stream)
    except tomllib.TOMLDecodeError as error:
        raise ProjectProblem(path, f"invalid TOML: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ProjectProblem(path, f"cannot read: {error}") from None
