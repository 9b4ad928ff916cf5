"""Effective settings per file: `[tool.gradguard]` of the nearest pyproject.toml (`gradguard.project`),
overridden key by key by what the user set in the editor (initializationOptions,
workspace/configuration, didChangeConfiguration).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, Callable

from ..config import TOML_KEYS, Config, ConfigError, config_from_mapping
from ..project import ProjectProblem, Projects

Log = Callable[[str], None]


def unwrap(settings: object) -> Mapping[str, Any]:
    """Accepts `{"settings": {...}}`, `{"gradguard": {...}}` or the settings themselves."""
    if not isinstance(settings, Mapping):
        return {}
    found: Mapping[str, Any] = settings
    for wrapper in ("settings", "gradguard"):
        if isinstance(found.get(wrapper), Mapping):
            found = found[wrapper]
    return found


def editor_mode(settings: object) -> tuple[bool, bool]:
    """(enabled, run on type) from the VS Code client's `enable` and `run` ("onType" | "onSave")."""
    unwrapped = unwrap(settings)
    return unwrapped.get("enable") is not False, unwrapped.get("run") != "onSave"


def editor_table(settings: object) -> dict[str, Any]:
    """Editor settings in `[tool.gradguard]` spelling, from camelCase, snake_case or kebab-case keys.
    Unset (None) keys are left out, so `[tool.gradguard]` governs them."""
    table = {}
    for key, value in unwrap(settings).items():
        kebab = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", str(key)).replace("_", "-").lower()
        if kebab in TOML_KEYS and value is not None:
            table[kebab] = value
    return table


class Settings:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.editor: dict[str, Any] = {}
        self.enabled, self.run_on_type = True, True
        self.generation = 0  # bumped on every change; part of each analysis stamp
        self._projects = Projects({})
        self._logged: set[object] = set()

    def set_editor(self, settings: object) -> bool:
        """Replace the editor's settings; True when they changed."""
        table, mode = editor_table(settings), editor_mode(settings)
        if (table, mode) == (self.editor, (self.enabled, self.run_on_type)):
            return False
        try:
            overrides = _overrides(table)
        except ConfigError as error:
            self.log(f"editor settings ignored: {error}")
            return False
        self.editor, (self.enabled, self.run_on_type) = table, mode
        self.reload(overrides)
        self.log(
            f"editor settings: {table or 'none set'} (these win over [tool.gradguard]); "
            f"{'enabled' if self.enabled else 'disabled'}, checks {'as you type' if self.run_on_type else 'on save'}"
        )
        return True

    def reload(self, overrides: dict[str, Any] | None = None) -> None:
        """Forget cached projects (settings or a pyproject.toml changed)."""
        self._projects = Projects(_overrides(self.editor) if overrides is None else overrides)
        self._logged.clear()
        self.generation += 1

    def config_for(self, path: str) -> Config | None:
        """None when checking is off. A broken governing pyproject.toml is reported once (as the CLI
        words it) and its files are checked with the editor's settings on the defaults meanwhile."""
        if not self.enabled:
            return None
        if not os.path.isabs(path):  # untitled buffers: editor settings on the defaults
            return Config().with_overrides(**_overrides(self.editor))
        try:
            project = self._projects.for_file(path)
        except ProjectProblem as problem:
            self._log_once(problem.path, f"{problem}; checking with the default settings until it is fixed")
            return Config().with_overrides(**_overrides(self.editor))
        if project.source not in self._logged:
            for warning in project.warnings:
                self.log(f"{project.source}: {warning}")
        origin = project.source or "defaults (no pyproject.toml with [tool.gradguard])"
        self._log_once(
            project.source, f"effective settings from {origin} + editor {self.editor or '{}'}: {project.config}"
        )
        return project.config

    def _log_once(self, key: object, message: str) -> None:
        if key not in self._logged:
            self._logged.add(key)
            self.log(message)


def _overrides(table: Mapping[str, Any]) -> dict[str, Any]:
    """Config fields the editor set explicitly (and only those), as `Config.with_overrides` keywords."""
    config, _ = config_from_mapping(table)
    return {TOML_KEYS[key]: getattr(config, TOML_KEYS[key]) for key in table}
