"""Effective settings of one run: what `[tool.gradguard]`, the command line or the editor say."""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .findings import SEVERITIES, Severity

DEFAULT_EVAL_FUNCTION_PATTERNS: tuple[str, ...] = (
    "evaluate",
    "evaluate_*",
    "eval",
    "eval_*",
    "*_eval",
    "evaluation",
    "*_evaluate",
    "validate",
    "validate_*",
    "*_validate",
    "validation",
    "validation_*",
    "val_epoch",
    "valid_epoch",
    "test",
    "test_epoch",
    "test_model",
    "run_test",
    "predict",
    "predict_*",
    "*_predict",
    "infer",
    "infer_*",
    "inference",
    "inference_*",
    "*_inference",
)


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ()  # empty: every rule
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    torch_version: str | None = None
    eval_function_patterns: tuple[str, ...] = DEFAULT_EVAL_FUNCTION_PATTERNS  # set: replaces the defaults
    extend_eval_function_patterns: tuple[str, ...] = ()  # added to them, as Ruff's `extend-*` settings
    model_names: tuple[str, ...] = ()

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def is_eval_function_name(self, name: str) -> bool:
        """`evaluate`, and private `_eval_step` alike."""
        return (
            _eval_name_regex(self.eval_function_patterns + self.extend_eval_function_patterns).match(name.lstrip("_"))
            is not None
        )


@functools.lru_cache(maxsize=16)
def _eval_name_regex(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns) or "(?!)")


# TOML spelling (kebab-case) -> field name
TOML_KEYS: dict[str, str] = {f.name.replace("_", "-"): f.name for f in fields(Config)}


class ConfigError(ValueError):
    """Values of the wrong type or shape, one `key: expected ..., got ...` each (all of them, so that
    one run shows everything to correct)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def config_from_mapping(table: Mapping[str, Any], prefix: str = "") -> tuple[Config, list[str]]:
    """Build a Config from a `[tool.gradguard]` table; returns it with warnings for unknown keys.
    `prefix` ("tool.gradguard.") starts the key named in an error."""
    warnings: list[str] = []
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = TOML_KEYS.get(key) or (key if key in TOML_KEYS.values() else None)
        if name is None:
            warnings.append(f"unknown key `{key}` in [tool.gradguard], ignored")
            continue
        try:
            values[name] = _coerce(name, value)
        except _Expected as wrong:
            problems.append(expected(f"{prefix}{_toml_key(key)}{wrong.where}", str(wrong), wrong.value))
    if problems:
        raise ConfigError(problems)
    return Config(**values), warnings


class _Expected(Exception):
    """What a value should have been; `where` names the part of it that was wrong (`."x.py"`)."""

    def __init__(self, expected: str, value: Any, where: str = "") -> None:
        super().__init__(expected)
        self.value, self.where = value, where


def _coerce(name: str, value: Any) -> Any:
    if name in ("select", "ignore"):
        return _rule_selectors(_strings(value, "a list of strings"), value)
    if name in ("exclude", "eval_function_patterns", "extend_eval_function_patterns", "model_names"):
        return _strings(value, "a list of strings")
    if name == "severity":
        table = _table(value)
        _rule_selectors(tuple(table), list(table))
        return {key: _one_of(SEVERITIES, level, f".{_toml_key(key)}") for key, level in table.items()}
    if name == "per_file_ignores":
        return {
            glob: _rule_selectors(
                _strings(codes, "a list of rule codes", f".{_toml_key(glob)}"), codes, f".{_toml_key(glob)}"
            )
            for glob, codes in _table(value).items()
        }
    if name == "torch_version":
        if not isinstance(value, str) or not re.fullmatch(r"\d+(\.\d+)*", value):
            raise _Expected('a version string such as "1.13"', value)
        return value
    raise AssertionError(f"no conversion for {name}")  # every field of Config has one above


def _rule_selectors(tokens: tuple[str, ...], value: Any, where: str = "") -> tuple[str, ...]:
    """Codes, prefixes (GG2) or slugs that each select a rule: a typo such as GG999 would select nothing."""
    from .analysis import KNOWN_SELECTORS, unknown_selectors  # analysis imports this module

    if unknown := unknown_selectors(tokens):
        raise _Expected(f"{KNOWN_SELECTORS} (not {', '.join(unknown)})", value, where)
    return tokens


def _strings(value: Any, expected: str, where: str = "") -> tuple[str, ...]:
    """A list of strings, or one string of items separated by commas or spaces."""
    if isinstance(value, str):
        value = re.split(r"[,\s]+", value.strip())
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise _Expected(expected, value, where)
    return tuple(v for v in value if v)


def _table(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise _Expected("a table", value)
    return value


def _one_of(choices: tuple[str, ...], value: Any, where: str) -> str:
    if value not in choices:
        raise _Expected(f"one of {', '.join(choices)}", value, where)
    return value


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def expected(key: str, what: str, value: Any) -> str:
    """`key: expected what, got value`, the value as TOML-like text, cut short."""
    shown = json.dumps(value, default=str)
    return f"{key}: expected {what}, got {shown if len(shown) <= 60 else shown[:57] + '...'}"
