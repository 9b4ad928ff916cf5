"""GradGuard: finds and fixes autograd-scope mistakes in PyTorch code.

The public names are imported on first use: `python -m gradguard` imports this package before
`__main__` can take the working directory (the checked project) off `sys.path`, so nothing here
may import a module that a project could shadow (`json`, `typing`, `__future__`, ...)."""

__version__ = "0.1.0"
__all__ = ["AnalysisError", "Config", "Edit", "Finding", "Fix", "Related", "Span", "__version__", "analyze"]
_HOMES = {
    "AnalysisError": "analysis",
    "analyze": "analysis",
    "Config": "config",
    "Edit": "findings",
    "Finding": "findings",
    "Fix": "findings",
    "Related": "findings",
    "Span": "findings",
}


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module 'gradguard' has no attribute {name!r}")
    return getattr(__import__(f"{__name__}.{_HOMES[name]}", fromlist=[name]), name)
