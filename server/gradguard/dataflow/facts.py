"""The module's facts: its functions (collected, with their model names and the functions worth
walking, relevance.py), how names, calls and classes resolve, and the questions the walker asks
while walking a function. `build_facts` collects them and runs the rounds (solver.py); the rules
read the result.
"""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import replace
from typing import Any, Callable, TypeVar, overload

from ..config import Config
from ..lines import line_starts
from ..vocabulary import (
    COPYING_FUNCTIONS,
    FORWARD_METHODS,
    FRAMEWORK_EVAL_HOOKS,
    GRAD_MODE_APIS,
    GRAD_OFF_APIS,
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
    ProjectIndex,
    absolute_import,
    call_target,
)
from .elements import literal_elements
from .events import CallEvent, FunctionNode, Region
from .functions import FunctionFacts, Summary, params_of
from .memo import FactsMemo, walk_dependency
from .models import (
    ModelKinds,
    model_key,
    module_classes,
    module_method_receiver,
    uses_torch,
)
from .names import Names, dotted
from .relevance import relevant_definitions
from .solver import solve, summarise
from .specialize import constant_tested_params, passed_constants
from .state import Grad, Possible, Setting, State
from .traverse import local_definitions, nodes_outside_definitions, statements_within
from .walker import Walker, effects_in

S = TypeVar("S", bound=ast.stmt)
T = TypeVar("T", bound=ast.stmt)

# `self.model.eval()`, `Adam(self.model["g"].parameters())`: a line where a class may show that an attribute is a model
SELF_MODULE_CALL = re.compile(rf"self\.[\w.]+(?:\[[^\]\n]*\])?\.(?:{'|'.join(MODULE_METHODS)})\s*\(")


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
        self.module_classes = module_classes(tree, self.names, self.project_class, self.plain_project_class)
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
        # while the solver walks a function for the memo: what each call resolved to (`resolve_call`)
        self.dependencies: list[tuple[ast.Call, object, Summary, State]] | None = None
        self.source = source
        self.relevant = relevant_definitions(tree, self.of_type(ast.FunctionDef, ast.AsyncFunctionDef), source, config)
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

    def plain_project_class(self, expr: ast.expr) -> bool:
        """`expr` names a class of another file of the project that can be no `nn.Module` (`is_plain_class`)."""
        qualified = self.names.qualified(expr) if self.project is not None else None
        if self.project is None or qualified is None or qualified.split(".", 1)[0] in THIRD_PARTY_ROOTS:
            return False
        is_package = self.path.replace("\\", "/").endswith("/__init__.py")
        return self.project.is_plain_class(absolute_import(qualified, self.module, is_package))

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
            fn.own_nodes_found = self._remembered(("own nodes", fn.node), lambda: nodes_outside_definitions(fn.node))
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
        facts = FunctionFacts(node, name, cls, parent, params_of(node), set())
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
        for child in local_definitions(node):
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

    # ---- resolution: the function a call runs, the class a name is an instance of -------------
    def resolve_call(self, call: ast.Call, fn: FunctionFacts) -> FunctionFacts | ImportedFunction | None:
        """The function the call runs (`find_callee`), noted as an input of the walk being memoised."""
        callee = self.find_callee(call, fn)
        if self.dependencies is not None:
            self.dependencies.append(walk_dependency(call, callee))
        return callee

    def find_callee(self, call: ast.Call, fn: FunctionFacts) -> FunctionFacts | ImportedFunction | None:
        """The function of this file (or the export of another's) that the call runs in `fn`, if known."""
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
            return self.methods.get(fn.cls.name, {}).get(func.attr) or self._inherited(fn.cls, func.attr)
        if isinstance(func, ast.Attribute):  # `tagger.predict(x)`, `self.lm.evaluate(x)`: a method through an instance
            cls = self.instance_class(dotted(func.value), fn)
            if cls is not None:
                return self.methods[cls].get(func.attr)
        return self._imported(call)

    def _inherited(self, cls: ast.ClassDef, name: str) -> ImportedFunction | None:
        """`self._train_model(...)` in a class whose base in another file of the project defines
        `_train_model`: that method's summary (what it leaves the `self.` models in), through the index."""
        key = (f"{cls.name}.", name)  # not an importable name: no clash with `_imported`'s keys
        if key not in self._imported_functions:
            found = next((export for _, method, export in self.inherited_methods(cls) if method == name), None)
            self._imported_functions[key] = ImportedFunction(name, found, is_method=True) if found else None
        return self._imported_functions[key]

    def inherited_methods(self, cls: ast.ClassDef) -> list[tuple[ast.expr, str, Export]]:
        """(base, method, summary) for the methods with a summary that the class inherits from its bases in
        other files of the project and does not define itself, through the index (computed once a class)."""
        if self.project is None or not cls.bases:
            return []
        key = ("inherited methods", id(cls))
        if key not in self.answers:
            own = self.methods.get(cls.name, {})
            found: dict[str, tuple[ast.expr, str, Export]] = {}
            for base, reference in self.project_bases(cls):
                for name, export in self.project.inherited_methods(reference):
                    if name not in own:
                        found.setdefault(name, (base, name, export))
            self.answers[key] = list(found.values())
        return self.answers[key]

    def project_bases(self, cls: ast.ClassDef) -> list[tuple[ast.expr, str]]:
        """(base, its absolute name) for each base of the class that another file of the project may define."""
        key = ("project bases", id(cls))
        if key not in self.answers:
            is_package = self.path.replace("\\", "/").endswith("/__init__.py")
            found = []
            for base in cls.bases:
                qualified = self.names.qualified(base)
                if qualified is None or "." not in qualified or qualified.split(".", 1)[0] in THIRD_PARTY_ROOTS:
                    continue
                found.append((base, absolute_import(qualified, self.module, is_package)))
            self.answers[key] = found
        return self.answers[key]

    def defined_by_non_module(self, callee: FunctionFacts | ImportedFunction | None) -> bool:
        """`self.eval()` in a trainer class that defines its own `eval` (its evaluation loop): a call of
        that method, not `nn.Module.eval()`."""
        return (
            isinstance(callee, FunctionFacts)
            and callee.cls is not None
            and callee.is_method
            and callee.cls.name not in self.module_classes
        )

    def call_sites(self) -> dict[int, list[tuple[FunctionFacts, CallEvent]]]:
        """id(callee) -> (caller, call event) for every call of a function of this module."""
        sites: dict[int, list[tuple[FunctionFacts, CallEvent]]] = {}
        for facts in self.functions:
            for event in facts.call_events():
                callee = self.resolve_call(event.node, facts)
                if callee is not None:
                    sites.setdefault(id(callee), []).append((facts, event))
                for override in self._overrides(event.node, facts):
                    sites.setdefault(id(override), []).append((facts, event))
        return sites

    def _overrides(self, call: ast.Call, fn: FunctionFacts) -> list[FunctionFacts]:
        """`self._valid_epoch()` in a base class's method runs, on an instance of a subclass of this file,
        that subclass's `_valid_epoch`: a call site of the override too (unless the subclass also
        overrides the calling method, which then never runs on its instances)."""
        func = call.func
        if not (
            fn.cls is not None
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "self"
        ):
            return []
        found = []
        for subclass in self._subclasses(fn.cls.name):
            methods = self.methods[subclass]
            if func.attr in methods and fn.name not in methods:
                found.append(methods[func.attr])
        return found

    def _subclasses(self, name: str) -> list[str]:
        """The classes of this file that derive from class `name` of this file, directly or not."""
        key = ("subclasses", name)
        if key not in self.answers:
            bases = {
                cls: {_last_name(base) for base in next(iter(methods.values())).cls.bases}  # type: ignore[union-attr]  # methods of a class have it
                for cls, methods in self.methods.items()
                if methods
            }
            found: list[str] = []
            frontier = [name]
            while frontier:
                parent = frontier.pop()
                for cls, names in bases.items():
                    if parent in names and cls not in found and cls != name:
                        found.append(cls)
                        frontier.append(cls)
            self.answers[key] = found
        return self.answers[key]

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

    # ---- a callee's summary applied at a call (the walker asks) -------------------------------
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
        summary = summarise(self, probe)
        self._specialized[key] = (callee.summary, callee.entry, summary)
        return summary


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
    solve(facts)
    return facts


def release(facts: ModuleFacts) -> None:
    """Empty the facts of an analysis that is over. They hold reference cycles (a nested function's facts
    and its parent's, the model kinds' bound method back to the module's facts, the rules' answers kept on
    them), so only the cyclic garbage collector would free them, and the syntax tree with them: on a corpus
    check its collections cost a fifth of the CPU time. Emptied, they are freed at once."""
    for fn in facts.functions:
        fn.__dict__.clear()
    facts.__dict__.clear()


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


def _last_name(base: ast.expr) -> str | None:
    """`Trainer` for `Trainer` and `lib.Trainer`."""
    if isinstance(base, ast.Name):
        return base.id
    return base.attr if isinstance(base, ast.Attribute) else None
