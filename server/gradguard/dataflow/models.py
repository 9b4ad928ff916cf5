"""What is a model: the expressions whose calls are forward passes, and the mode they start in."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable, Mapping
from typing import Callable

from ..vocabulary import (
    BATCH_NORM_LAYERS,
    BUILD_NO_MODULES,
    DROPOUT_LAYERS,
    FRAMEWORK_MODULE_SUFFIXES,
    FRESH_MODEL_FACTORIES,
    FUNCTIONAL_DROPOUTS,
    INSTANCE_NORM_LAYERS,
    LAYERS_WITH_DROPOUT,
    MODE_DEPENDENT_LAYERS,
    MODULE_BASES,
    MODULE_LOADERS,
    MODULE_METHODS,
    NON_TORCH_ROOTS,
    NOT_MODELS_FROM_PRETRAINED,
    OPENMMLAB_MODEL_BUILDER,
    OPTIMIZER_RECEIVERS,
    PICKLE_LOADERS,
    PRETRAINED_KEYWORDS,
    PRETRAINED_PACKAGES,
    SAME_MODEL_FUNCTIONS,
    SAME_MODEL_METHODS,
    SHARED_STATE_METHODS,
    STATELESS_LAYERS,
    THIRD_PARTY_ROOTS,
    TORCH_ROOTS,
)
from .names import Names, dotted
from .state import Mode


def module_classes(
    tree: ast.Module,
    names: Names,
    project_class: Callable[[ast.expr], str | None] | None = None,
    plain_project_class: Callable[[ast.expr], bool] | None = None,
) -> set[str]:
    """Classes of this module that are `nn.Module`s: by their bases (through other classes here too, and
    `project_class`: module classes of other files of the project) or their `forward`, unless the class
    derives from nothing that can be a module (`is_plain`)."""
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    by_name = {cls.name: cls for cls in classes}
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for cls in classes:
            if cls.name not in found and (
                any(
                    is_module_base(base, names, found) or (project_class is not None and project_class(base))
                    for base in cls.bases
                )
                or (_defines_forward(cls) and not is_plain(cls, by_name, plain_project_class, set()))
            ):
                found.add(cls.name)
                changed = True
    return found


def is_plain(
    cls: ast.ClassDef,
    by_name: dict[str, ast.ClassDef],
    plain_project_class: Callable[[ast.expr], bool] | None,
    seen: set[str],
) -> bool:
    """The class derives only from `object` and other such classes (of this module, `by_name`, or of another
    file of the project: `plain_project_class`): never an `nn.Module`, whatever its methods are called (a
    training wrapper's `forward(split)` runs its network, it is no forward pass of its own). Asked only of a
    class that defines `forward`: most classes never are."""
    seen.add(cls.name)
    return all(
        (isinstance(base, ast.Name) and base.id == "object")
        or (
            isinstance(base, ast.Name)
            and base.id in by_name
            and base.id not in seen
            and is_plain(by_name[base.id], by_name, plain_project_class, seen)
        )
        or (plain_project_class is not None and plain_project_class(base))
        for base in cls.bases
    )


def _defines_forward(cls: ast.ClassDef) -> bool:
    """A class with a `forward` method is a module even when its base comes from elsewhere."""
    return any(
        isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == "forward" for item in cls.body
    )


def is_module_base(base: ast.expr, names: Names, local: set[str]) -> bool:
    if isinstance(base, ast.Name) and base.id in local:
        return True
    qualified = names.qualified(base) or ""
    return (
        qualified in MODULE_BASES
        or (qualified.startswith("torch.nn.") and qualified[9:10].isupper())
        or qualified.endswith(FRAMEWORK_MODULE_SUFFIXES)
    )


class ModelKinds:
    """Answers "is this expression a model, and in what mode is a new one?" for one module."""

    def __init__(
        self,
        names: Names,
        classes: set[str],
        extra_names: Iterable[str],
        project_class: Callable[[ast.expr], str | None] | None = None,
    ) -> None:
        self.names = names
        self.classes = classes
        self.extra_names = frozenset(extra_names)
        self.factories: set[str] = set()  # functions of this module that return a new module
        self.factory_methods: set[str] = set()  # methods of its classes that do: `self.model = self.define_graph()`
        # the module class of another file of the project an expression names (`Attention`, `models.SeqNet`)
        self.project_class = project_class or (lambda expr: None)

    def note_factories(self, tree: ast.Module) -> None:
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and self.is_annotated_model(node.returns):
                self.factories.add(node.name)
        for found, definitions in (
            (self.factories, tree.body),
            (self.factory_methods, [d for c in tree.body if isinstance(c, ast.ClassDef) for d in c.body]),
        ):
            for node in definitions:  # twice would find factories calling factories; once finds the usual builder
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and self._returns_new_module(node):
                    found.add(node.name)

    def _returns_new_module(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """Ends with `return nn.Sequential(...)` (a class of the file, a torch layer, a fresh factory) and
        returns nothing else. The last statement is looked at first: it rules out almost every function."""
        last = node.body[-1]
        if (
            not isinstance(last, ast.Return)
            or last.value is None
            or self.created_mode(last.value, set()) is not Mode.TRAIN
        ):
            return False
        stack = list(node.body[:-1])
        while stack:  # statements only, not expressions, not nested definitions (cheap)
            stmt = stack.pop()
            if isinstance(stmt, ast.Return):
                return False
            if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for name in ("body", "orelse", "finalbody", "handlers", "cases"):
                    stack.extend(getattr(stmt, name, ()))
        return True

    def created_mode(self, value: ast.expr, known: set[str]) -> Mode | None:
        """Mode of the model a call creates (TRAIN for a fresh module), UNKNOWN for a loaded one,
        None when the value is not a model. `known` are the model expressions in scope."""
        if not isinstance(value, ast.Call):
            return None
        func = value.func
        if (isinstance(func, ast.Name) and func.id in self.classes) or self.project_class(func):
            return Mode.TRAIN
        if isinstance(func, ast.Attribute) and func.attr in SAME_MODEL_METHODS and isinstance(func.value, ast.Call):
            inner = self.created_mode(func.value, known)  # `Net().eval()`, `Net().to(device)`
            if inner is None or func.attr not in ("eval", "train"):
                return inner
            return Mode.EVAL if func.attr == "eval" or _false_argument(value) else Mode.TRAIN
        qualified = self.names.qualified(func) or ""
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "from_pretrained"
            and qualified.startswith(PRETRAINED_PACKAGES)
            and not qualified[: -len(".from_pretrained")].endswith(NOT_MODELS_FROM_PRETRAINED)
        ):
            return Mode.EVAL  # from_pretrained() calls model.eval() (transformers, diffusers)
        if (
            qualified.startswith(FRESH_MODEL_FACTORIES)
            or OPENMMLAB_MODEL_BUILDER.match(qualified)
            or self._dynamic_factory(func)
        ):
            return Mode.TRAIN
        if (
            qualified.startswith("torch.nn.")
            and qualified.rsplit(".", 1)[-1][:1].isupper()
            and qualified not in SAME_MODEL_FUNCTIONS
            and not qualified.startswith("torch.nn.parameter")
        ):
            return _layer_mode(qualified.rsplit(".", 1)[-1])
        if (isinstance(func, ast.Name) and func.id in self.factories) or (
            isinstance(func, ast.Attribute) and func.attr in self.factory_methods and dotted(func.value) == "self"
        ):
            return Mode.TRAIN
        if qualified in MODULE_LOADERS:
            return Mode.UNKNOWN
        return None

    def _dynamic_factory(self, func: ast.expr) -> bool:
        """`models.__dict__[args.arch]`, `getattr(torchvision.models, name)`: a factory of a known package
        chosen by name at run time."""
        if isinstance(func, ast.Subscript) and isinstance(func.value, ast.Attribute) and func.value.attr == "__dict__":
            package = func.value.value
        elif isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id == "getattr" and func.args:
            package = func.args[0]
        else:
            return False
        return (self.names.qualified(package) or "") + "." in FRESH_MODEL_FACTORIES

    def wrapped_model(self, value: ast.expr, known: set[str]) -> str | None:
        """`torch.compile(model)`, `model.to(device)`, `DDP(model)`: the model expression it returns."""
        if not isinstance(value, ast.Call):
            return None
        func = value.func
        if isinstance(func, ast.Attribute) and func.attr in SAME_MODEL_METHODS:
            inner = dotted(func.value)
            if inner in known:
                return inner
            if isinstance(func.value, ast.Call):
                return self.wrapped_model(func.value, known)
        qualified = self.names.qualified(func) or ""
        if qualified in SAME_MODEL_FUNCTIONS and value.args:
            argument = value.args[0]
            if isinstance(argument, ast.Call):  # `MMDataParallel(model.cuda(0))`
                return self.wrapped_model(argument, known)
            inner = dotted(argument)
            return inner if inner in known else None
        return None

    def is_annotated_model(self, annotation: ast.expr | None) -> bool:
        if annotation is None:
            return False
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            return annotation.value.rsplit(".", 1)[-1] in ("Module", *self.classes)
        if isinstance(annotation, ast.Name) and annotation.id in self.classes:
            return True
        return is_module_base(annotation, self.names, self.classes) or self.project_class(annotation) is not None


def _false_argument(call: ast.Call) -> bool:
    return bool(call.args) and isinstance(call.args[0], ast.Constant) and call.args[0].value is False


def _layer_mode(name: str) -> Mode | None:
    """A fresh `torch.nn` layer: None when it is not a model (losses, activations, pooling: no
    parameters), TRAIN when its behaviour depends on the mode, UNKNOWN otherwise (a `Linear` in
    training mode computes the same as in eval mode: never a GG202 finding)."""
    if name.endswith("Loss") or name in STATELESS_LAYERS:
        return None
    return Mode.TRAIN if name.startswith(MODE_DEPENDENT_LAYERS) else Mode.UNKNOWN


def uses_torch(names: Names) -> bool:
    """The module imports torch, a library built on it, a module of its own project or a library we do
    not know: only there does a method only modules have (`x.eval()`) make its receiver a model."""
    roots = {qualified.split(".", 1)[0] for qualified in names.imported.values()}
    return any(root == "" or root in TORCH_ROOTS or root not in NON_TORCH_ROOTS for root in roots)


def model_key(expr: ast.expr) -> str | None:
    """How a model expression is named in the state: `self.net` -> "self.net", and an element of a
    container of modules by a constant index: `self.model["generator"]` -> "self.model['generator']"."""
    key = dotted(expr)
    if (
        key is None
        and isinstance(expr, ast.Subscript)
        and isinstance(expr.slice, ast.Constant)
        and isinstance(expr.slice.value, (str, int))
        and not isinstance(expr.slice.value, bool)
    ):
        container = dotted(expr.value)
        return f"{container}[{expr.slice.value!r}]" if container is not None else None
    return key


def element_of(key: str, container: str) -> bool:
    """`self.model['generator']` is an element of `self.model`."""
    return key.startswith(container + "[")


def module_method_receiver(call: ast.Call) -> str | None:
    """`model.eval()` -> "model": calls only a module answers to make their receiver a model. For an element
    of a container by a variable index (`self.model[key].eval()`), the container: it holds modules."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in MODULE_METHODS:
        return None
    if len(call.args) + len(call.keywords) not in MODULE_METHODS[func.attr]:
        return None
    receiver = model_key(func.value)
    if receiver is None and isinstance(func.value, ast.Subscript):
        receiver = dotted(func.value.value)
    if receiver is not None and func.attr in SHARED_STATE_METHODS and names_training_state(receiver):
        return None
    return receiver


def names_optimizer(key: str) -> bool:
    """`optimizer`, `self.opt`, `opt_d`, `scaler`: named as an optimizer or a grad scaler."""
    last = key.rsplit(".", 1)[-1].lower()
    return "optim" in last or last in OPTIMIZER_RECEIVERS or last.startswith("opt_")


def names_training_state(key: str) -> bool:
    """Named as an object with a state dict that is not a module: an optimizer, an LR scheduler, a grad scaler."""
    last = key.rsplit(".", 1)[-1].lower()
    return names_optimizer(last) or "sched" in last or last.endswith("scaler")


def mode_dependent_layers(
    node: ast.AST,
    names: Names,
    definitions: Mapping[str, ast.AST],
    project: Callable[[str], frozenset[str] | None] | None = None,
) -> frozenset[str] | None:
    """What a model class (or the expression that builds a model) has that depends on the training
    mode: "Dropout", "BatchNorm", another layer's name (`LSTM`), or "self.training" (its code reads
    the flag). `definitions` are the module's classes and functions by name, followed where it calls
    them; `project` answers the same for a name imported from elsewhere (the project's class index),
    None when it cannot. None when it builds something we cannot see into: a base class, or a class
    or function imported from another package than torch and a few that build no modules."""
    parts: set[str] = set()
    found = layers_and_parts(node, names, definitions, parts.add if project is not None else None)
    if found is None or project is None:
        return found
    for part in sorted(parts):
        more = project(part)
        if more is None:
            return None
        found |= more
    return found


MODULE_CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")


def holds_given_modules(cls: ast.ClassDef, run: set[str] | None = None) -> bool:
    """Its `__init__` keeps something it is given (`self.net = net`, `nn.Sequential(*layers)`) that the
    class then runs (`self.net(x)`, `for layer in self.layers`): what that holds cannot be seen from
    the class. `run`: the `self.` attributes the class calls or iterates, when known already."""
    init = next((item for item in cls.body if isinstance(item, ast.FunctionDef) and item.name == "__init__"), None)
    if init is None:
        return False
    given = {a.arg for a in [*init.args.posonlyargs, *init.args.args, *init.args.kwonlyargs][1:]}
    given.update(a.arg for a in (init.args.vararg, init.args.kwarg) if a is not None)
    kept: set[str] = set()
    for stmt in init.body:  # (top-level statements: cheap; a module kept under a branch is rarer)
        if isinstance(stmt, ast.Assign):
            value = stmt.value
            if isinstance(value, ast.Call) and (dotted(value.func) or "").rsplit(".", 1)[-1] in MODULE_CONTAINERS:
                arguments = [*value.args, *(k.value for k in value.keywords)]
            else:
                arguments = [value]
            unstarred = [a.value if isinstance(a, ast.Starred) else a for a in arguments]
            if any(isinstance(a, ast.Name) and a.id in given for a in unstarred):
                kept.update(key[5:] for key in map(dotted, stmt.targets) if key and key.startswith("self."))
    if not kept:
        return False
    if run is None:
        run = {
            key[5:]
            for node in ast.walk(cls)
            for key in [
                dotted(node.func)
                if isinstance(node, ast.Call)
                else dotted(node.iter)
                if isinstance(node, (ast.For, ast.comprehension))
                else None
            ]
            if key and key.startswith("self.")
        }
    return bool(kept & run)


def layers_and_parts(
    node: ast.AST, names: Names, definitions: Mapping[str, ast.AST], note_part: Callable[[str], None] | None
) -> frozenset[str] | None:
    """`mode_dependent_layers` of what this module shows; each name imported from elsewhere (as the
    import spells it) goes to `note_part` instead of making the answer unknown, when it is given."""
    if isinstance(node, ast.ClassDef) and holds_given_modules(node):
        return None
    found: set[str] = set()
    pending, seen = [node], {id(node)}
    passed_on: set[int] = set()  # `training=self.training` given to a call: that call's kind counts, not the read
    while pending:
        for child in ast.walk(pending.pop()):  # breadth first: a call before its arguments
            if (
                isinstance(child, ast.Attribute)
                and child.attr == "training"
                and dotted(child.value) == "self"
                and id(child) not in passed_on
            ):
                found.add("self.training")
            if not isinstance(child, (ast.Call, ast.ClassDef)):
                continue
            if isinstance(child, ast.Call):
                passed_on.update(id(k.value) for k in child.keywords if k.arg == "training")
                passed_on.update(id(a) for a in child.args[2:3])
            for target in [child.func] if isinstance(child, ast.Call) else child.bases:
                local = definitions.get(target.id) if isinstance(target, ast.Name) else None
                qualified = names.qualified(target) or ""
                if local is not None and id(local) not in seen:
                    if isinstance(local, ast.ClassDef) and holds_given_modules(local):
                        return None
                    seen.add(id(local))
                    pending.append(local)
                elif qualified.split(".", 1)[0] == "torch" and qualified not in MODULE_LOADERS | PICKLE_LOADERS:
                    if _holds_values(qualified, child):
                        return None  # `nn.Sequential(encoder, head)`: modules built elsewhere
                    found.update(_torch_mode_dependence(qualified, child))
                elif qualified.split(".", 1)[0] not in BUILD_NO_MODULES and (
                    qualified or (isinstance(child, ast.ClassDef) and not hasattr(builtins, dotted(target) or ""))
                ):
                    if note_part is None or not qualified or qualified.split(".", 1)[0] in THIRD_PARTY_ROOTS:
                        return None  # imported from elsewhere, or a base class we cannot see
                    note_part(qualified)
    return frozenset(found)


def _holds_values(qualified: str, node: ast.AST) -> bool:
    """A torch container given values rather than the layers it builds: `nn.Sequential(encoder, head)`."""
    if not isinstance(node, ast.Call) or qualified.rsplit(".", 1)[-1] not in MODULE_CONTAINERS:
        return False
    arguments = [a.value if isinstance(a, ast.Starred) else a for a in [*node.args, *(k.value for k in node.keywords)]]
    for argument in arguments:
        elements = (
            argument.elts
            if isinstance(argument, (ast.List, ast.Tuple))
            else [v for v in argument.values if v is not None]
            if isinstance(argument, ast.Dict)
            else [argument]
        )
        if any(not isinstance(e, (ast.Call, ast.ListComp, ast.GeneratorExp)) for e in elements):
            return True
    return False


def _torch_mode_dependence(qualified: str, node: ast.AST) -> tuple[str, ...]:
    name = qualified.rsplit(".", 1)[-1]
    if qualified in FUNCTIONAL_DROPOUTS:  # only with `training=` passed: without it, it drops in every mode (GG206)
        passed = (
            [*node.args[2:3], *(k.value for k in node.keywords if k.arg == "training")]
            if isinstance(node, ast.Call)
            else []
        )
        return ("Dropout",) if passed and not isinstance(passed[0], ast.Constant) else ()
    if not qualified.startswith("torch.nn.") or not name[:1].isupper():
        return ()
    if name.startswith(DROPOUT_LAYERS):
        return ("Dropout",)
    if name.startswith(BATCH_NORM_LAYERS):
        return ("BatchNorm",)
    tracked = [k.value for k in node.keywords if k.arg == "track_running_stats"] if isinstance(node, ast.Call) else []
    if (
        name.startswith(LAYERS_WITH_DROPOUT)
        or name == "RReLU"
        or (
            name.startswith(INSTANCE_NORM_LAYERS)
            and tracked
            and not (isinstance(tracked[0], ast.Constant) and not tracked[0].value)
        )
    ):
        return (name,)
    return ()


def trained_weights_call(value: ast.expr | None) -> ast.Call | None:
    """The factory call in `value` that asks for trained weights (`resnet50(pretrained=True).to(device)`,
    `resnet50(weights=ResNet50_Weights.DEFAULT)`): the model it builds has weights loaded, in training mode."""
    while isinstance(value, ast.Call):
        if any(
            k.arg in PRETRAINED_KEYWORDS and not (isinstance(k.value, ast.Constant) and not k.value.value)
            for k in value.keywords
        ):
            return value
        value = value.func.value if isinstance(value.func, ast.Attribute) else None
    return None
