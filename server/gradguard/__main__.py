"""`gradguard check|server|rule|version` (see `cli`); a bare `gradguard` started by an editor serves LSP.

Nothing is imported here before the working directory is off `sys.path` but what every Python has
loaded when it starts (`os`, `sys`): not even `__future__` or `typing`, which a checked project could
shadow."""

import os
import sys


def keep_working_directory_off_path() -> None:
    """Take the working directory off `sys.path`. It is usually the checked project (`python -m
    gradguard` puts it first; an empty entry means it too), and worker processes start with the
    parent's `sys.path`: a `types.py` or `socket.py` there would be imported instead of the standard
    library's, i.e. the project's code would run. The folder this package was imported from stays,
    so that workers can import it (a source checkout run from `server/`)."""
    working = os.path.realpath(os.getcwd())
    ours = os.path.realpath(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path[:] = [entry for entry in sys.path if os.path.realpath(entry or os.curdir) != working or working == ours]


def main(argv: "list[str] | None" = None) -> int:
    keep_working_directory_off_path()  # before the rest of gradguard (and the standard library it needs) is imported
    from .cli import main as cli_main  # argument parsing imports argparse, re...: only now

    return cli_main(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
