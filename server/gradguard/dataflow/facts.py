from __future__ import annotations

import ast

from ..config import Config


class ModuleFacts:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree


def build_facts(tree: ast.Module, config: Config, path: str) -> ModuleFacts:
    return ModuleFacts(tree)
