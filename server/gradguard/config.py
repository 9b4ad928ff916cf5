"""Effective settings of one run: what `[tool.gradguard]`, the command line or the editor say."""
from __future__ import annotations

import fnmatch
import functools
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

from .findings import SEVERITIES

DEFAULT_EVAL_FUNCTION_PATTERNS: tuple[str, ...] = (
    "evaluate", "evaluate_*", "eval", "eval_*", "*_eval", "evaluation", "*_evaluate",
    "validate", "validate_*", "*_validate", "validation", "validation_*", "val_epoch", "valid_epoch",
    "test", "test_epoch", "test_model", "run_test",
    "predict", "predict_*", "*_predict", "infer", "infer_*", "inference", "inference_*", "*_inference",
)


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ()  # empty: every rule
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    torch_version: str | None = None
    eval_function_patterns: tuple[str, ...] = DEFAULT_EVAL_FUNCTION_PATTERNS
    model_names: tuple[str, ...] = ()

    def with_overrides(self, **changes: Any) -> "Config":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def is_eval_function_name(self, name: str) -> bool:
        return _eval_name_regex(self.eval_function_patterns).match(name) is not None


@functools.lru_cache(maxsize=16)
def _eval_name_regex(patterns: tuple[str, ...]) -> "re.Pattern[str]":
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns) or "(?!)")


# TOML spelling (kebab-case) -> field name
TOML_KEYS: dict[str, str] = {f.name.replace("_", "-"): f.name for f in fields(Config)}


class ConfigError(ValueError):
    pass


def config_from_mapping(table: Mapping[str, Any]) -> tuple[Config, list[str]]:
    """Build a Config from a `[tool.gradguard]` table; returns it with warnings for unknown keys."""
    warnings: list[str] = []
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = TOML_KEYS.get(key) or (key if key in TOML_KEYS.values() else None)
        if name is None:
            warnings.append(f"unknown key `{key}` in [tool.gradguard], ignored")
            continue
        values[name] = _coerce(name, value)
    return Config(**values), warnings


def _coerce(name: str, value: Any) -> Any:
    if name in ("select", "ignore", "exclude", "eval_function_patterns", "model_names"):
        if isinstance(value, str):
            value = re.split(r"[,\s]+", value.strip())
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"`{name.replace('_', '-')}` must be a list of strings")
        return tuple(v for v in value if v)
    if name == "severity":
        if not isinstance(value, Mapping) or not all(v in SEVERITIES for v in value.values()):
            raise ConfigError(f"`severity` must map codes to one of {', '.join(SEVERITIES)}")
        return dict(value)
    if name == "per_file_ignores":
        if not isinstance(value, Mapping):
            raise ConfigError("`per-file-ignores` must map globs to lists of codes")
        return {glob: tuple(codes) for glob, codes in value.items()}
    if name == "torch_version":
        if not isinstance(value, str) or not re.fullmatch(r"\d+(\.\d+)*", value):
            raise ConfigError('`torch-version` must be a version string such as "1.13"')
        return value
    raise ConfigError(f"unsupported key {name}")  # unreachable: every field is handled above
