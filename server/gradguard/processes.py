"""How the processes that run analyses start and are set up: the CLI and its workers, the language
server and its workers. None of them may import a module from the tree being checked."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext


def worker_context() -> BaseContext:
    """The multiprocessing context of every worker process: spawned, by a Python in isolated mode (`-I`).

    A spawned child runs `python -c "from multiprocessing.spawn import ..."` before any of our code,
    and `-c` puts the working directory first on its path: a `multiprocessing.py` or `types.py` at
    the top of the checked project would run in every worker. `-I` leaves it out (Python 3.4 on);
    the child then takes our `sys.path` (see `__main__.keep_working_directory_off_path`). multiprocessing
    gives its children (workers, resource tracker, fork server) the parent's interpreter flags from
    `util._args_from_interpreter_flags`, so `-I` is added there: the installed `gradguard` command
    does not run with `-I` itself. Should a Python drop that function, this fails loudly instead of
    starting workers unprotected."""
    import multiprocessing
    from multiprocessing import util

    if not getattr(util._args_from_interpreter_flags, "adds_isolated_mode", False):  # type: ignore[attr-defined]  # private
        util._args_from_interpreter_flags = _with_isolated_mode(util._args_from_interpreter_flags)  # type: ignore[attr-defined]  # private
    return multiprocessing.get_context("spawn")


def _with_isolated_mode(interpreter_flags: Callable[[], list[str]]) -> Callable[[], list[str]]:
    def flags() -> list[str]:
        inherited = interpreter_flags()
        return inherited if "-I" in inherited else [*inherited, "-I"]

    flags.adds_isolated_mode = True  # type: ignore[attr-defined]  # marks the wrapper: it is installed once
    return flags


def tune_garbage_collector() -> None:
    """An analysis allocates millions of short-lived AST nodes and facts: at the default threshold
    (700 allocations) the cyclic collector runs thousands of times per file and finds little, which
    cost a fifth of the CPU time of a corpus run. Cycles (a function's facts and its parent's) are
    still collected, less often; what was loaded before the run is never scanned again."""
    gc.freeze()
    gc.set_threshold(50_000, 50, 50)
