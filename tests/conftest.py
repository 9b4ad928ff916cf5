"""Fixtures shared by the CLI and the language-server tests."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# What a worker or the server imports (the standard library, our dependencies, gradguard itself):
# a checked project holding any of these must not get them imported.
TESTS = Path(__file__).parent
# Every test in tests/<folder>/ carries the folder's marker, so `-m` can pick or skip a whole suite:
# `python -m pytest` skips fuzz, lsp, e2e and slow (pyproject.toml's addopts); `.ci/run` runs everything.
FOLDER_MARKERS = {"fuzz": "fuzz", "lsp": "lsp", "e2e": "e2e"}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = item.path.relative_to(TESTS).parts[0]
        if folder in FOLDER_MARKERS:
            item.add_marker(FOLDER_MARKERS[folder])


PLANTED_MODULES = (
    "types",
    "multiprocessing",
    "signal",
    "socket",
    "selectors",
    "pickle",
    "runpy",
    "enum",
    "ast",
    "tokenize",
    "threading",
    "asyncio",
    "concurrent",
    "json",
    "typing",
    "__future__",
)
PLANTED_PACKAGES = ("gradguard", "libcst", "pygls", "lsprotocol")
PLANT = """import os
open(os.path.join({markers!r}, {name!r}), "w").close()
os._exit(86)  # the process that imported this module of the checked project stops here
"""


@dataclass(frozen=True)
class PlantedTree:
    root: Path  # a project whose top holds modules named like the ones we import
    markers: Path  # each planted module that gets imported leaves a file named after itself here

    def imported(self) -> list[str]:
        return sorted(path.name for path in self.markers.iterdir())


@pytest.fixture
def planted_tree(tmp_path: Path) -> PlantedTree:
    tree = PlantedTree(tmp_path / "project", tmp_path / "markers")
    tree.root.mkdir()
    tree.markers.mkdir()
    for name in PLANTED_MODULES:
        (tree.root / f"{name}.py").write_text(PLANT.format(markers=str(tree.markers), name=name))
    for name in PLANTED_PACKAGES:
        (tree.root / name).mkdir()
        (tree.root / name / "__init__.py").write_text(PLANT.format(markers=str(tree.markers), name=name))
    # The plants work: a Python started here the usual way imports them.
    control = subprocess.run([sys.executable, "-c", "import socket"], cwd=tree.root, timeout=60)
    assert control.returncode == 86 and tree.imported() == ["socket"]
    (tree.markers / "socket").unlink()
    return tree
