"""The rule registry: every rule, in code order. A new rule is one module here plus one line below."""

from __future__ import annotations

from . import (
    gg101_no_grad_not_called,
    gg102_grad_mode_call_discarded,
    gg103_mode_switch_not_called,
    gg104_backward_under_no_grad,
    gg105_global_grad_disabled,
    gg106_grad_reenabled_in_no_grad,
    gg107_no_grad_on_coroutine,
    gg108_grad_mode_across_yield,
    gg109_grad_mode_in_new_thread,
    gg110_volatile_has_no_effect,
    gg201_forward_without_no_grad,
    gg202_missing_eval,
    gg203_train_mode_not_restored,
    gg204_train_under_no_grad,
    gg205_mode_unset_after_load,
    gg206_functional_dropout_ignores_eval,
)
from .base import Rule

RULES: tuple[Rule, ...] = (
    gg101_no_grad_not_called.RULE,
    gg102_grad_mode_call_discarded.RULE,
    gg103_mode_switch_not_called.RULE,
    gg104_backward_under_no_grad.RULE,
    gg105_global_grad_disabled.RULE,
    gg106_grad_reenabled_in_no_grad.RULE,
    gg107_no_grad_on_coroutine.RULE,
    gg108_grad_mode_across_yield.RULE,
    gg109_grad_mode_in_new_thread.RULE,
    gg110_volatile_has_no_effect.RULE,
    gg201_forward_without_no_grad.RULE,
    gg202_missing_eval.RULE,
    gg203_train_mode_not_restored.RULE,
    gg204_train_under_no_grad.RULE,
    gg205_mode_unset_after_load.RULE,
    gg206_functional_dropout_ignores_eval.RULE,
)
BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
BY_SLUG: dict[str, Rule] = {rule.slug: rule for rule in RULES}


def find_rule(code_or_slug: str) -> Rule | None:
    return BY_CODE.get(code_or_slug.upper()) or BY_SLUG.get(code_or_slug)
