"""What GradGuard says about the PyTorch APIs of grad mode and training mode, in one place: the editor's
hover over a name that resolves to one (`dataflow/places.py` finds them) and `gradguard rule <API>` read
these texts. Short enough for a hover; the rules' pages (`gradguard rule GGnnn`) say the rest.
"""

from __future__ import annotations

# Each text is the "Hover" / corrected-FAQ wording of TORCH-FACTS.md (item or FAQ row in the comment).
NO_GRAD = (
    "**`torch.no_grad`**\n\n"
    # FAQ F1
    "Disables recording of operations for autograd in this thread while the block runs: results get "
    "`requires_grad=False` and no graph is kept, which saves memory. Parameters' `requires_grad` flags are "
    "unchanged. Tensors created with `requires_grad=True` inside the block still require grad.\n\n"
    # FAQ F2
    "For pure inference, use it (or `torch.inference_mode()`); keep the forward/backward of training outside it. "
    "Manual in-place parameter updates belong inside it."
)
NOT_CALLED = (
    # item 1
    "`torch.no_grad` is a class; `with` needs an instance: `with torch.no_grad():`. Without the parentheses, "
    "entering the block raises (TypeError on Python ≥3.11, AttributeError `__enter__` on ≤3.10).\n\n"
)
INFERENCE_MODE = (
    "**`torch.inference_mode`**\n\n"
    # item 11
    "Like `no_grad`, but tensors created here are *inference tensors*: they can't later be saved for backward, "
    "changed in place, or set to `requires_grad=True` outside inference mode. Use `.clone()` outside the block "
    "to get a normal tensor, or use `no_grad` if the results feed training."
)
SET_GRAD_ENABLED = (
    "**`torch.set_grad_enabled`**\n\n"
    # item 4
    "`torch.set_grad_enabled(False)` called as a statement turns gradient tracking off for the rest of this "
    "thread, until `torch.set_grad_enabled(True)` or the exit of an enclosing grad-mode `with` block. Use "
    "`with torch.set_grad_enabled(False):` to scope it. The argument must be a real `bool`: `0`, `1` and `None` "
    "raise TypeError."
)
ENABLE_GRAD = (
    "**`torch.enable_grad`**\n\n"
    # item 10 summary
    "Inside `no_grad`, re-enables recording for its own block; the enclosing mode comes back when it exits. "
    "It doesn't make tensors require grad: it only lets operations on tensors that already require grad be "
    "recorded."
)
EVAL = (
    "**`Module.eval()`**\n\n"
    # item 7
    "`model.eval()` only sets `module.training=False` on the module and all its submodules. That changes layers "
    "such as Dropout and BatchNorm. Autograd still records everything: outputs keep `requires_grad=True` and "
    "activations stay in memory. For inference also use `torch.no_grad()` or `torch.inference_mode()`."
)
TRAIN = (
    "**`Module.train()`**\n\n"
    # FAQ F3
    "Independent: `eval()` changes layer behaviour (Dropout off, BatchNorm uses running stats and stops updating "
    "them); `no_grad()` stops autograd recording.\n\n"
    # item 8
    "`train()` and `eval()` called inside a `with` block are not undone when the block ends: module mode isn't "
    "scoped by any grad context manager."
)
DETACH = (
    "**`Tensor.detach()`**\n\n"
    # FAQ F5
    "`t.detach()` returns a tensor that shares storage with `t` but is cut from the graph (in-place edits affect "
    "both). `no_grad()` is a thread-local mode: ops inside it aren't recorded, so their results don't require grad."
)
REQUIRES_GRAD = (
    "**`requires_grad`**\n\n"
    # item 15 / FAQ F1
    "`no_grad` never changes a parameter's `requires_grad` flag; it only stops results of operations from being "
    "recorded. Tensors created with `requires_grad=True` inside the block still require grad."
)

# by the name `dataflow/places.py` gives each API
API_TEXTS = {
    "torch.no_grad": NO_GRAD,
    "torch.inference_mode": INFERENCE_MODE,
    "torch.set_grad_enabled": SET_GRAD_ENABLED,
    "torch.enable_grad": ENABLE_GRAD,
    "Module.eval": EVAL,
    "Module.train": TRAIN,
    "Tensor.detach": DETACH,
    "requires_grad": REQUIRES_GRAD,
}


def api_explanation(api: str, entered_uncalled: bool = False) -> str | None:
    """The text for `api` (a key of API_TEXTS); for `with torch.no_grad:` (not called), item 1 first."""
    text = API_TEXTS.get(api)
    if text is not None and api == "torch.no_grad" and entered_uncalled:
        text = text.replace("\n\n", "\n\n" + NOT_CALLED, 1)
    return text
