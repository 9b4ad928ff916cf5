"""Module-level orchestration: functions, their entry states, summaries, and the rounds.

Every function (and the module body) is walked with an entry state: grad mode from its
decorator, or else the join of the states at its call sites in the analysed code (a
function only ever called inside `no_grad` runs without gradients). A walk leaves a
summary: how the function changes grad mode and the training mode of its parameters,
`self.` attributes and globals. Call sites apply callee summaries, so `evaluate(model)`
carries "model is in eval mode now" back to the training loop. Rounds repeat until the
entry states settle (at most MAX_ROUNDS).
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Callable, TypeVar, Union, overload

from ..config import Config
from ..lines import line_starts
from ..vocabulary import (
    BACKWARD_METHODS,
    COPYING_FUNCTIONS,
    FORWARD_METHODS,
    FRAMEWORK_EVAL_CALLBACKS,
    FRAMEWORK_EVAL_HOOKS,
    GRAD_MODE_APIS,
    GRAD_OFF_APIS,
    INFERENCE_NAME_PREFIXES,
    MODULE_METHODS,
    PICKLE_LOADERS,
    SAME_MODEL_METHODS,
    THIRD_PARTY_ROOTS,
)
from .aliases import attribute_aliases
from .crossfile import (
    CALLER_RELOADED,
    Export,
    ImportedFunction,
    OutgoingCall,
    ProjectIndex,
    absolute_import,
    call_order,
    call_target,
    handed_models,
    portable,
    portable_mode,
    unseen_uses,
)
from .elements import literal_elements
from .events import CallEvent, FunctionNode, LoopFacts, Region, SuspendEvent
from .memo import FactsMemo
from .models import (
    ModelKinds,
    model_key,
    module_classes,
    module_method_receiver,
    names_optimizer,
    names_training_state,
    uses_torch,
)
from .names import Names, dotted
from .specialize import constant_tested_params, passed_constants
from .state import DEFAULT_GRAD, Grad, Mode, Possible, Setting, State, join_all, only
from .tokens import IDENTIFIER, call_positions, relevant_positions
from .traverse import children, descendants
from .walker import Walker, effects_in

S = TypeVar("S", bound=ast.stmt)
T = TypeVar("T", bound=ast.stmt)
Definition = Union[ast.FunctionDef, ast.AsyncFunctionDef]

MAX_ROUNDS = 4
WALKS_KEPT = MAX_ROUNDS + 1  # per function in the memo: one walk per round, and one from before an edit
STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
SELF_ATTRIBUTE = re.compile(r"self\.(\w+)")  # no leading \b: a literal prefix makes it 10x faster
# `self.model.eval()`, `Adam(self.model["g"].parameters())`: a line where a class may show that an attribute is a model
SELF_MODULE_CALL = re.compile(rf"self\.[\w.]+(?:\[[^\]\n]*\])?\.(?:{'|'.join(MODULE_METHODS)})\s*\(")


@dataclass
class Summary:
    grad_exit: Possible | None = None  # grad mode at exit, when the function changes it
    mode_exit: dict[str, Possible] = field(default_factory=dict)  # parameter/self./global key -> mode at exit
    trains_unset: bool = False  # backpropagates or steps an optimizer before setting any training mode


@dataclass
class FunctionFacts:
    node: FunctionNode
    name: str
    cls: ast.ClassDef | None
    parent: FunctionFacts | None
    params: list[str]
    model_keys: set[str]
    entry_grad_fixed: Possible | None = None  # from a decorator or a framework hook
    entry_regions: tuple[Region, ...] = ()
    entry: State = field(default_factory=lambda: State(DEFAULT_GRAD, {}, {}))
    calls: dict[int, CallEvent] = field(default_factory=dict)
    suspends: list[SuspendEvent] = field(default_factory=list)
    loops: dict[int, LoopFacts] = field(default_factory=dict)  # by id(loop node): the last walk wins
    exits: list[State] = field(default_factory=list)
    grad_before: dict[int, Possible] = field(default_factory=dict)  # by id(statement): grad mode where it starts
    summary: Summary = field(default_factory=Summary)
    nested: dict[str, FunctionFacts] = field(default_factory=dict)
    escapes: bool = False  # referenced as a value: called from places we cannot see
    framework_hook: bool = False
    walked: bool = True  # False: its text names nothing we track, so it has no events and no effects
    last_training_step: int = 0  # line of the last training step of the last walk (0: none); see _trained_by
    own_nodes_found: list[ast.AST] | None = None  # see ModuleFacts.own_nodes
    instances: dict[str, str] | None = None  # see ModuleFacts.instance_class
    aliases: tuple[tuple[str, str], ...] = ()  # `model = self.model`: one model under two names (aliases.py)
    constant_params: frozenset[str] = frozenset()  # compared with constants by its `if`s (specialize.py)

    @property
    def is_method(self) -> bool:
        return self.cls is not None and self.parent is None

    def call_events(self) -> Iterator[CallEvent]:
        return iter(self.calls.values())


class ModuleFacts:
    def __init__(
        self,
        tree: ast.Module,
        config: Config,
        path: str,
        source: str,
        project: ProjectIndex | None = None,
        module: str = "",
        memo: FactsMemo | None = None,
    ) -> None:
        self.tree = tree
        self.config = config
        self.path = path
        self.project = project
        self.module = module
        self.memo = memo
        self._imported_functions: dict[tuple[str, str], ImportedFunction | None] = {}
        self.statements: dict[type, list[ast.stmt]] = {}  # every statement of the module, by type
        self._statements_of: dict[ast.stmt, list[ast.stmt]] = {}  # a top-level statement, and those inside it
        for top in tree.body:
            self._statements_of[top] = self._remembered(("statements", top), lambda: [top, *statements_within(top)])  # noqa: B023  # called at once
            for stmt in self._statements_of[top]:
                self.statements.setdefault(type(stmt), []).append(stmt)
        self.names = Names(self.of_type(ast.Import, ast.ImportFrom))
        self.names.note_aliases(tree.body)
        self._project_classes: dict[str, str | None] = {}
        self.module_classes = module_classes(tree, self.names, self.project_class)
        self.kinds = ModelKinds(self.names, self.module_classes, config.model_names, self.project_class)
        self.duck_typing = uses_torch(self.names)  # `x.eval()` makes `x` a model only in torch code
        self.kinds.note_factories(tree)
        # what a walk or a function's model names depend on besides its own nodes (see memo.py)
        self.context = (
            tuple(sorted(self.names.imported.items())),
            frozenset(self.module_classes),
            frozenset(self.kinds.factories),
            frozenset(self.kinds.factory_methods),
        )
        self._dependencies: list[tuple[ast.Call, object, Summary, State]] | None = None
        self.source = source
        self.relevant = _relevant_definitions(tree, self.of_type(ast.FunctionDef, ast.AsyncFunctionDef), source, config)
        self._self_module_call_lines = _lines_matching(SELF_MODULE_CALL, source) if self.duck_typing else frozenset()
        self._effects: dict[int, list[ast.AST]] = {}
        self._specialized: dict[tuple, tuple[Summary, State, Summary]] = {}  # see _summary_for
        # (id(def), parameter) -> the calls in other files that hand it a model in training mode
        self.handed_over: dict[tuple[int, str], tuple[str, ...]] = {}
        self.answers: dict[object, Any] = {}  # what rules derived from the facts, computed once (rules/intent.py)
        self.functions: list[FunctionFacts] = []
        self.by_name: dict[str, FunctionFacts] = {}
        self.methods: dict[str, dict[str, FunctionFacts]] = {}
        self.body = self._collect(tree, "<module>", None, None, set())

    def project_class(self, expr: ast.expr) -> str | None:
        """The absolute name (`pkg.model.Attention`) of the `nn.Module` class of another file of the
        project that `expr` names, through the project's class index."""
        if self.project is None:
            return None
        qualified = self.names.qualified(expr)
        if qualified is None or qualified.split(".", 1)[0] in THIRD_PARTY_ROOTS:
            return None
        if qualified not in self._project_classes:
            is_package = self.path.replace("\\", "/").endswith("/__init__.py")
            reference = absolute_import(qualified, self.module, is_package)
            self._project_classes[qualified] = reference if self.project.is_module_class(reference) else None
        return self._project_classes[qualified]

    def leaves_mode(self, call: ast.Call) -> bool:
        """The call is of a class or function of another file of the project that switches no module's
        mode (`CAM(model, layer)`): a model handed to it keeps its mode, through the project's class index."""
        if self.project is None:
            return False
        qualified = self.names.qualified(call.func)
        if qualified is None or "." not in qualified or qualified.split(".", 1)[0] in THIRD_PARTY_ROOTS:
            return False
        is_package = self.path.replace("\\", "/").endswith("/__init__.py")
        return self.project.leaves_mode(absolute_import(qualified, self.module, is_package))

    def _remembered(self, key: tuple, compute: Callable[[], object]) -> Any:
        if self.memo is None:
            return compute()
        found = self.memo.get(key)
        return found if found is not None else self.memo.put(key, compute())

    def own_nodes(self, fn: FunctionFacts) -> list[ast.AST]:
        """Every node of the body, not descending into nested definitions (computed once)."""
        if fn.own_nodes_found is None:
            fn.own_nodes_found = self._remembered(("own nodes", fn.node), lambda: _own_nodes(fn.node))
        return fn.own_nodes_found

    def effects_in(self, node: ast.expr) -> list[ast.AST]:
        """`walker.effects_in`, computed once per expression: loops and rounds walk code again."""
        found = self._effects.get(id(node))
        if found is None:
            found = self._effects[id(node)] = effects_in(node)
        return found

    @overload
    def of_type(self, kind: type[S], /) -> list[S]: ...
    @overload
    def of_type(self, kind: type[S], other: type[T], /) -> list[S | T]: ...
    def of_type(self, *types: type[ast.stmt]) -> list[Any]:
        return [stmt for kind in types for stmt in self.statements.get(kind, ())]

    # ---- collection ---------------------------------------------------------------------------
    def _collect(
        self,
        node: FunctionNode,
        name: str,
        cls: ast.ClassDef | None,
        parent: FunctionFacts | None,
        outer_models: set[str],
    ) -> FunctionFacts:
        facts = FunctionFacts(node, name, cls, parent, _params(node), set())
        facts.walked = node is self.tree or id(node) in self.relevant
        if facts.walked:
            outer = frozenset(outer_models)
            facts.model_keys = set(
                self._remembered(
                    ("model keys", node, outer, self.context), lambda: frozenset(self._model_keys(node, facts, outer))
                )
            )
            self._note_aliases(facts)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                facts.constant_params = self._remembered(
                    ("constant params", node), lambda: constant_tested_params(node, self.own_nodes(facts), facts.params)
                )
        else:
            facts.model_keys = set(outer_models)
        self.functions.append(facts)
        for child in _local_definitions(node):
            if isinstance(child, ast.ClassDef):
                methods = self.methods.setdefault(child.name, {})
                walked = any(id(item) in self.relevant for item in child.body)
                class_models = self._class_models(child) if walked else set()
                for item in child.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        method = self._collect(item, item.name, child, None, facts.model_keys | class_models)
                        methods[item.name] = method
                        self._set_decorator_entry(method, child)
            else:
                inner = self._collect(child, child.name, None, None if node is self.tree else facts, facts.model_keys)
                if node is self.tree:
                    self.by_name[child.name] = inner
                else:
                    facts.nested[child.name] = inner
                self._set_decorator_entry(inner, None)
        return facts

    def _model_keys(self, node: FunctionNode, facts: FunctionFacts, outer: frozenset[str]) -> set[str]:
        # `self` of a module class stays a model in its methods (`self(x)` in `predict`), though it is a parameter
        keys = {
            key for key in outer if key.split(".", 1)[0] not in facts.params or key == "self" or key.startswith("self.")
        }
        keys.update(self.config.model_names)
        args = node.args if not isinstance(node, ast.Module) else None
        if args is not None:
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                if self.kinds.is_annotated_model(arg.annotation):
                    keys.add(arg.arg)
        assignments: list[tuple[list[ast.expr], ast.Call]] = []  # targets, value
        subscripts: list[ast.Subscript] = []  # called elements of containers: `self.model["generator"](z)`
        for child in self.own_nodes(facts):
            if isinstance(child, ast.Call):
                if isinstance(child.func, ast.Subscript):
                    subscripts.append(child.func)
                receiver = module_method_receiver(child) if self.duck_typing else None
                if receiver is not None:
                    keys.add(receiver)
            elif isinstance(child, (ast.Assign, ast.AnnAssign)) and isinstance(child.value, ast.Call):
                assignments.append((child.targets if isinstance(child, ast.Assign) else [child.target], child.value))
        called = {n.func.id for n in self.own_nodes(facts) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        # `net = torch.load(path)` then `net(x)`: a whole pickled module (a state dict is never called)
        for targets, value in assignments:
            if self.names.qualified(value.func) in PICKLE_LOADERS:
                keys.update(t.id for t in targets if isinstance(t, ast.Name) and t.id in called)
        for _ in range(2):  # twice: `net = Net(); model = net.to(device)`
            known = len(keys)
            for targets, value in assignments:
                if self.kinds.created_mode(value, keys) is not None or self.kinds.wrapped_model(value, keys):
                    keys.update(k for k in map(dotted, targets) if k)
            if len(keys) == known:
                break
        keys.update(_called_elements(subscripts, keys))
        return keys

    def _note_aliases(self, facts: FunctionFacts) -> None:
        """`model = self.model` where either name is a model: both are, and they switch together."""
        if isinstance(facts.node, ast.Module):
            return
        keys = frozenset(facts.model_keys)
        facts.aliases = self._remembered(
            ("aliases", facts.node, keys, self.context),
            lambda: attribute_aliases(
                self.own_nodes(facts),
                facts.params,
                self._same_object,
                lambda name, attribute: name in keys or attribute in keys,
            ),
        )
        for pair in facts.aliases:
            facts.model_keys.update(pair)

    def _same_object(self, value: ast.expr, name: str) -> bool:
        """`model.to(device)`, `DDP(model)`: the model `name` holds, or a wrapper running its modules (a copy
        is not)."""
        return (
            self.kinds.wrapped_model(value, {name}) == name
            and isinstance(value, ast.Call)
            and (self.names.qualified(value.func) or "") not in COPYING_FUNCTIONS
        )

    def _names_self_module_call(self, stmt: ast.stmt) -> bool:
        """A simple statement whose text calls a module method on a `self.` attribute (walking every
        statement of every class instead cost a third more CPU on the corpus)."""
        if hasattr(stmt, "body") or not self._self_module_call_lines:
            return False
        return any(
            line in self._self_module_call_lines for line in range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)
        )

    def _class_models(self, cls: ast.ClassDef) -> frozenset[str]:
        return self._remembered(("class models", cls, self.context), lambda: frozenset(self._class_model_attrs(cls)))

    def _class_model_attrs(self, cls: ast.ClassDef) -> set[str]:
        found: set[str] = {"self"} if cls.name in self.module_classes else set()
        for stmt in self._statements_of[cls][1:] if cls in self._statements_of else statements_within(cls):
            if self._names_self_module_call(stmt):  # `self.model.eval()`, `Adam(self.model.parameters())`
                for call in (n for n in ast.walk(stmt) if isinstance(n, ast.Call)):
                    receiver = module_method_receiver(call)
                    if receiver and receiver.startswith("self."):
                        found.add(receiver)
            if isinstance(stmt, ast.Assign) and (
                self.kinds.created_mode(stmt.value, found) is not None
                or (self.duck_typing and _switches_mode(stmt.value))
            ):
                found.update(k for k in map(dotted, stmt.targets) if k and k.startswith("self."))
        return found

    def _set_decorator_entry(self, facts: FunctionFacts, cls: ast.ClassDef | None) -> None:
        node = facts.node
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        if cls is not None and facts.name in FRAMEWORK_EVAL_HOOKS and cls.name in self.module_classes:
            facts.framework_hook = True
            facts.entry_grad_fixed = frozenset({Setting(Grad.DISABLED, node, "framework")})
            return
        for decorator in node.decorator_list:
            grad = self.grad_of_decorator(decorator)
            if grad is not None:
                setting = frozenset(Setting(s.value, decorator, "decorator") for s in grad)
                facts.entry_grad_fixed = setting
                facts.entry_regions = (Region(decorator, setting),)

    # ---- queries the walker asks --------------------------------------------------------------
    def grad_of_context(self, expr: ast.expr, cm_vars: dict[str, Possible]) -> Possible | None:
        """Grad mode inside `with <expr>:`; None when `expr` does not touch grad mode."""
        call = expr if isinstance(expr, ast.Call) else None
        target = call.func if call is not None else expr
        qualified = self.names.qualified(target)
        if qualified in GRAD_MODE_APIS:
            return frozenset({Setting(_grad_value(qualified, call), None, "with")})
        if call is None:
            key = dotted(expr)
            return cm_vars.get(key) if key else None
        name = (dotted(target) or "").rsplit(".", 1)[-1].lower()
        if "grad" in name or "inference" in name:
            return frozenset({Setting(Grad.UNKNOWN, None, "with")})  # a helper we cannot see into
        return None

    def grad_of_decorator(self, decorator: ast.expr) -> Possible | None:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        qualified = self.names.qualified(target)
        if qualified in GRAD_MODE_APIS:
            return frozenset(
                {
                    Setting(
                        _grad_value(qualified, decorator if isinstance(decorator, ast.Call) else None),
                        None,
                        "decorator",
                    )
                }
            )
        name = dotted(target) or ""
        local = self.by_name.get(name)
        if local is not None:  # a decorator of the analysed code that wraps no_grad / inference_mode
            used = {
                self.names.qualified(n.func if isinstance(n, ast.Call) else n)
                for n in ast.walk(local.node)
                if isinstance(n, (ast.Call, ast.Attribute, ast.Name))
            }
            if used & set(GRAD_OFF_APIS) and "torch.enable_grad" not in used:
                return frozenset({Setting(Grad.DISABLED, None, "decorator")})
        lowered = name.rsplit(".", 1)[-1].lower()
        if "no_grad" in lowered or "inference" in lowered:
            return frozenset({Setting(Grad.UNKNOWN, None, "decorator")})
        return None

    def forward_model(self, call: ast.Call, fn: FunctionFacts) -> str | None:
        func = call.func
        key = model_key(func)
        if key is not None and key in fn.model_keys:
            return key
        if isinstance(func, ast.Attribute):
            inner = dotted(func.value)
            if inner is None or inner not in fn.model_keys:
                return None
            if inner == "self":  # in a module's own method, `self.encode(x)` is part of its computation
                return inner if func.attr == "forward" else None
            if func.attr in FORWARD_METHODS:  # `model.forward(x)`, `vae.decode(z)`
                return inner
            cls = self.instance_class(inner, fn)
            if cls in self.module_classes and self._runs_submodules(cls, func.attr, set()):
                return inner  # `model.calculate_objective(x, y)` of a module class of this file
            reference = self.project_instance_class(inner, fn)
            if reference is not None and self.project is not None and self.project.runs_forward(reference, func.attr):
                return inner  # the same, of a module class of another file of the project
        return None

    def _runs_submodules(self, cls: str, name: str, seen: set[str]) -> bool:
        """The method `cls.name` runs submodules of the module (directly or through another method of
        the class): calling it is a forward pass. One that calls `self(x)` is not: that call is the
        forward pass, reported inside the method."""
        method = self.methods.get(cls, {}).get(name)
        if method is None or method.cls is None or name in seen or name.startswith("__"):
            return False
        seen.add(name)
        found = self.answers.get(("runs submodules", cls, name))
        if found is None:
            submodules = self._class_models(method.cls)
            found = False
            for node in self.own_nodes(method):
                if isinstance(node, ast.Call):
                    key = dotted(node.func)
                    if key in ("self", "self.forward"):
                        break
                    if (
                        key is not None
                        and key.startswith("self.")
                        and (key in submodules or self._runs_submodules(cls, key[5:], seen))
                    ):
                        found = True
                        break
            self.answers[("runs submodules", cls, name)] = found
        return found

    def resolve_call(self, call: ast.Call, fn: FunctionFacts) -> FunctionFacts | ImportedFunction | None:
        callee = self._resolve(call, fn)
        if self._dependencies is not None:
            self._dependencies.append(_dependency(call, callee))
        return callee

    def _resolve(self, call: ast.Call, fn: FunctionFacts) -> FunctionFacts | ImportedFunction | None:
        func = call.func
        if isinstance(func, ast.Name):
            scope: FunctionFacts | None = fn
            while scope is not None:
                if func.id in scope.nested:
                    return scope.nested[func.id]
                scope = scope.parent
            if func.id in self.by_name:
                return self.by_name[func.id]
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self" and fn.cls:
            return self.methods.get(fn.cls.name, {}).get(func.attr)
        if isinstance(func, ast.Attribute):  # `tagger.predict(x)`, `self.lm.evaluate(x)`: a method through an instance
            cls = self.instance_class(dotted(func.value), fn)
            if cls is not None:
                return self.methods[cls].get(func.attr)
        return self._imported(call)

    def defined_by_non_module(self, callee: FunctionFacts | ImportedFunction | None) -> bool:
        """`self.eval()` in a trainer class that defines its own `eval` (its evaluation loop): a call of
        that method, not `nn.Module.eval()`."""
        return (
            isinstance(callee, FunctionFacts)
            and callee.cls is not None
            and callee.is_method
            and callee.cls.name not in self.module_classes
        )

    def instance_class(self, key: str | None, fn: FunctionFacts) -> str | None:
        """The class (defined in this file) of which `key` is an instance where `fn` runs: assigned
        `key = Cls(...)` or annotated `key: Cls` in `fn`, an enclosing function, the class's own
        methods (`self.x = Cls()`) or the module."""
        if key is None or not self.methods:
            return None
        found = self._instance_of(key, fn)
        return found if found in self.methods else None

    def project_instance_class(self, key: str | None, fn: FunctionFacts) -> str | None:
        """The same for a module class of another file of the project (`model = Attention()`): its
        absolute name."""
        if key is None or self.project is None:
            return None
        found = self._instance_of(key, fn)
        return found if found is not None and found not in self.methods else None

    def _instance_of(self, key: str, fn: FunctionFacts) -> str | None:
        scope: FunctionFacts | None = fn
        while scope is not None:
            found = self._instances(scope).get(key)
            if found is not None:
                return found
            scope = scope.parent
        if key.startswith("self.") and fn.cls is not None:
            for method in self.methods.get(fn.cls.name, {}).values():
                found = self._instances(method).get(key)
                if found is not None:
                    return found
        return self._instances(self.body).get(key) if fn is not self.body else None

    def _instances(self, fn: FunctionFacts) -> dict[str, str]:
        """Keys of `fn` assigned or annotated as instances: the name of a class of this file, or the
        absolute name of a module class of another file of the project."""
        if fn.instances is None:
            fn.instances = {}
            args = fn.node.args if isinstance(fn.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) else None
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs] if args is not None else ():
                cls = self._class_of(arg.annotation)
                if cls is not None:
                    fn.instances[arg.arg] = cls
            for node in self.own_nodes(fn) if fn.walked or fn is self.body else ():
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                    cls = self._class_of(_constructed(node.value)) or (
                        self._class_of(node.annotation) if isinstance(node, ast.AnnAssign) else None
                    )
                    if cls is not None:
                        for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                            key = dotted(target)
                            if key is not None:
                                fn.instances[key] = cls
        return fn.instances

    def _class_of(self, expr: ast.expr | None) -> str | None:
        """`Tagger` (a class of this file), or the absolute name of another file's module class."""
        cls = _class_named(expr)
        if cls in self.methods:
            return cls
        return self.project_class(expr) if isinstance(expr, (ast.Name, ast.Attribute)) else None

    def imported_target(self, call: ast.Call) -> tuple[str, str] | None:
        """(absolute module, function) when the call is of a function imported by name."""
        target = call_target(call, self.names.imported)
        if target is None:
            return None
        is_package = self.path.replace("\\", "/").endswith("/__init__.py")
        return absolute_import(target[0], self.module, is_package), target[1]

    def _imported(self, call: ast.Call) -> ImportedFunction | None:
        if self.project is None:
            return None
        target = self.imported_target(call)
        if target is None:
            return None
        if target not in self._imported_functions:
            export = self.project.export(*target)
            self._imported_functions[target] = ImportedFunction(target[1], export) if export else None
        return self._imported_functions[target]

    def argument_map(
        self, callee: FunctionFacts | ImportedFunction, call: ast.Call, caller: FunctionFacts
    ) -> dict[str, str]:
        """Callee key -> caller key, for the keys a summary speaks of."""
        through_receiver = callee.is_method and isinstance(call.func, ast.Attribute)
        params = callee.params[1:] if through_receiver else callee.params
        mapping: dict[str, str] = {}
        receiver = dotted(call.func.value) if through_receiver else None  # type: ignore[attr-defined]  # an Attribute
        if receiver is not None and callee.params:
            mapping[callee.params[0]] = receiver
        for param, arg in zip(params, call.args):
            key = dotted(arg)
            if key is not None:
                mapping[param] = key
        for keyword in call.keywords:
            key = dotted(keyword.value)
            if keyword.arg and key is not None:
                mapping[keyword.arg] = key
        return mapping

    def caller_key(self, key: str, mapping: dict[str, str]) -> str | None:
        head, _, rest = key.partition(".")
        if head in mapping:
            return mapping[head] + ("." + rest if rest else "")
        return key  # `self.` attributes and globals keep their name

    def apply_summary(
        self, callee: FunctionFacts | ImportedFunction, call: ast.Call, state: State, caller: FunctionFacts
    ) -> State:
        summary = self._summary_for(callee, call)
        if summary.grad_exit is not None:
            state = state.with_grad(_substitute(summary.grad_exit, callee.entry.grad, state.grad, call))
        if summary.mode_exit:
            mapping = self.argument_map(callee, call, caller)
            elements = _literal_arguments(callee, call)
            changes: dict[str, Possible] = {}
            for key, mode in summary.mode_exit.items():
                if key in elements:  # `set_mode("eval", [g, d])`: each model of the list
                    changes.update(
                        (target, _substitute(mode, callee.entry.mode(key), state.mode(target), call))
                        for target in elements[key]
                    )
                    continue
                if key.split(".", 1)[0] in callee.params and key.split(".", 1)[0] not in mapping:
                    continue  # passed something that is not a name (`evaluate(build())`): nothing of the caller's
                target = self.caller_key(key, mapping)
                if target is not None:
                    changes[target] = _substitute(mode, callee.entry.mode(key), state.mode(target), call)
            state = state.with_modes(changes)
        return state

    def _summary_for(self, callee: FunctionFacts | ImportedFunction, call: ast.Call) -> Summary:
        """The callee's summary, or the one for the constants this call passes (`self.set_mode("eval")`)."""
        if not isinstance(callee, FunctionFacts) or not callee.constant_params or not callee.walked:
            return callee.summary
        node = callee.node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return callee.summary
        constants = passed_constants(
            node, callee.params, callee.constant_params, call, callee.is_method and isinstance(call.func, ast.Attribute)
        )
        if not constants:
            return callee.summary
        key = (id(callee), constants)
        found = self._specialized.get(key)
        if found is not None and found[0] is callee.summary and found[1] is callee.entry:
            return found[2]
        self._specialized[key] = (callee.summary, callee.entry, callee.summary)  # a recursive call gets the general one
        probe = replace(callee, calls={}, suspends=[], loops={}, exits=[])
        walker = Walker(self, probe, probe.calls, probing=True)
        walker.constants = dict(constants)
        end = walker.block(node.body, probe.entry)
        if end is not None:
            probe.exits.append(end)
        summary = self._summarise(probe)
        self._specialized[key] = (callee.summary, callee.entry, summary)
        return summary

    # ---- the rounds ---------------------------------------------------------------------------
    def solve(self) -> None:
        self._mark_escaping()
        pending = [f for f in self.functions if f is not self.body] + [self.body]
        for _ in range(MAX_ROUNDS):
            changed_summaries = set()
            for facts in pending:
                before = facts.summary
                self._walk(facts)
                if facts.summary != before:
                    changed_summaries.add(id(facts))
            sites = self.call_sites()
            again = self._update_entries(sites)  # functions whose callers now reach them differently
            for callee in changed_summaries:  # and the callers of functions whose effects changed
                again.update(id(caller) for caller, _ in sites.get(callee, ()))
            pending = [f for f in self.functions if id(f) in again]
            if not pending:
                break

    def _walk(self, facts: FunctionFacts) -> None:
        facts.calls, facts.suspends, facts.loops, facts.exits, facts.grad_before = {}, [], {}, [], {}
        facts.last_training_step = 0
        if not facts.walked:
            return
        if self.memo is None:
            self._walk_body(facts)
        else:
            self._walk_or_reuse(facts, self.memo)
        # once per walk: _trained_by asks for each sibling method and model key at every round
        facts.last_training_step = max((e.node.lineno for e in facts.call_events() if is_training_step(e)), default=0)
        facts.summary = self._summarise(facts)

    def _walk_body(self, facts: FunctionFacts) -> None:
        walker = Walker(self, facts, facts.calls)
        body = facts.node.body if not isinstance(facts.node, ast.Lambda) else []
        end = walker.block(body, facts.entry)
        if end is not None:
            facts.exits.append(end)

    def _walk_or_reuse(self, facts: FunctionFacts, memo: FactsMemo) -> None:
        """Take the outcome of an earlier walk of this function from the same inputs, with every call
        resolving to the same function in the same state as then (see memo.py); else walk it, noting
        what it took from each callee."""
        inputs = (facts.entry, facts.entry_regions, frozenset(facts.model_keys), self.context)
        walks = memo.get(("walks", facts.node)) or memo.put(("walks", facts.node), [])
        for earlier_inputs, dependencies, outcome in walks:
            if earlier_inputs == inputs and all(
                _dependency(d[0], self._resolve(d[0], facts)) == d for d in dependencies
            ):
                facts.calls, facts.suspends, facts.loops, facts.exits, facts.grad_before = outcome
                return
        self._dependencies = []
        self._walk_body(facts)
        outcome = (facts.calls, facts.suspends, facts.loops, facts.exits, facts.grad_before)
        walks.append((inputs, self._dependencies, outcome))
        del walks[:-WALKS_KEPT]
        self._dependencies = None

    def _summarise(self, facts: FunctionFacts) -> Summary:
        exit_state = join_all(facts.exits)
        summary = Summary(trains_unset=self._trains_unset(facts))
        if exit_state is None or facts is self.body:
            return summary
        if facts.entry_grad_fixed is None and exit_state.grad != facts.entry.grad:
            summary.grad_exit = exit_state.grad
        for key, mode in exit_state.modes.items():
            forward = _trained_by(facts, key)
            if forward is not None:  # built here by code we cannot see (`self.model = self.build()`), then trained
                mode = frozenset(
                    Setting(Mode.TRAIN, forward.node, "trained")
                    if s.via == "assigned" and s.value is Mode.UNKNOWN and s in forward.state.mode(key)
                    else s
                    for s in mode
                )
            head = key.split(".", 1)[0]
            visible = (
                head in facts.params
                or head == "self"
                or head in self.body.model_keys
                or key in self.closure_keys(facts)
            )
            if visible and mode != facts.entry.mode(key):
                summary.mode_exit[key] = mode
        return summary

    def _trains_unset(self, facts: FunctionFacts) -> bool:
        """An optimizer step while a model the function names is still in the mode it came in with.
        Only models it names: a module-level model is a model key of every function, trained or not."""
        updates = [event for event in facts.call_events() if is_parameter_update(event)]
        if not updates:
            return False
        named = {node.id for node in self.own_nodes(facts) if isinstance(node, ast.Name)}
        keys = [key for key in facts.model_keys if key.split(".", 1)[0] in named]
        own = {id(node) for node in self.own_nodes(facts)}

        def set_to_train(event: CallEvent, key: str) -> bool:
            mode = event.state.mode(key)
            return only(mode, Mode.TRAIN) and all(s.via == "call" and id(s.origin) in own for s in mode)

        # a step after this function's own `x.train()` is a training function that sets its mode; its other
        # keys are then the same network under another name (`self._pytorch_model` wrapping `self.model`)
        return any(
            not any(set_to_train(event, key) for key in keys)
            and any(s in facts.entry.mode(key) for key in keys for s in event.state.mode(key))
            for event in updates
        )

    def closure_keys(self, facts: FunctionFacts) -> set[str]:
        """Models of the enclosing function that a nested function uses as they are when it runs."""
        if facts.parent is None:
            return set()
        return {
            key
            for key in facts.model_keys
            if key in facts.parent.model_keys
            and key.split(".", 1)[0] not in facts.params
            and not key.startswith("self.")
        }

    def _mark_escaping(self) -> None:
        """A module function named other than in a call (`submit(work)`, `target=work`), in the code we walk."""
        referenced: set[str] = set()
        for facts in self.functions:
            if facts.walked:
                nodes = self.own_nodes(facts)
                called = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
                referenced.update(n.id for n in nodes if isinstance(n, ast.Name) and id(n) not in called)
        for name, facts in self.by_name.items():
            facts.escapes = name in referenced
        for facts in self.functions:
            if facts.walked:
                for node in self.own_nodes(facts):
                    if (
                        isinstance(node, ast.keyword)
                        and node.arg in FRAMEWORK_EVAL_CALLBACKS
                        and isinstance(node.value, ast.Name)
                    ):
                        self._mark_framework_callback(node.value.id, facts)

    def _mark_framework_callback(self, name: str, where: FunctionFacts) -> None:
        """A function handed to a framework that runs it under no_grad in eval mode (`eval_func=`)."""
        scope: FunctionFacts | None = where
        while scope is not None and name not in scope.nested:
            scope = scope.parent
        callback = scope.nested[name] if scope is not None else self.by_name.get(name)
        if callback is not None:
            callback.framework_hook = True
            callback.entry_grad_fixed = frozenset({Setting(Grad.DISABLED, callback.node, "framework")})

    def call_sites(self) -> dict[int, list[tuple[FunctionFacts, CallEvent]]]:
        """id(callee) -> (caller, call event) for every call of a function of this module."""
        sites: dict[int, list[tuple[FunctionFacts, CallEvent]]] = {}
        for facts in self.functions:
            for event in facts.call_events():
                callee = self.resolve_call(event.node, facts)
                if callee is not None:
                    sites.setdefault(id(callee), []).append((facts, event))
        return sites

    def _update_entries(self, sites: dict[int, list[tuple[FunctionFacts, CallEvent]]]) -> set[int]:
        changed: set[int] = set()
        for facts in self.functions:
            if facts is self.body:
                continue
            entry = self._entry(facts, sites.get(id(facts), []))
            if entry != facts.entry:
                facts.entry = entry
                changed.add(id(facts))
        return changed

    def _entry(self, facts: FunctionFacts, sites: list[tuple[FunctionFacts, CallEvent]]) -> State:
        modes: dict[str, Possible] = {}
        if facts.framework_hook:
            modes["self"] = frozenset({Setting(Mode.EVAL, facts.node, "framework")})
        from_files = (
            self.project.incoming_grad(self.module, facts.name)
            if self.project is not None and facts.parent is None and facts.cls is None
            else None
        )
        if (not sites and from_files is None) or facts.escapes:
            if not sites and not facts.escapes and facts.is_method and not facts.name.startswith("__"):
                modes.update(self._left_by_siblings(facts))
            return State(facts.entry_grad_fixed or DEFAULT_GRAD, modes, {})
        grad = facts.entry_grad_fixed or frozenset().union(*(event.state.grad for _, event in sites), from_files or ())
        for caller, event in sites:
            mapping = self.argument_map(facts, event.node, caller)
            for param, key in mapping.items():
                if key in caller.model_keys:
                    facts.model_keys.add(param)
                    modes[param] = modes.get(param, frozenset()) | event.state.mode(key)
        receivers = [r for _, event in sites if (r := _receiver(event.node))] if facts.is_method else []
        if receivers and len(receivers) == len(sites):
            for key in facts.model_keys:  # `self.validate()`, `trainer.validate()` run with the caller's `.model`
                if key.startswith("self."):
                    modes[key] = frozenset().union(
                        *(event.state.mode(r + key[4:]) for r, (_, event) in zip(receivers, sites))
                    )
        for key in self.closure_keys(facts):  # a nested function sees its parent's models as they are at the call
            modes[key] = frozenset().union(*(event.state.mode(key) for _, event in sites))
        complete = {
            p
            for p in modes
            if p.startswith("self.")
            or p in self.closure_keys(facts)
            or all(p in self.argument_map(facts, e.node, c) for c, e in sites)
        }
        modes = {p: m for p, m in modes.items() if p in complete or p == "self"}
        if from_files is not None:
            modes.update(self._trained_by_callers_elsewhere(facts, modes, bool(sites)))
        return State(grad, modes, {})

    def _trained_by_callers_elsewhere(
        self, facts: FunctionFacts, modes: dict[str, Possible], called_here: bool
    ) -> dict[str, Possible]:
        """Parameters that every call from another file fills with a model in training mode: the model's
        mode here too, joined with the calls of this file (each of which must pass a model for it)."""
        assert self.project is not None  # from_files came from it
        found: dict[str, Possible] = {}
        for param, sites in self.project.trained_by_callers(self.module, facts.name, facts.params).items():
            if called_here and param not in modes:
                continue  # a call here passes something we do not know as a model
            self.handed_over[(id(facts.node), param)] = sites
            facts.model_keys.add(param)
            found[param] = modes.get(param, frozenset()) | {Setting(Mode.TRAIN, facts.node, "callers")}
        return found

    def _left_by_siblings(self, facts: FunctionFacts) -> dict[str, Possible]:
        """A method nothing here calls runs after its class's other methods (`predict()` after `fit()`):
        its `self.` models start in the modes those leave them in, when one of them trains the model.
        A method that trains a model without setting its mode leaves it in training mode, unless it
        calls methods we cannot see, which may switch it."""
        modes: dict[str, Possible] = {}
        siblings = [f for f in self.functions if f.cls is facts.cls and f.is_method and f is not facts]
        for key in (k for k in facts.model_keys if k.startswith("self.")):
            left: set[Setting] = set()
            trained = False
            for sibling in siblings:
                forward = _trained_by(sibling, key)
                trained = trained or forward is not None
                if key in sibling.summary.mode_exit:
                    left |= sibling.summary.mode_exit[key]
                elif forward is not None:
                    if any(
                        _receiver(e.node) == "self"
                        and e.model is None
                        and self.resolve_call(e.node, sibling) is None
                        and isinstance(e.node.func, ast.Attribute)
                        and not names_training_state(e.node.func.attr)
                        for e in sibling.call_events()
                    ):
                        left.add(Setting(Mode.UNKNOWN, forward.node, "trained"))
                    else:
                        left.add(Setting(Mode.TRAIN, forward.node, "trained"))
            if trained and left:
                modes[key] = frozenset(left)
        return modes


def _trained_by(fn: FunctionFacts, key: str) -> CallEvent | None:
    """The forward pass of `key` in `fn` that a later training step trains, if any."""
    return next(
        (
            e
            for e in fn.call_events()
            if e.model == key and not only(e.state.grad, Grad.DISABLED) and fn.last_training_step >= e.node.lineno
        ),
        None,
    )


def build_facts(
    tree: ast.Module,
    config: Config,
    path: str,
    source: str,
    project: ProjectIndex | None = None,
    module: str = "",
    memo: FactsMemo | None = None,
) -> ModuleFacts:
    facts = ModuleFacts(tree, config, path, source, project, module, memo)
    facts.solve()
    return facts


def exports(facts: ModuleFacts) -> dict[str, Export]:
    """What each module-level function does to its callers, for other files of the project."""
    found = {}
    for name, fn in facts.by_name.items():
        if not fn.walked:
            continue
        summary = fn.summary
        found[name] = Export(
            params=tuple(fn.params),
            grad_exit=portable(summary.grad_exit, fn.entry.grad) if summary.grad_exit is not None else None,
            mode_exit=tuple(
                (key, portable_mode(mode, fn.entry.mode(key)))
                for key, mode in sorted(summary.mode_exit.items())
                if key.split(".", 1)[0] in fn.params
            ),
            trains_unset=summary.trains_unset,
        )
    return found


def outgoing_calls(
    facts: ModuleFacts,
    result_may_train: Callable[[FunctionFacts, ast.Call], bool],
    functions: list[FunctionFacts] | None = None,
) -> list[OutgoingCall]:
    """Calls of imported functions (made in `functions`, by default all), with the grad mode at each and
    the models they hand over (none when the result may be backpropagated, `result_may_train`: training
    code gets its model in training mode on purpose): call sites for the files they call."""
    calls = set()
    for fn in facts.functions if functions is None else functions:
        for event in fn.call_events():
            target = facts.imported_target(event.node)
            if target is not None and target[0].split(".", 1)[0] not in THIRD_PARTY_ROOTS:
                grad = tuple(sorted({s.value.value for s in event.state.grad}))
                models = handed_models(event.node, fn.model_keys.__contains__, event.state.mode)
                if models and result_may_train(fn, event.node):
                    models = ()
                site = f"`{fn.name}` in {facts.path}" if models else ""  # no line: an edit above keeps it
                calls.add(OutgoingCall(target[0], target[1], grad, models, site))
    return sorted(calls, key=call_order)


def unseen_references(
    facts: ModuleFacts, functions: list[FunctionFacts] | None = None, statements: Sequence[ast.stmt] | None = None
) -> list[OutgoingCall]:
    """Imported project names used in `statements` (by default the module's) other than in the calls the
    walks of `functions` (by default all) recorded: in code not walked, passed as a value, in a comment.
    Calls we cannot vouch for, recorded without grad mode or models so that no parameter counts as filled
    by every caller (`ProjectIndex.trained_by_callers`). Counted in the text: one search, not a walk of the
    code that was not walked; statement by statement, so that an edit's analysis finds what a whole one does."""
    # a capitalised name is a class or a constant (a function handed a model is named in lower case): not
    # searched for, which would cost a tenth of the analysis of a library that imports many classes
    project = {
        local: qualified
        for local, qualified in facts.names.imported.items()
        if qualified.split(".", 1)[0] not in THIRD_PARTY_ROOTS and not local[:1].isupper()
    }
    if not project:
        return []
    recorded: dict[str, int] = {}
    for fn in facts.functions if functions is None else functions:
        for event in fn.call_events():
            func = event.node.func
            head = func.value if isinstance(func, ast.Attribute) else func
            if isinstance(head, ast.Name) and head.id in project:
                recorded[head.id] = recorded.get(head.id, 0) + 1
    starts = line_starts(facts.source)
    text = "\n".join(
        facts.source[starts[stmt.lineno - 1] : starts[min(stmt.end_lineno or stmt.lineno, len(starts) - 1)]]
        for stmt in (facts.tree.body if statements is None else statements)
        if not isinstance(stmt, (ast.Import, ast.ImportFrom))
    )
    used: dict[str, int] = {}
    for match in re.finditer(rf"(?<![\w.])({'|'.join(map(re.escape, project))})\b", text):
        used[match.group(1)] = used.get(match.group(1), 0) + 1
    is_package = facts.path.replace("\\", "/").endswith("/__init__.py")
    unseen = {
        local: absolute_import(project[local], facts.module, is_package)
        for local, count in used.items()
        if count > recorded.get(local, 0)
    }
    return sorted(unseen_uses(unseen), key=call_order)


def is_training_step(event: CallEvent) -> bool:
    """`loss.backward()`, `accelerator.backward(loss)`, `torch.autograd.backward(...)`, or a parameter update."""
    func = event.node.func
    if event.qualified == "torch.autograd.backward":
        return True
    return (isinstance(func, ast.Attribute) and func.attr in BACKWARD_METHODS) or is_parameter_update(event)


def is_parameter_update(event: CallEvent) -> bool:
    """`optimizer.step()`, `scaler.step(optimizer)`: training, as opposed to backpropagating for an attack."""
    func = event.node.func
    if not isinstance(func, ast.Attribute) or func.attr != "step":
        return False
    return names_optimizer(dotted(func.value) or "")


def _grad_value(qualified: str, call: ast.Call | None) -> Grad:
    if qualified == "torch.no_grad":
        return Grad.DISABLED
    if qualified == "torch.enable_grad":
        return Grad.ENABLED
    args = [] if call is None else [*call.args, *(k.value for k in call.keywords if k.arg == "mode")]
    if qualified == "torch.inference_mode" and not args:
        return Grad.DISABLED
    if not args or not isinstance(args[0], ast.Constant) or not isinstance(args[0].value, bool):
        return Grad.UNKNOWN
    enabled = args[0].value if qualified == "torch.set_grad_enabled" else not args[0].value
    return Grad.ENABLED if enabled else Grad.DISABLED


def _substitute(exit_mode: Possible, entry_mode: Possible, current: Possible, call: ast.Call) -> Possible:
    """Callee exit settings in the caller's terms: what passed through unchanged is the caller's own."""
    result: set[Setting] = set()
    for setting in exit_mode:
        if setting in entry_mode:
            result |= current
        elif setting is CALLER_RELOADED:  # weights loaded by another file's function into the caller's model
            result.update(Setting(s.value, call, "loaded") for s in current)
        else:
            result.add(Setting(setting.value, call, "callee"))
    return frozenset(result)


def _dependency(call: ast.Call, callee: FunctionFacts | ImportedFunction | None) -> tuple:
    """What a walk took from a call's callee: which function it is and what `apply_summary` read of it."""
    if callee is None:
        return (call, None)
    identity = callee.node if isinstance(callee, FunctionFacts) else (callee.name, tuple(callee.params))
    return (call, identity, callee.summary, callee.entry)


def _literal_arguments(callee: FunctionFacts | ImportedFunction, call: ast.Call) -> dict[str, list[str]]:
    """Parameter -> the names in the list or tuple literal passed for it."""
    through_receiver = callee.is_method and isinstance(call.func, ast.Attribute)
    params = callee.params[1:] if through_receiver else callee.params
    found = {}
    for param, arg in [*zip(params, call.args), *((k.arg, k.value) for k in call.keywords if k.arg)]:
        elements = literal_elements(arg)
        if elements is not None:
            found[param] = elements
    return found


def _receiver(call: ast.Call) -> str | None:
    """`self` in `self.validate()`, `trainer` in `trainer.validate()`."""
    return dotted(call.func.value) if isinstance(call.func, ast.Attribute) else None


def _constructed(value: ast.expr) -> ast.expr | None:
    """`Net` in `Net(...)`, `Net(...).to(device)`, `Net(...).eval()`."""
    while (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in SAME_MODEL_METHODS
        and isinstance(value.func.value, ast.Call)
    ):
        value = value.func.value
    return value.func if isinstance(value, ast.Call) else None


def _class_named(expr: ast.expr | None) -> str | None:
    """`Tagger` in `Tagger(...)`, `x: Tagger`, `x: "Tagger"`."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str) and expr.value.isidentifier():
        return expr.value
    return None


def _called_elements(subscripts: list[ast.Subscript], keys: set[str]) -> set[str]:
    """`self.model["generator"](z)` where `self.model` holds modules: the element is a model."""
    found = set()
    for subscript in subscripts:
        key = model_key(subscript)
        if key is not None and dotted(subscript.value) in keys:
            found.add(key)
    return found


def _switches_mode(value: ast.expr) -> bool:
    """`model.eval()` returns the model: `self.net = net.eval()` makes `self.net` a model."""
    return (
        isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in ("eval", "train")
    )


def _lines_matching(pattern: re.Pattern[str], source: str) -> frozenset[int]:
    """The 1-based numbers of the lines on which `pattern` matches."""
    starts = line_starts(source)
    return frozenset(bisect.bisect_right(starts, match.start()) for match in pattern.finditer(source))


def statements_within(node: ast.AST) -> list[ast.stmt]:
    """Every statement inside `node`, at any depth, in source order, without walking expressions (cheap)."""
    found = []
    stack = _nested_statements(node)[::-1]
    while stack:
        stmt = stack.pop()
        found.append(stmt)
        nested = _nested_statements(stmt)
        if nested:
            stack.extend(reversed(nested))
    return found


def _nested_statements(node: ast.AST) -> list[ast.stmt]:
    """The statements of `node`'s blocks (its body, `else:`, `finally:`, except handlers, match cases)."""
    nested: list[ast.stmt] = []
    for name in _statement_fields(type(node)):
        for child in getattr(node, name):
            if isinstance(child, ast.stmt):
                nested.append(child)
            else:  # except handlers and match cases hold statements
                nested.extend(child.body)
    return nested


def _statement_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    fields = _STATEMENT_FIELDS.get(kind)
    if fields is None:
        fields = _STATEMENT_FIELDS[kind] = tuple(name for name in STATEMENT_LISTS if name in kind._fields)
    return fields


_STATEMENT_FIELDS: dict[type, tuple[str, ...]] = {}


def _relevant_definitions(tree: ast.Module, defs: list[Definition], source: str, config: Config) -> set[int]:
    """ids of the function definitions worth walking: their text names something a rule looks at,
    their name says evaluation, they call (by name) a function that is relevant (its effects reach
    them), or a relevant function names them (a helper it calls, a worker it starts).
    Works on positions in the source (of the tokens, then of the calls of each relevant name): slicing
    and searching the text of every definition costs more than walking the relevant ones."""
    offsets = line_starts(source)
    spans = {
        id(d): (
            offsets[min([d.lineno, *(x.lineno for x in d.decorator_list)]) - 1],
            offsets[min(d.end_lineno or d.lineno, len(offsets) - 1)],
        )
        for d in defs
    }
    hits = sorted(relevant_positions(source))
    relevant = {
        id(d)
        for d in defs
        if config.is_eval_function_name(d.name)
        or d.name.startswith(INFERENCE_NAME_PREFIXES)
        or _any_within(hits, spans[id(d)])
    }
    if not relevant:
        return relevant
    top_level = {id(d) for d in tree.body if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef))}
    written: set[str] = set()  # the words and `self.` attributes of the relevant definitions
    attributes: set[str] = set()
    for start, end in _merged([spans[id(d)] for d in defs if id(d) in relevant]):
        written.update(IDENTIFIER.findall(source, start, end))
        attributes.update(SELF_ATTRIBUTE.findall(source, start, end))
    relevant |= {id(d) for d in defs if d.name in attributes or (id(d) in top_level and d.name in written)}
    pending = [d.name for d in defs if id(d) in relevant]
    holders = _holders(defs, spans)
    followed: set[str] = set()
    while pending:  # a call of a relevant function makes its caller relevant (its effects reach it)
        name = pending.pop()
        if name in followed:
            continue
        followed.add(name)
        for position in call_positions(source, name):
            for d in holders(position):
                if id(d) not in relevant:
                    relevant.add(id(d))
                    pending.append(d.name)
    return relevant


def _holders(defs: list[Definition], spans: dict[int, tuple[int, int]]) -> Callable[[int], list[Definition]]:
    """A function from a position in the source to the definitions whose text holds it, innermost first.
    Each lookup steps back only over the definitions nested in the same outermost one."""
    ordered = sorted(defs, key=lambda d: spans[id(d)][0])
    starts = [spans[id(d)][0] for d in ordered]
    parent: dict[int, Definition | None] = {}
    open_definitions: list[Definition] = []
    for d in ordered:
        while open_definitions and spans[id(open_definitions[-1])][1] <= spans[id(d)][0]:
            open_definitions.pop()
        parent[id(d)] = open_definitions[-1] if open_definitions else None
        open_definitions.append(d)

    def holders(position: int) -> list[Definition]:
        index = bisect.bisect_right(starts, position) - 1
        while index >= 0:
            innermost: Definition | None = ordered[index]
            if position < spans[id(innermost)][1]:
                found = []
                while innermost is not None:
                    found.append(innermost)
                    innermost = parent[id(innermost)]
                return found
            if parent[id(innermost)] is None:
                return []  # outermost definitions before this one ended before it began
            index -= 1
        return []

    return holders


def _any_within(positions: list[int], span: tuple[int, int]) -> bool:
    return bisect.bisect_left(positions, span[0]) < bisect.bisect_left(positions, span[1])


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint (nested definitions lie inside their parents)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _params(node: FunctionNode) -> list[str]:
    if isinstance(node, ast.Module):
        return []
    args = node.args
    return [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]


def _local_definitions(node: FunctionNode) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
    """Functions and classes defined in this body (at any depth of blocks, not inside other defs).
    Definitions are statements: only statement lists are searched, never expressions."""
    stack = list(node.body) if not isinstance(node, ast.Lambda) else []
    while stack:
        child = stack.pop()
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield child
            continue
        stack.extend(_nested_statements(child))


def _own_nodes(node: FunctionNode) -> list[ast.AST]:
    """Every node of this function's body, not descending into nested defs, classes or lambdas."""
    return descendants(list(children(node)) if not isinstance(node, ast.Lambda) else [node.body], DEFINITIONS)
