"""The package's declared metadata: what pip and npm read before any code runs."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_the_license_is_declared_as_spdx_and_shipped() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert (
        (ROOT / "LICENSE")
        .read_text(encoding="utf-8")
        .startswith("MIT License\n\nCopyright (c) 2026 GradGuard contributors\n")
    )
    assert "Programming Language :: Python :: 3.9" in project["classifiers"]


def _version(text: str) -> tuple[int, ...]:
    parts = [int(part) for part in re.findall(r"\d+", text)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def _satisfies(version: tuple[int, ...], node_range: str) -> bool:
    """npm's `engines.node` ranges as the lock file holds them: `||` of space-separated comparators
    (`>=`, `<=`, `^`, a bare major)."""
    for alternative in node_range.split("||"):
        comparators = re.findall(r"(>=|<=|\^)?\s*([\d.x*]+)", alternative)
        if all(_compare(version, operator, bound) for operator, bound in comparators):
            return True
    return False


def _compare(version: tuple[int, ...], operator: str, bound: str) -> bool:
    if bound == "*":
        return True
    if operator == ">=":
        return version >= _version(bound)
    if operator == "<=":
        return version <= _version(bound)
    low = _version(bound)
    if operator == "^":  # same major (or minor, under 1.0), not lower
        return version >= low and (version[0] == low[0] if low[0] else version[:2] == low[:2])
    return version[0] == low[0]  # a bare major such as `20`


def test_every_locked_npm_package_runs_on_the_oldest_node_we_declare() -> None:
    """`npm ci` warns EBADENGINE for a package whose `engines.node` excludes the running Node."""
    declared = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["engines"]["node"]
    oldest = _version(re.fullmatch(r">=\s*([\d.]+)", declared).group(1))
    locked = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    excluding = {
        name: package["engines"]["node"]
        for name, package in locked.items()
        if isinstance(package.get("engines"), dict)
        and "node" in package["engines"]
        and not _satisfies(oldest, package["engines"]["node"])
    }
    assert excluding == {}
    assert _satisfies((22, 0, 0), ">=20.18.1") and not _satisfies((21, 0, 0), "20 || >=22")  # the parser itself
