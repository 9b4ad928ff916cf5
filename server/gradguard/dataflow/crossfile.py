"""Summaries that cross files: `from .utils import evaluate` carries `evaluate`'s effects
(eval mode left on, grad mode changed) to the caller, and calls from other files of the
project count as call sites of the function they call (a helper only ever called inside
`no_grad`, in any file, runs without gradients).

Everything here is plain data (strings and tuples): it crosses process boundaries for
`--jobs`, and the language server keeps it per workspace. Values are the `.value` of
`Grad`/`Mode`; PASSTHROUGH marks "whatever the caller had" (the function left it unchanged
on some path).
"""

from __future__ import annotations

import ast
import posixpath
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Callable, Final, Literal

from .functions import Summary
from .names import dotted
from .state import Grad, Mode, Possible, Setting, State

PASSTHROUGH: Final = "passthrough"
# Stands for the caller's own setting inside an imported summary: `facts._substitute` replaces
# every setting found in the callee's entry state by the caller's current one.
_CALLER = Setting(Grad.UNKNOWN, None, PASSTHROUGH)
# A model's mode after the function loaded weights into it (`resume_from_ckpt(path, model)`): the
# caller's own, now with loaded weights (`facts._substitute` makes the call the load).
RELOADED: Final = "reloaded"
CALLER_RELOADED = Setting(Mode.UNKNOWN, None, RELOADED)
# Training mode that a method's own training left a `self.` model in (`_train_model()` of a base class: the
# loop trains the model after `train()`): what `solver._left_by_siblings` looks for in the methods a class inherits.
TRAINED: Final = "trained"


@dataclass(frozen=True)
class Export:
    """What a module-level function (`evaluate`) or a method of a top-level class (`Trainer.fit`, what it
    does to the `self.` models of its class) does to its caller, in portable form."""

    params: tuple[str, ...]
    grad_exit: tuple[str, ...] | None
    mode_exit: tuple[tuple[str, tuple[str, ...]], ...]
    trains_unset: bool
    # parameters it runs a forward pass of, in its caller's grad mode, and whose output it returns
    # (`return model(x).F`): for a caller, the call is that forward pass (rules/handback.py)
    forwards: tuple[str, ...] = ()

    @property
    def trivial(self) -> bool:
        return self.grad_exit is None and not self.mode_exit and not self.trains_unset and not self.forwards


@dataclass(frozen=True)
class OutgoingCall:
    """A call of a function of another file of the project, with the grad mode at the call."""

    module: str  # absolute dotted name, as imported
    function: str
    grad: tuple[str, ...]
    # the models it hands over: (argument: "0" for the first positional, else the keyword, training modes there)
    models: tuple[tuple[str, tuple[str, ...]], ...] = ()
    site: str = ""  # "train.py:93", for a call that hands over models: messages name it


def call_order(call: OutgoingCall) -> tuple:
    """The one order of a file's outgoing calls (an edit's analysis and a whole one list them alike)."""
    return (call.module, call.function, call.grad, call.models, call.site)


@dataclass(frozen=True)
class Definition:
    """What other files need of a top-level class (or function) of a module: whether it is an
    `nn.Module`, which of its methods are forward passes, and what in it depends on the training
    mode. Project names are absolute dotted names (`pkg.model.Encoder`), resolved by `ProjectIndex`."""

    bases: tuple[str, ...] = ()  # bases defined in the project
    module: bool = False  # an nn.Module by what its own file shows (a torch base, a `forward`)
    forward_methods: tuple[str, ...] = ()  # methods that run its submodules or itself: `model.encode(x)`
    forward_needs_grad: bool = False  # `forward` backpropagates or asks autograd for gradients itself
    forward_sets_grad: bool = False  # `forward` turns gradients off itself, for some inputs at least
    layers: tuple[str, ...] | None = ()  # what it builds that depends on the mode; None: something we cannot see
    parts: tuple[str, ...] = ()  # project classes and functions it builds or calls: their layers count too
    # Names nothing of torch (no layer, parameter or tensor function) and runs no module it is given: the
    # project names it uses, which must be graph-free too; None when it uses torch or we cannot tell.
    graph_free: tuple[str, ...] | None = None
    # None: its code may switch a module's training mode (`eval`, `train`, `training`) or calls code we cannot
    # see; else it switches none itself, and neither may the project definitions named here, which it calls
    leaves_mode: tuple[str, ...] | None = None
    # A class's static methods (`Stage.set_callback(model, cfg)` calls one through the class) whose own code is
    # `leaves_mode` of the method, when the class as a whole may switch a mode.
    static_methods: tuple[tuple[str, tuple[str, ...] | None], ...] = ()
    # A class whose bases are `object` and project classes only: with those, never an `nn.Module` (`is_plain_class`)
    plain: bool = False


@dataclass(frozen=True)
class ModuleClasses:
    """A module's entry in the project's class index: its definitions, and the project names it
    imports (`from .unet_model import UNet` in a package's `__init__`; "*" for a star import)."""

    definitions: tuple[tuple[str, Definition], ...] = ()
    imports: tuple[tuple[str, str], ...] = ()
    # project classes whose index entry changes this module's analysis: built into a model outside a
    # module class (`model = Attention()`), or bases of a class not known to be a module here
    uses: tuple[str, ...] = ()
    # project code it hands a model to (`CAM(model, layer)`): the model keeps its mode when that code switches none
    hands_models_to: tuple[str, ...] = ()


NO_CLASSES = ModuleClasses()
MAX_REEXPORTS = 8  # `from .a import X` followed through at most this many modules


@dataclass
class ProjectIndex:
    """Exports and cross-file call sites of every module of a project, by dotted module name."""

    exports: dict[str, dict[str, Export]] = field(default_factory=dict)
    incoming: dict[str, dict[str, list[tuple[str, ...]]]] = field(default_factory=dict)
    # module -> function -> (models handed over, site) for each call from another file
    handed: dict[str, dict[str, list[tuple[tuple[tuple[str, tuple[str, ...]], ...], str]]]] = field(
        default_factory=dict
    )
    classes: dict[str, ModuleClasses] = field(default_factory=dict)
    _by_suffix: dict[str, str] | None = field(default=None, repr=False, compare=False)
    _answers: dict[tuple, object] = field(default_factory=dict, repr=False, compare=False)
    changes: int = field(default=0, repr=False, compare=False)  # counts `add`s: the index is updated in place
    changes_by_module: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    # An index built again from the same entries continues this one (`lsp/summaries.WorkspaceIndex.rebuild`): its
    # change counts go on from these, so they are compared only within one lineage.
    lineage: object = field(default_factory=object, repr=False, compare=False)
    calls_itself: set[str] = field(default_factory=set, repr=False, compare=False)  # through an import of itself

    def add(
        self, module: str, exports: dict[str, Export], calls: list[OutgoingCall], classes: ModuleClasses = NO_CLASSES
    ) -> None:
        """Set a module's exports and classes and add its calls. Calls link only to modules already
        added: add every module's exports first, then the calls (see `checking._second_pass`)."""
        self.changes += 1
        self.changes_by_module[module] = self.changes_by_module.get(module, 0) + 1
        if module not in self.exports:
            self._by_suffix = None
        self._answers.clear()
        # trivial ones too: a call of a function known to leave the modes alone hands nothing over to unknown code
        self.exports[module] = dict(exports)
        if classes.definitions or classes.imports:
            self.classes[module] = classes
        else:
            self.classes.pop(module, None)
        for call in calls:
            target = self.resolve_module(call.module)
            if target == module and "." not in call.function:  # not a method's call of its own (`Cls.method`)
                self.calls_itself.add(module)
            if target is not None:
                self.incoming.setdefault(target, {}).setdefault(call.function, []).append(call.grad)
                defined_in, function = self._defined_in(target, call.function)
                self.handed.setdefault(defined_in, {}).setdefault(function, []).append((call.models, call.site))

    def changes_seen_by(self, module: str) -> tuple:
        """What of the index's changes an analysis of `module` can see, for the language server's memo
        (incremental.py): the changes of the other modules' entries; of its own entry, which each of its analyses
        sets again (a function added or removed changes it), only what its own code looks up there (whether its
        classes build a graph: `rules/modelclass.records_no_graph`). Every change counts when a name leads
        back to `module` from another entry (a re-export, a base class) or from its own imports or calls: an
        analysis of `module` may then follow it into its own entry. (Its definitions name its other definitions:
        a lookup that started in its entry.)"""
        key = ("changes seen by", module)
        if key not in self._answers:
            own = self.changes_by_module.get(module, 0)
            if module in self.calls_itself or any(
                self.resolve_module(name) == module for name in self._modules_named(module)
            ):
                own = 0
            # the module classes it asks about, and they name its other definitions only from their own chunk, or
            # their chunk is not isolated and is analysed again each time
            graph_free = tuple(
                (name, definition.graph_free)
                for name, definition in self.classes.get(module, NO_CLASSES).definitions
                if (definition.module or definition.bases) and definition.graph_free is not None
            )
            self._answers[key] = (self.lineage, self.changes - own, graph_free)
        return self._answers[key]  # type: ignore[return-value]  # one cache for answers of several types, by key

    def _modules_named(self, module: str) -> set[str]:
        """Every module a name held in the class index may lead to (the modules of its imports and of the
        project names the definitions hold), but for the names `module`'s own definitions hold."""
        names: set[str] = set()
        for holder, entry in self.classes.items():
            references = [
                *(reference for _, reference in entry.imports),
                *entry.uses,
                *entry.hands_models_to,
                *(
                    reference
                    for _, definition in (entry.definitions if holder != module else ())
                    for reference in (
                        *definition.bases,
                        *definition.parts,
                        *(definition.graph_free or ()),
                        *(definition.leaves_mode or ()),
                        *(name for _, names in definition.static_methods for name in names or ()),
                    )
                ),
            ]
            names.update(prefix for reference in references for prefix in _module_prefixes(reference))
        return names

    def _defined_in(self, module: str, function: str) -> tuple[str, str]:
        """The module that defines a function a call names through a re-export (`from pkg import eval_net`,
        `pkg/__init__.py`: `from .evaluation import eval_net`)."""
        for _ in range(MAX_REEXPORTS):
            if function in self.exports.get(module, {}) or module not in self.classes:
                break
            reference = dict(self.classes[module].imports).get(function)
            source = self.resolve_module(reference.rpartition(".")[0]) if reference else None
            if reference is None or source is None:
                break
            module, function = source, reference.rpartition(".")[2]
        return module, function

    def _reachable_as(self, module: str, function: str) -> list[str]:
        """The module, and the modules that re-export the function (`pkg/__init__.py`), up to MAX_REEXPORTS hops."""
        found, pending = [module], [f"{module}.{function}"]
        for _ in range(MAX_REEXPORTS):
            targets = set(pending)
            pending = [
                f"{importer}.{name}"
                for importer, entry in self.classes.items()
                if importer not in found
                for name, reference in entry.imports
                if reference in targets
            ]
            found.extend(reference.rpartition(".")[0] for reference in pending)
            if not pending:
                break
        return found

    def resolve_module(self, dotted_name: str) -> str | None:
        """`mypkg.eval` -> the indexed module it names (`src.mypkg.eval` in a src layout)."""
        if dotted_name in self.exports:
            return dotted_name
        if self._by_suffix is None:
            self._by_suffix = {}
            for module in sorted(self.exports, key=len, reverse=True):  # the shortest name wins
                parts = module.split(".")
                for start in range(1, len(parts)):
                    self._by_suffix[".".join(parts[start:])] = module
        return self._by_suffix.get(dotted_name)

    def export(self, dotted_name: str, function: str) -> Export | None:
        module = self.resolve_module(dotted_name)
        return self.exports.get(module, {}).get(function) if module else None

    def inherits_training(self, reference: str) -> bool:
        """Some method of the project class `reference` or of its bases leaves a `self.` model in the training
        mode its training left (a class deriving from it inherits a training loop: `solver._left_by_siblings`)."""
        return any(
            TRAINED in values for _, export in self.inherited_methods(reference) for _, values in export.mode_exit
        )

    def inherited_methods(self, reference: str) -> tuple[tuple[str, Export], ...]:
        """(method, summary) for each method with a summary that the project class `reference` has, its own or
        its bases' (the nearest definition of each name)."""
        key = ("inherited methods", reference)
        if key not in self._answers:
            found: dict[str, Export] = {}
            for module, cls in self._class_chain(reference):
                prefix = f"{cls}."
                for name, export in self.exports.get(module, {}).items():
                    if name.startswith(prefix):
                        found.setdefault(name[len(prefix) :], export)
            self._answers[key] = tuple(found.items())
        return self._answers[key]  # type: ignore[return-value]  # one cache for answers of several types, by key

    def inherited(self, reference: str, method: str) -> Export | None:
        """The summary of `method` as the project class `reference` (`pkg.base.Trainer`) has it: its own, or
        that of the nearest base that defines it."""
        return dict(self.inherited_methods(reference)).get(method)

    # ---- the class index -------------------------------------------------------------------------
    def definition(self, reference: str) -> Definition | None:
        """The class or function `pkg.model.Encoder` names, followed through the modules that import
        and so re-export it (`pkg/__init__.py`: `from .model import Encoder`)."""
        key = ("definition", reference)
        if key not in self._answers:
            place = self._defined_at(reference, MAX_REEXPORTS)
            self._answers[key] = place[2] if place is not None else None
        return self._answers[key]  # type: ignore[return-value]  # one cache for answers of several types, by key

    def _defined_at(self, reference: str, hops: int) -> tuple[str, str, Definition] | None:
        """(the module that defines it, its name there, its definition), through re-exports."""
        dotted_module, _, name = reference.rpartition(".")
        module = self.resolve_module(dotted_module) if dotted_module else None
        entry = self.classes.get(module) if module is not None else None
        if module is None or entry is None or hops <= 0:
            return None
        found = dict(entry.definitions).get(name)
        if found is not None:
            return module, name, found
        imported = dict(entry.imports)
        if name in imported:
            return self._defined_at(imported[name], hops - 1)
        for star, target in entry.imports:
            if star == "*":
                place = self._defined_at(f"{target}.{name}", hops - 1)
                if place is not None:
                    return place
        return None

    def is_module_class(self, reference: str) -> bool:
        """An `nn.Module` subclass defined in the project: by its own file, or through its bases."""
        return self._through_bases(reference, lambda d: d.module)

    def is_plain_class(self, reference: str) -> bool:
        """A project class that derives from nothing that can be an `nn.Module`: it and every base it has are
        project classes that derive only from `object` and each other, none a module by its own file."""
        pending, seen = [reference], set()
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            definition = self.definition(current)
            if definition is None or not definition.plain or definition.module:
                return False
            pending.extend(definition.bases)
        return True

    def runs_forward(self, reference: str, method: str) -> bool:
        """`model.method(x)` is a forward pass of an instance of the class (or of a base's method)."""
        return self._through_bases(reference, lambda d: method in d.forward_methods)

    def forward_needs_grad(self, reference: str) -> bool:
        return self._through_bases(reference, lambda d: d.forward_needs_grad)

    def forward_sets_grad(self, reference: str) -> bool:
        return self._through_bases(reference, lambda d: d.forward_sets_grad)

    def _through_bases(self, reference: str, holds: Callable[[Definition], bool]) -> bool:
        pending, seen = [reference], set()
        while pending:
            current = pending.pop()
            definition = self.definition(current)
            if definition is None or current in seen:
                continue
            seen.add(current)
            if holds(definition):
                return True
            pending.extend(definition.bases)
        return False

    def builds_no_graph(self, reference: str) -> bool:
        """The class (with its project bases and what it builds or calls) names nothing of torch: a NumPy
        model behind an `nn.Module` base, whose forward pass records no autograd graph of its own."""
        return self._true_of_every_part(
            ("builds no graph", reference), lambda: self.definition(reference), "graph_free", self.builds_no_graph
        )

    def mode_dependence(self, reference: str) -> frozenset[str] | None:
        """What the class (with its bases and the project classes and functions it builds or calls)
        has that depends on the training mode: "Dropout", "BatchNorm", ...; None when some part of it
        cannot be seen (a class defined outside the project, a name that does not resolve)."""
        key = ("mode dependence", reference)
        if key in self._answers:
            return self._answers[key]  # type: ignore[return-value]  # one cache for answers of several types, by key
        self._answers[key] = frozenset()  # a cycle adds nothing
        definition = self.definition(reference)
        found: frozenset[str] | None = None
        module = self.resolve_module(reference) if definition is None else None
        if module is not None and module in self.classes:  # `conv2d_gradfix.conv2d(...)`: all it defines
            found = frozenset()
            for name, _ in self.classes[module].definitions:
                more = self.mode_dependence(f"{module}.{name}")
                if more is None:
                    found = None
                    break
                found |= more
        elif definition is not None and definition.layers is not None:
            found = frozenset(definition.layers)
            for part in (*definition.bases, *definition.parts):
                more = self.mode_dependence(part)
                if more is None:
                    found = None
                    break
                found |= more
        self._answers[key] = found
        return found

    def leaves_mode(self, reference: str) -> bool:
        """A model handed to the class or function (`CAM(model, layer)`, `attach_hooks(model)`) keeps its
        training mode: neither it (for a method, `Stage.set_callback(model)`: its class), its bases nor the
        project definitions it calls switch any mode."""

        def definition() -> Definition | None:  # a method's answer is its own for a static method, else its class's
            found = self.definition(reference)
            if found is None and "." in reference:
                owner, _, method = reference.rpartition(".")
                found = self._static_method(owner, method, MAX_REEXPORTS) or self.definition(owner)
            return found

        return self._true_of_every_part(("leaves mode", reference), definition, "leaves_mode", self.leaves_mode)

    def _static_method(self, owner: str, method: str, hops: int) -> Definition | None:
        """The static method `method` of the class `owner` or of its project bases (it may be inherited), as a
        definition of its own."""
        cls = self.definition(owner)
        if cls is None or hops <= 0:
            return None
        own = dict(cls.static_methods)
        if method in own:
            return Definition(leaves_mode=own[method])
        return next(
            (found for base in cls.bases if (found := self._static_method(base, method, hops - 1)) is not None), None
        )

    def _true_of_every_part(
        self,
        key: tuple[str, str],
        find: Callable[[], Definition | None],
        field: Literal["graph_free", "leaves_mode"],
        ask: Callable[[str], bool],
    ) -> bool:
        """The definition `find` gives says yes itself (its `field` lists the project names it uses; None is a
        no), and `ask` says yes of its bases and of every name listed; a cycle adds nothing."""
        if key in self._answers:
            return self._answers[key]  # type: ignore[return-value]  # one cache for answers of several types, by key
        self._answers[key] = True
        definition = find()
        parts = getattr(definition, field) if definition is not None else None
        found = definition is not None and parts is not None and all(ask(part) for part in (*definition.bases, *parts))
        self._answers[key] = found
        return found

    def incoming_grad(self, module: str, function: str) -> Possible | None:
        return _grad_at_calls(self.incoming.get(module, {}).get(function, ()))

    def incoming_method_grad(self, reference: str, method: str) -> Possible | None:
        """The grad modes at the `self.method()` calls that the project class `reference` and its bases make in
        their own methods, recorded when some of them run without gradients (`export._own_method_calls`): call
        sites of a subclass's override."""
        return _grad_at_calls(
            [
                grad
                for module, name in self._class_chain(reference)
                for grad in self.incoming.get(module, {}).get(f"{name}.{method}", ())
            ]
        )

    def calls_methods_without_grad(self, reference: str) -> bool:
        """The project class `reference` or a base calls one of its own methods without gradients somewhere."""
        return any(
            key.startswith(f"{name}.")
            for module, name in self._class_chain(reference)
            for key in self.incoming.get(module, {})
        )

    def _class_chain(self, reference: str) -> list[tuple[str, str]]:
        """(module, name) where the project class `reference` and each of its project bases are defined."""
        key = ("class chain", reference)
        if key not in self._answers:
            found: list[tuple[str, str]] = []
            pending, seen = [reference], set()
            while pending:
                current = pending.pop(0)
                place = self._defined_at(current, MAX_REEXPORTS)
                if place is None or current in seen:
                    continue
                seen.add(current)
                found.append((place[0], place[1]))
                pending[:0] = place[2].bases
            self._answers[key] = found
        return self._answers[key]  # type: ignore[return-value]  # one cache for answers of several types, by key

    def trained_by_callers(self, module: str, function: str, params: list[str]) -> dict[str, tuple[str, ...]]:
        """Parameter -> the call sites in other files, for each parameter that every call from another file
        fills with a model in training mode only (`eval_net(net, val)` right after a training epoch)."""
        calls = self.handed.get(module, {}).get(function)
        if not calls:
            return {}
        found: dict[str, tuple[str, ...]] = {}
        for index, param in enumerate(params):
            sites = []
            for models, site in calls:
                modes = dict(models).get(str(index), dict(models).get(param))
                if modes != (Mode.TRAIN.value,):
                    break
                sites.append(site)
            else:
                found[param] = tuple(sorted(set(sites)))
        if found and any("*" in self.handed.get(m, {}) for m in self._reachable_as(module, function)):
            return {}  # some calls we cannot see (`evaluation.eval_net` passed as a value, `pkg.eval_net`)
        return found


def _grad_at_calls(sites: Iterable[tuple[str, ...]]) -> Possible | None:
    """The grad modes at calls from other files, as settings; None when there is none we can see."""
    calls = [values for values in sites if values]
    if not calls:
        return None  # never called from another file, or only where we cannot see the grad mode
    # enabled callers are the thread's default mode, as for a function nobody in the project calls
    return frozenset(
        Setting(Grad(v), None, "default" if v == Grad.ENABLED.value else "callers") for values in calls for v in values
    )


def _module_prefixes(reference: str) -> list[str]:
    """`pkg.model.Encoder` -> `pkg.model.Encoder`, `pkg.model`, `pkg`: the names of modules it may be in."""
    parts = reference.split(".")
    return [".".join(parts[:end]) for end in range(len(parts), 0, -1)]


def handed_models(call: ast.Call, is_model: Callable[[str], bool], modes: Callable[[str], Possible]) -> tuple:
    """The models a call passes (`eval_net(net, val)`: ("0", ("train",))), with their training modes there."""
    found = []
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            break  # later positions are unknown
        key = dotted(arg)
        if key is not None and is_model(key) and modes(key):
            found.append((str(index), tuple(sorted({s.value.value for s in modes(key)}))))
    for keyword in call.keywords:
        key = dotted(keyword.value) if keyword.arg else None
        if keyword.arg and key is not None and is_model(key) and modes(key):
            found.append((keyword.arg, tuple(sorted({s.value.value for s in modes(key)}))))
    return tuple(found)


def unseen_uses(imported: dict[str, str]) -> set[OutgoingCall]:
    """Calls we cannot see of what each local name of `imported` (-> its absolute name) names: the function
    itself (`from .evaluation import eval_net`), or any function of the module it names (`evaluation.eval_net`,
    `pkg.eval_net`: "*"), recorded without grad mode or models (`ProjectIndex.trained_by_callers`)."""
    uses = set()
    for qualified in imported.values():
        module, _, name = qualified.rpartition(".")
        uses |= {OutgoingCall(sys.intern(module), sys.intern(name), ()), OutgoingCall(qualified, "*", ())}
    return uses


def module_name(path: str, root: str) -> str:
    """`root/pkg/utils.py` -> "pkg.utils"; `pkg/__init__.py` -> "pkg"."""
    relative = posixpath.relpath(path.replace("\\", "/"), root.replace("\\", "/"))
    parts = (
        [p for p in relative[:-3].split("/") if p not in ("", ".")] if relative.endswith(".py") else relative.split("/")
    )
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def absolute_import(imported: str, current_module: str, is_package: bool) -> str:
    """`..utils.evaluate` seen from `pkg.train.loop` -> `pkg.utils.evaluate`."""
    # interned: the summaries of every file, kept to the end of a check, repeat the same few names (~20 MB of
    # copies on a large library)
    level = len(imported) - len(imported.lstrip("."))
    if level == 0:
        return sys.intern(imported)
    package = current_module.split(".") if is_package else current_module.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return sys.intern(".".join([*base, imported[level:].lstrip(".")]).strip("."))


class ImportedFunction:
    """An `Export` shaped like the `FunctionFacts` that `apply_summary` and GG203 read; `is_method`: a method
    a class inherits from a base in another file (`self._train_model(...)`), its first parameter the receiver."""

    def __init__(self, name: str, export: Export, is_method: bool = False) -> None:
        self.name = name
        self.is_method = is_method
        self.params = list(export.params)
        self.forwards = export.forwards
        caller = frozenset({_CALLER})
        keys = [key for key, _ in export.mode_exit]
        self.entry = State(caller, {key: caller for key in keys}, {})
        self.summary = Summary(
            grad_exit=_settings(export.grad_exit, Grad) if export.grad_exit is not None else None,
            mode_exit={key: _settings(values, Mode) for key, values in export.mode_exit},
            trains_unset=export.trains_unset,
        )


def _settings(values: tuple[str, ...], kind: type) -> Possible:
    return frozenset(
        _CALLER
        if v == PASSTHROUGH
        else CALLER_RELOADED
        if v == RELOADED
        else Setting(Mode.TRAIN, None, "trained")
        if v == TRAINED
        else Setting(kind(v), None, "callee")
        for v in values
    )


def portable_mode(possible: Possible, entry: Possible) -> tuple[str, ...]:
    """`portable`, and RELOADED for weights loaded into whatever mode the function was given: every
    setting at exit is one `load_state_dict` call's, with the values of the entry."""
    if (
        possible
        and all(s.via == "loaded" for s in possible)
        and len({id(s.origin) for s in possible}) == 1
        and {s.value for s in possible} == {s.value for s in entry}
    ):
        return (RELOADED,)
    return portable(possible, entry)


def portable(possible: Possible, entry: Possible) -> tuple[str, ...]:
    return tuple(sorted({PASSTHROUGH if s in entry else s.value.value for s in possible}))


def call_target(call: ast.Call, imported: dict[str, str]) -> tuple[str, str] | None:
    """(module, function) of a call of an imported function: `evaluate(...)` after `from .utils import evaluate`."""
    func = call.func
    if isinstance(func, ast.Name) and func.id in imported:
        module, _, name = imported[func.id].rpartition(".")
        return (module, name) if module else None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in imported:
        return imported[func.value.id], func.attr  # `utils.evaluate(...)` after `from . import utils`
    return None
