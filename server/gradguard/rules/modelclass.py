"""What a model is built from (a class of this file, of another file of the project, or a `torch.nn`
expression) and what that says: which of its layers depend on the training mode, and whether its
`forward` needs gradients itself. Questions GG201, GG202 and GG205 ask of the same model."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..dataflow.classindex import consumes_gradients
from ..dataflow.crossfile import absolute_import
from ..dataflow.facts import ModuleFacts
from ..dataflow.models import mode_dependent_layers
from ..dataflow.names import dotted
from ..dataflow.state import Possible
from ..vocabulary import GRAD_MODE_APIS, SAME_MODEL_METHODS, THIRD_PARTY_ROOTS


@dataclass(frozen=True)
class BuiltFrom:
    name: str  # as a message names it: `Net`, `nn.Sequential`
    node: ast.AST | None  # the class of this file, or the `torch.nn` expression
    reference: str | None = None  # the absolute name of a module class of another file of the project


def model_class(facts: ModuleFacts, key: str, mode: Possible) -> BuiltFrom | None:
    """What `key` is built from: found from the assignments that created it, else those of its name
    anywhere in the module (or a parameter annotated with a class of this file); None unless all agree."""
    definitions = _definitions(facts)
    values = [
        s.origin.value for s in mode if s.via == "constructed" and isinstance(s.origin, (ast.Assign, ast.AnnAssign))
    ]
    built: set[BuiltFrom] = set()
    names = {key}
    if not values:
        receivers = (  # `model.train()`: its receiver
            dotted(s.origin.func.value)
            for s in mode
            if isinstance(s.origin, ast.Call) and isinstance(s.origin.func, ast.Attribute)
        )
        names |= {name for name in receivers if name}
        values = [
            node.value
            for node in facts.of_type(ast.Assign, ast.AnnAssign)
            if node.value is not None
            and names & {dotted(t) for t in (node.targets if isinstance(node, ast.Assign) else [node.target])}
        ]
        built = {
            BuiltFrom(arg.annotation.id, definitions[arg.annotation.id])
            for fn in facts.functions
            if not isinstance(fn.node, ast.Module)
            for arg in [*fn.node.args.args, *fn.node.args.kwonlyargs]
            if arg.arg in names  # `model: LSTMClassifier`
            and isinstance(arg.annotation, ast.Name)
            and arg.annotation.id in facts.module_classes
        }
    for value in values:
        if value is None:
            return None
        if facts.kinds.wrapped_model(value, names):
            continue  # `g = g.to(device)`, `model = DDP(model)`: the same model
        while (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr in SAME_MODEL_METHODS
            and isinstance(value.func.value, ast.Call)
        ):
            value = value.func.value  # `Net().to(device).eval()`
        if not isinstance(value, ast.Call):
            taken = _project_model(facts, value)
            if taken is None:
                return None
            built.add(BuiltFrom(dotted(value) or taken, None, taken))  # `G = gan_mnist.G`
            continue
        reference = facts.project_class(value.func)
        if isinstance(value.func, ast.Name) and value.func.id in facts.module_classes:
            built.add(BuiltFrom(value.func.id, definitions[value.func.id]))
        elif reference is not None:
            built.add(BuiltFrom(dotted(value.func) or reference.rsplit(".", 1)[-1], None, reference))
        elif (facts.names.qualified(value.func) or "").startswith("torch.nn."):
            built.add(BuiltFrom(f"nn.{(dotted(value.func) or '').rsplit('.', 1)[-1]}", value))
        else:
            return None
    return built.pop() if len(built) == 1 else None


def _project_model(facts: ModuleFacts, value: ast.expr) -> str | None:
    """The absolute name of a model that another file of the project builds at its top level and `value` names
    (`gan_mnist.G`, or `G` imported from it), as the project's class index knows it."""
    project = facts.project
    root = value
    while isinstance(root, ast.Attribute):
        root = root.value
    if project is None or not isinstance(root, ast.Name) or root.id not in facts.names.imported:
        return None  # a name of this module
    qualified = facts.names.qualified(value)
    if qualified is None or qualified.split(".", 1)[0] in THIRD_PARTY_ROOTS:
        return None
    reference = absolute_import(qualified, facts.module, _is_package(facts))
    definition = project.definition(reference)
    return reference if definition is not None and not definition.module and not definition.bases else None


def mode_dependence(facts: ModuleFacts, built: BuiltFrom) -> frozenset[str] | None:
    """`mode_dependent_layers` of what the model is built from, through the project's class index
    for what other files define; None when something in it cannot be seen."""
    project = facts.project
    if built.reference is not None:
        return project.mode_dependence(built.reference) if project is not None else None
    if built.node is None:
        return None

    def imported(qualified: str) -> frozenset[str] | None:
        if project is None or qualified.split(".", 1)[0] in THIRD_PARTY_ROOTS:
            return None
        return project.mode_dependence(absolute_import(qualified, facts.module, _is_package(facts)))

    return mode_dependent_layers(built.node, facts.names, _definitions(facts), imported)


def forward_needs_grad(facts: ModuleFacts, built: BuiltFrom) -> bool:
    """The model's own `forward` backpropagates or asks autograd for gradients (an energy model that
    optimises its prediction by gradient steps): its callers need gradients on."""
    if built.reference is not None:
        return facts.project is not None and facts.project.forward_needs_grad(built.reference)
    if not isinstance(built.node, ast.ClassDef):
        return False
    forward = next(
        (
            item
            for item in built.node.body
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == "forward"
        ),
        None,
    )
    return forward is not None and any(consumes_gradients(node, facts.names) for node in ast.walk(forward))


def records_no_graph(facts: ModuleFacts, key: str, mode: Possible) -> bool:
    """The model is built from a project class that names nothing of torch beyond its `nn.Module` base
    (a NumPy model, fitted when called): its forward pass records no autograd graph of its own."""
    built = model_class(facts, key, mode)
    project = facts.project
    if built is None or project is None:
        return False
    if built.reference is not None:
        return project.builds_no_graph(built.reference)
    return (
        isinstance(built.node, ast.ClassDef)
        and bool(facts.module)
        and project.builds_no_graph(f"{facts.module}.{built.node.name}")
    )


def forward_sets_grad(facts: ModuleFacts, built: BuiltFrom) -> bool:
    """The model's own `forward` turns gradients off, at least for some inputs (`with torch.no_grad():` under
    `mode == "inference"`, a `@torch.no_grad()` forward): whether a call records a graph is its decision."""
    if built.reference is not None:
        return facts.project is not None and facts.project.forward_sets_grad(built.reference)
    if not isinstance(built.node, ast.ClassDef):
        return False
    return any(
        isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
        and item.name == "forward"
        and any(
            isinstance(node, ast.Call) and facts.names.qualified(node.func) in GRAD_MODE_APIS for node in ast.walk(item)
        )
        for item in built.node.body
    )


def _definitions(facts: ModuleFacts) -> dict[str, ast.AST]:
    found = facts.answers.get("top-level definitions")
    if found is None:
        found = facts.answers["top-level definitions"] = {
            node.name: node for node in facts.tree.body if isinstance(node, (ast.ClassDef, ast.FunctionDef))
        }
    return found


def _is_package(facts: ModuleFacts) -> bool:
    return facts.path.replace("\\", "/").endswith("/__init__.py")
