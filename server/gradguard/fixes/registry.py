"""Which fix builders serve which rule, preferred first. Rules not listed get only the ignore fix."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Callable

from ..findings import Fix
from . import calls, insert, wrap
from .context import FixContext

# A builder yields its fixes preferred first; it may be a generator, so unused alternatives cost nothing.
Builder = Callable[[FixContext], Iterable[Fix]]

BUILDERS: dict[str, tuple[Builder, ...]] = {
    "GG101": (calls.add_call_parentheses,),
    "GG102": (wrap.wrap_following, wrap.delete_statement),
    "GG103": (calls.add_call_parentheses,),
    "GG105": (wrap.wrap_following,),
    "GG110": (calls.remove_keyword_argument,),
    "GG201": (wrap.wrap_forward,),
    "GG202": (insert.eval_before_evaluation,),
    "GG203": (insert.train_after_evaluation,),
    "GG205": (insert.eval_after_load,),
    "GG206": (calls.pass_training_flag,),
}
