"""`gradguard` serves LSP (stdio, or `--tcp`); `gradguard --check` and friends run headless."""
from __future__ import annotations

import sys

from .processes import keep_working_directory_off_path

HEADLESS_FLAGS = ("--check", "--explain", "--list-rules", "--add-noqa", "--version", "-h", "--help")


def main(argv: list[str] | None = None) -> int:
    keep_working_directory_off_path()  # before the rest of gradguard (and the standard library it needs) is imported
    args = sys.argv[1:] if argv is None else argv
    if any(arg.split("=", 1)[0] in HEADLESS_FLAGS for arg in args):
        from .cli import main as check_main

        return check_main(args)
    from .lsp.server import main as serve_main

    return serve_main(args)


if __name__ == "__main__":
    sys.exit(main())
