"""Models a function reaches through the attributes of its parameters: `validate(context)` runs
`context.model`, which its callers hold in the mode they left it in (`model = context.model; model.train()`
in `train(context)`, which then calls `validate(context)`). As `trainer.validate()` runs with the caller's
`trainer.model`, a parameter's attribute starts in the join of the modes the call sites hold it in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from .state import Possible

if TYPE_CHECKING:
    from .events import CallEvent
    from .functions import FunctionFacts


def attribute_modes(
    params: list[str], sites: Iterable[tuple[FunctionFacts, CallEvent, Mapping[str, str]]]
) -> dict[str, Possible]:
    """`param.attr` -> its mode at entry, for each attribute of a parameter that some caller holds as a model
    (`context.model`), given each call site with its argument map (callee key -> caller key). Every site must
    pass a name for the parameter; one that does not hold the attribute as a model brings its unknown entry
    mode, so that only what every caller shows is known. `self` is the receiver's, found elsewhere."""
    sites = list(sites)
    found: dict[str, Possible] = {}
    for param in params:
        if param == "self" or not sites or any(param not in mapping for _, _, mapping in sites):
            continue
        attributes = {
            key[len(mapping[param]) + 1 :]
            for caller, _, mapping in sites
            for key in caller.model_keys
            if key.startswith(mapping[param] + ".")
        }
        for attribute in attributes:
            found[f"{param}.{attribute}"] = frozenset().union(
                *(event.state.mode(f"{mapping[param]}.{attribute}") for _, event, mapping in sites)
            )
    return found
