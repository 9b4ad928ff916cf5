"""GradGuard: finds and fixes autograd-scope mistakes in PyTorch code."""
from .analysis import AnalysisError, analyze
from .config import Config
from .findings import Edit, Finding, Fix, Related, Span

__version__ = "0.1.0"
__all__ = ["AnalysisError", "Config", "Edit", "Finding", "Fix", "Related", "Span", "analyze", "__version__"]
