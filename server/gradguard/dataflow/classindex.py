"""A module's entry in the project's class index (`crossfile.ModuleClasses`): what another file
needs to know of the classes defined here to tell a model from other objects (`model = Attention()`
with `Attention` in model.py), which of their methods are forward passes, whether their `forward`
needs gradients itself, and what in them depends on the training mode.

Read from the syntax tree alone, in portable form: names of the project are absolute dotted names.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Callable, Union

from ..lines import line_starts
from ..vocabulary import (
    BATCH_NORM_LAYERS,
    BUILD_NO_MODULES,
    DROPOUT_LAYERS,
    FORWARD_METHODS,
    GRADIENT_ATTRS,
    GRADIENT_CONSUMER_PREFIXES,
    GRADIENT_CONSUMERS,
    INSTANCE_NORM_LAYERS,
    LAYERS_WITH_DROPOUT,
    NON_TORCH_ROOTS,
    THIRD_PARTY_ROOTS,
    TORCH_ROOTS,
)
from .crossfile import Definition, ModuleClasses, OutgoingCall, absolute_import, call_order, unseen_uses
from .models import ModelKinds, holds_given_modules, is_module_base, layers_and_parts
from .names import Names, dotted
from .tokens import is_identifier_char, name_counts, names_word, word_set
from .traverse import descendants, nodes_outside_definitions, statements_within

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
BUILTIN_NAMES = frozenset(dir(builtins))
TopLevel = Union[ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef]  # what the index reads the text of
# No leading \b: a pattern that starts with a literal is searched for 30-100x faster; `_whole_words`
# checks the start instead.
SELF_CALL = re.compile(r"self(?:\.(\w+))?\s*\(")  # `self.encoder(`, `self(` (as "")
SELF_ITERATED = re.compile(r"in\s+self\.(\w+)")  # `for layer in self.layers`
CALLED_NAME = re.compile(r"(?<![\w.])(?<!def )([A-Za-z_]\w*)\s*\(")  # `inconv(3, 64)`, not `self.conv(x)`
# Words that may name what depends on the training mode: the layers of the vocabulary (and their
# functional forms), `training` (`self.training`, `training=`), and what builds modules by name.
MODE_WORDS = frozenset(
    {
        *DROPOUT_LAYERS,
        *BATCH_NORM_LAYERS,
        *LAYERS_WITH_DROPOUT,
        *INSTANCE_NORM_LAYERS,
        "RReLU",
        "dropout",
        "dropout1d",
        "dropout2d",
        "dropout3d",
        "alpha_dropout",
        "feature_alpha_dropout",
        "batch_norm",
        "instance_norm",
        "rrelu",
        "training",
        "Dropout1d",
        "Dropout2d",
        "Dropout3d",
        "BatchNorm1d",
        "BatchNorm2d",
        "BatchNorm3d",
        "InstanceNorm1d",
        "InstanceNorm2d",
        "InstanceNorm3d",
        "TransformerEncoder",
        "TransformerDecoder",
        "TransformerEncoderLayer",
        "TransformerDecoderLayer",
        "LSTMCell",
        "GRUCell",
        "RNNCell",
        "eval",
        "exec",
        "import_module",
        "__import__",
    }
)
LAYER_BY_NAME = re.compile(r"getattr\(\s*(?:nn|torch\.nn|torch)\s*,")  # `getattr(nn, norm)(...)`
# Words that make parameters or buffers without naming torch where they are used.
PARAMETER_WORDS = frozenset({"register_parameter", "register_buffer", "register_module", "add_module"})
MODE_SWITCH_WORDS = frozenset({"eval", "train", "training"})  # `.eval()`, `.train(False)`, `m.training = False`
GRAD_MODE_WORDS = frozenset({"no_grad", "inference_mode", "set_grad_enabled"})
TRIPLE_QUOTED = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'')
GRADIENT_WORDS = frozenset({*GRADIENT_ATTRS, "grad", "get_diff_optim", "innerloop_ctx", "autograd", "func"})


def module_classes_entry(
    tree: ast.Module,
    source: str,
    names: Names,
    local_modules: set[str],
    module: str,
    is_package: bool,
    walked: Callable[[ast.AST], bool] | None = None,
    handed_models: Iterable[str] = (),
) -> ModuleClasses:
    """The definitions of `tree` (`local_modules`: its classes known to be `nn.Module`s) and the
    project names it imports, for the module named `module`; with `walked` (which definitions the
    analysis walked), the project classes it uses (`ModuleClasses.uses`) and the project code that
    `handed_models` names (what calls that receive a model call: `ModuleClasses.hands_models_to`).

    What a definition holds is read from the words of its text, which costs a small part of walking
    its tree (this runs on every file of a project): a word that may name a mode-dependent layer
    makes the answer "unknown" rather than a guess, so only "nothing depends on the mode" is claimed,
    and only when nothing in the text can say otherwise."""

    def project_name(qualified: str) -> str | None:
        """The absolute name of a name imported from the project; None for other packages."""
        if not qualified or qualified.split(".", 1)[0] in THIRD_PARTY_ROOTS:
            return None
        return absolute_import(qualified, module, is_package) or None

    top = {node.name: node for node in tree.body if isinstance(node, (ast.ClassDef, *FUNCTIONS))}
    starts = line_starts(source)

    def text(node: TopLevel) -> str:
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        return source[starts[first - 1] : starts[min(node.end_lineno or node.lineno, len(starts) - 1)]]

    kinds = ModelKinds(names, local_modules, ())
    star_modules = [
        absolute_import("." * stmt.level + (stmt.module or ""), module, is_package)
        for stmt in tree.body
        if isinstance(stmt, ast.ImportFrom)
        and any(alias.name == "*" for alias in stmt.names)
        and (stmt.level or (stmt.module or "").split(".", 1)[0] not in THIRD_PARTY_ROOTS)
    ]
    definitions = []
    for name, node in top.items():
        body = text(node)
        words = word_set(body)
        if words & MODE_SWITCH_WORDS or words & MODE_WORDS:  # read again without the prose, which names no layer
            body = _code_only(body)
            words = word_set(body)
        layers, parts = _layers_and_parts(words, body, name, names, top, module, project_name)
        if layers is not None and star_modules:
            parts |= _star_imported_parts(body, name, names, top, star_modules)
        leaves_mode = _calls_leaving_mode(words, name, names, top, module, project_name)
        graph_free = _graph_free(node, body, words, names, top, module, project_name)
        if graph_free is not None and star_modules:
            graph_free = tuple(sorted({*graph_free, *_star_imported_names(node, body, names, top, star_modules)}))
        if layers is not None and (
            LAYER_BY_NAME.search(body)
            or (
                isinstance(node, ast.ClassDef)
                and holds_given_modules(node, _whole_words(SELF_CALL, body) | _whole_words(SELF_ITERATED, body))
            )
        ):
            layers = None
        if isinstance(node, ast.ClassDef):
            bases = tuple(
                sorted(filter(None, (_base_name(base, names, top, module, project_name) for base in node.bases)))
            )
            is_module = name in local_modules or bool(bases)
            definitions.append(
                (
                    name,
                    Definition(
                        bases=bases,
                        module=name in local_modules,
                        forward_methods=_forward_methods(node, kinds, text) if is_module else (),
                        forward_needs_grad=is_module
                        and bool(GRADIENT_WORDS & words)  # the class's words hold its forward's
                        and _forward_needs_grad(node, names, text),
                        forward_sets_grad=is_module and _forward_sets_grad(node, text),
                        layers=layers,
                        parts=tuple(sorted(parts - set(bases))),
                        graph_free=graph_free,
                        leaves_mode=leaves_mode,
                        static_methods=()
                        if leaves_mode is not None
                        else _static_methods(node, text, names, top, module, project_name),
                        plain=all(
                            (isinstance(base, ast.Name) and base.id == "object")
                            or _base_name(base, names, top, module, project_name) is not None
                            for base in node.bases
                        ),
                    ),
                )
            )
        else:
            definitions.append(
                (
                    name,
                    Definition(
                        layers=layers,
                        parts=tuple(sorted(parts)),
                        graph_free=graph_free,
                        leaves_mode=leaves_mode,
                    ),
                )
            )
    definitions.extend(_module_level_models(tree, names, top, project_name))
    imports = []
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and (
            stmt.level or (stmt.module or "").split(".", 1)[0] not in THIRD_PARTY_ROOTS
        ):
            source_module = absolute_import("." * stmt.level + (stmt.module or ""), module, is_package)
            for alias in stmt.names:
                imports.append(
                    ("*", source_module)
                    if alias.name == "*"
                    else (alias.asname or alias.name, f"{source_module}.{alias.name}")
                )
    uses: set[str] = set()
    handed: set[str] = set()
    if walked is not None:
        for statement in tree.body:
            if isinstance(statement, ast.ClassDef):
                if statement.name in local_modules or not any(walked(item) for item in statement.body):
                    continue  # its own `self.x = Encoder()` are its submodules; or no code here looks at it
                uses.update(project_name(names.qualified(base) or "") or "" for base in statement.bases)
                found = [
                    stmt for item in statement.body if isinstance(item, FUNCTIONS) for stmt in statements_within(item)
                ]
            elif isinstance(statement, FUNCTIONS):
                found = statements_within(statement) if walked(statement) else []
            else:
                found = [statement, *statements_within(statement)]
            for stmt in found:  # `model = Attention()`, `self.model = SeqNet(cfg)`, `G = gan.G`
                value = getattr(stmt, "value", None)
                if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(value, ast.Call):
                    uses.add(project_name(names.qualified(value.func) or "") or "")
                elif (
                    isinstance(stmt, ast.Assign)
                    and isinstance(value, (ast.Name, ast.Attribute))
                    and _names_imported(value, names)
                ):
                    uses.add(project_name(names.qualified(value) or "") or "")
        handed = {project_name(qualified) or "" for qualified in handed_models} - {""}  # `CAM(model, layer)`
        uses.discard("")
    return ModuleClasses(tuple(definitions), tuple(imports), tuple(sorted(uses)), tuple(sorted(handed)))


RELATIVE_IMPORT = re.compile(r"^from[ \t]+(\.+[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]+)", re.MULTILINE)
IMPORTED_NAME = re.compile(r"(\w+|\*)(?:\s+as\s+(\w+))?")


def reexports(source: str, module: str) -> ModuleClasses:
    """The project names a package's `__init__.py` that never names torch imports (`from .unet_model
    import UNet`), read from its text: such a file holds no model class, and parsing every one of
    them cost more than the rest of the index."""
    imports = []
    for match in RELATIVE_IMPORT.finditer(source):
        source_module = absolute_import(match.group(1), module, True)
        for name, alias in IMPORTED_NAME.findall(match.group(2).strip("() \t")):
            imports.append(("*", source_module) if name == "*" else (alias or name, f"{source_module}.{name}"))
    return ModuleClasses(imports=tuple(imports))


ANY_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]+)", re.MULTILINE)
PLAIN_IMPORT = re.compile(r"^[ \t]*import[ \t]+([\w.]+)(?:[ \t]+as[ \t]+(\w+))?", re.MULTILINE)


def imported_uses(source: str, module: str, is_package: bool) -> list[OutgoingCall]:
    """The project functions (and modules) a file the analysis skips uses, read from its text: calls we
    cannot see, so that no function counts every caller as known (`ProjectIndex.trained_by_callers`).
    A name counts when it appears again after its import."""
    imported: dict[str, str] = {}  # local name -> absolute name
    for match in ANY_FROM_IMPORT.finditer(source):
        source_module = absolute_import(match.group(1), module, is_package)
        if source_module and source_module.split(".", 1)[0] not in THIRD_PARTY_ROOTS:
            for name, alias in IMPORTED_NAME.findall(match.group(2).strip("() \t")):
                if name != "*" and not name[:1].isupper():  # a class or a constant (see `unseen_references`)
                    imported[alias or name] = f"{source_module}.{name}"
    for match in PLAIN_IMPORT.finditer(source):
        name, alias = match.groups()
        if name.split(".", 1)[0] not in THIRD_PARTY_ROOTS:
            imported[alias or name] = name
    if not imported:
        return []
    counts = name_counts(source, imported)
    used = {local: imported[local] for local, count in counts.items() if count > 1}  # once more than its import
    return sorted(unseen_uses(used), key=call_order)


def _layers_and_parts(
    words: set[str],
    body: str,
    name: str,
    names: Names,
    top: Mapping[str, ast.AST],
    module: str,
    project_name: Callable[[str], str | None],
) -> tuple[tuple[str, ...] | None, set[str]]:
    """(), and the project definitions it names (imported, or defined in this module), when no word of
    its text may name something that depends on the mode (a layer, `self.training`) or something built
    outside the project and torch; else (None, ...): unknown."""
    if any(not _names_project_definition(word, body, names, top, project_name) for word in words & MODE_WORDS):
        return None, set()
    parts = _defined_here(words, top, module, name)
    for word in words & names.imported.keys():
        qualified = names.imported[word]
        root = qualified.split(".", 1)[0]
        if root in TORCH_ROOTS or root in BUILD_NO_MODULES or root in NON_TORCH_ROOTS:
            if root in TORCH_ROOTS and root != "torch":
                return None, set()  # torchvision, timm, transformers...: modules we cannot see into
            continue
        reference = project_name(qualified)
        if reference is None:
            return None, set()
        parts.add(reference)
    return (), parts


def _graph_free(
    node: TopLevel,
    text: str,
    words: set[str],
    names: Names,
    top: Mapping[str, ast.AST],
    module: str,
    project_name: Callable[[str], str | None],
) -> tuple[str, ...] | None:
    """The project names a definition uses, when nothing in it names torch (beyond a class's own `nn.Module`
    base) and it runs no module it is given: it records no autograd graph of its own. None otherwise."""
    torch_words = {
        word for word in words & names.imported.keys() if names.imported[word].split(".", 1)[0] in TORCH_ROOTS
    }
    if words & PARAMETER_WORDS:
        return None
    if torch_words:
        if not isinstance(node, ast.ClassDef) or not node.body:
            return None
        # the header names its torch base (`class Net(nn.Module):`); the body must name nothing of torch
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        body_start = sum(map(len, text.splitlines(keepends=True)[: node.body[0].lineno - first]))
        if any(names_word(text, word, body_start) for word in torch_words):
            return None
    if isinstance(node, ast.ClassDef) and (holds_given_modules(node) or _runs_given(node)):
        return None
    parts = _defined_here(words, top, module, node.name)
    for word in words & names.imported.keys():
        root = names.imported[word].split(".", 1)[0]
        if root not in THIRD_PARTY_ROOTS and (reference := project_name(names.imported[word])) is not None:
            parts.add(reference)
    return tuple(sorted(parts))


def _defined_here(words: set[str], top: Mapping[str, ast.AST], module: str, name: str) -> set[str]:
    """The absolute names of the other top-level definitions of the module that `words` name; interned, as
    the index keeps them for every definition of every file."""
    return {sys.intern(f"{module}.{word}") if module else word for word in words & top.keys() if word != name}


def _runs_given(cls: ast.ClassDef) -> bool:
    """A method that runs one of its parameters (`net(x)`, `net.forward(x)`): what it is given may be a module."""
    for function in (item for item in cls.body if isinstance(item, FUNCTIONS)):
        given = {a.arg for a in [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]}
        for call in descendants([function], ()):  # every node, as `ast.walk` lists them but faster
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in FORWARD_METHODS:
                func = func.value
            if isinstance(func, ast.Name) and func.id in given:
                return True
    return False


def _module_level_models(
    tree: ast.Module, names: Names, top: Mapping[str, ast.AST], project_name: Callable[[str], str | None]
) -> list[tuple[str, Definition]]:
    """Models a module builds once at its top level from `torch.nn` (`G = nn.Sequential(nn.Linear(64, 256),
    nn.ReLU())`), which other files take by name (`G = gan_mnist.G`): what in them depends on the training mode.
    A name bound more than once at the top level is left out: which value another file gets is not known."""
    bound: dict[str, int] = {}
    for stmt in tree.body:
        for target in stmt.targets if isinstance(stmt, ast.Assign) else []:
            for node in ast.walk(target):
                if isinstance(node, ast.Name):
                    bound[node.id] = bound.get(node.id, 0) + 1
    found = []
    for stmt in tree.body:
        if not (
            isinstance(stmt, ast.Assign)
            and isinstance(stmt.targets[0], ast.Name)
            and bound.get(stmt.targets[0].id) == 1
            and stmt.targets[0].id not in top
            and isinstance(stmt.value, ast.Call)
            and (names.qualified(stmt.value.func) or "").startswith("torch.nn.")
        ):
            continue
        imported: list[str] = []
        layers = layers_and_parts(stmt.value, names, top, imported.append)
        parts = [project_name(qualified) for qualified in imported]  # None: built outside the project
        known = None if layers is None or None in parts else tuple(sorted(layers))
        found.append((stmt.targets[0].id, Definition(layers=known, parts=tuple(sorted(filter(None, parts))))))
    return found


def _names_imported(value: ast.Name | ast.Attribute, names: Names) -> bool:
    """`gan_mnist.G`, or `G` after `from gan_mnist import G`: a name another module binds."""
    root = _root_name(value)
    return root is not None and root.id in names.imported


def _star_imported_names(
    node: TopLevel, body: str, names: Names, top: Mapping[str, ast.AST], star_modules: list[str]
) -> set[str]:
    """What a definition names that only a project star import can bring: what it calls (`localSubNet(...)`)
    and the roots of its bases (`nn` of `class Net(nn.Module)` after `from .parts import *`), in each such module.
    A star import proves nothing about them: each must be a definition there that builds no graph itself."""
    bases = node.bases if isinstance(node, ast.ClassDef) else []
    roots = {root.id for root in map(_root_name, bases) if root is not None}
    unresolved = roots - top.keys() - names.imported.keys() - BUILTIN_NAMES
    called = _star_imported_parts(body, node.name, names, top, star_modules)
    return called | {f"{star}.{word}" for word in unresolved for star in star_modules}


def _root_name(node: ast.expr) -> ast.Name | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node if isinstance(node, ast.Name) else None


def _star_imported_parts(
    body: str, name: str, names: Names, top: Mapping[str, ast.AST], star_modules: list[str]
) -> set[str]:
    """What a definition calls by a name that only a project star import can bring (`from .parts import *`
    then `inconv(3, 64)`): the name in each such module; one that none defines makes the answer unknown."""
    called = set(CALLED_NAME.findall(body)) - top.keys() - names.imported.keys() - BUILTIN_NAMES - {name}
    return {f"{star}.{word}" for word in called for star in star_modules}


def _calls_leaving_mode(
    words: set[str],
    name: str,
    names: Names,
    top: Mapping[str, ast.AST],
    module: str,
    project_name: Callable[[str], str | None],
) -> tuple[str, ...] | None:
    """The project definitions it names, when no word of its code may switch a module's mode (`.eval()`,
    `.train()`, `.training =`, `setattr(m, "training", ...)`) and everything else it names is torch or a
    package that touches no module (a `Trainer` of another package may switch modes); else None."""
    if words & MODE_SWITCH_WORDS:
        return None
    parts = _defined_here(words, top, module, name)
    for word in words & names.imported.keys():
        qualified = names.imported[word]
        root = qualified.split(".", 1)[0]
        if root == "torch" or root in BUILD_NO_MODULES or root in NON_TORCH_ROOTS:
            continue
        reference = project_name(qualified)
        if reference is None:
            return None
        parts.add(reference)
    return tuple(sorted(parts))


def _static_methods(
    cls: ast.ClassDef,
    text: Callable[[TopLevel], str],
    names: Names,
    top: Mapping[str, ast.AST],
    module: str,
    project_name: Callable[[str], str | None],
) -> tuple[tuple[str, tuple[str, ...] | None], ...]:
    """Each `@staticmethod` of the class with `_calls_leaving_mode` of its own code: called through the class
    (`Stage.set_callback(model, cfg)`), it runs that code alone, whatever the rest of the class does."""
    found = []
    for item in cls.body:
        if isinstance(item, FUNCTIONS) and any(dotted(d) == "staticmethod" for d in item.decorator_list):
            words = word_set(_code_only(text(item)))
            found.append(
                (sys.intern(item.name), _calls_leaving_mode(words, item.name, names, top, module, project_name))
            )
    return tuple(found)


def _names_project_definition(
    word: str, body: str, names: Names, top: Mapping[str, ast.AST], project_name: Callable[[str], str | None]
) -> bool:
    """A layer's name that here names a definition of the project (`class Transformer(nn.Module)`, defined in
    this module or imported from the project; followed as a part) and never an attribute (`nn.Transformer`)."""
    defined = word in top or (word in names.imported and project_name(names.imported[word]) is not None)
    return defined and re.search(rf"\.\s*{word}\b", body) is None


def _code_only(text: str) -> str:
    """`text` without its triple-quoted strings (docstrings) and comments: "a dropout-free attention" names
    no layer. Read as text (this runs on every class of a project that names a layer): a `#` inside a
    string may cut a line short, which can only hide a word, so the answer stays "unknown" or becomes
    "nothing depends on the mode" for such a rare string; it never makes a layer up."""
    return "\n".join(_before_comment(line) for line in TRIPLE_QUOTED.sub("", text).split("\n"))


def _before_comment(line: str) -> str:
    """The line up to a `#` that no quote before it on the line leaves open."""
    at = line.find("#")
    while at != -1:
        before = line[:at]
        if before.count("'") % 2 == 0 and before.count('"') % 2 == 0:
            return before
        at = line.find("#", at + 1)
    return line


def _base_name(
    base: ast.expr, names: Names, top: Mapping[str, ast.AST], module: str, project_name: Callable[[str], str | None]
) -> str | None:
    if isinstance(base, ast.Name) and isinstance(top.get(base.id), ast.ClassDef):
        return f"{module}.{base.id}" if module else base.id
    if is_module_base(base, names, set()):
        return None  # torch's own: the class is a module already
    return project_name(names.qualified(base) or "")


def _forward_methods(cls: ast.ClassDef, kinds: ModelKinds, text: Callable[[TopLevel], str]) -> tuple[str, ...]:
    """Methods that run the module: call `self(...)`, `self.forward(...)`, a submodule built in the
    class (`self.encoder = nn.LSTM(...)`), or another such method."""
    methods = {item.name: item for item in cls.body if isinstance(item, FUNCTIONS) and not item.name.startswith("__")}
    calls = {name: _whole_words(SELF_CALL, text(method)) for name, method in methods.items()}
    submodules = {"", "forward"}  # `self(...)` and `self.forward(...)`
    called = set().union(*calls.values()) - submodules  # only these attributes can be submodules that matter
    for item in cls.body if called else ():
        if isinstance(item, FUNCTIONS):
            for stmt in statements_within(item):
                if isinstance(stmt, ast.Assign):
                    attributes = [key[5:] for key in map(dotted, stmt.targets) if key and key.startswith("self.")]
                    if called.intersection(attributes) and kinds.created_mode(stmt.value, set()) is not None:
                        submodules.update(attributes)
    running = {name for name, called in calls.items() if called & submodules}
    changed = True
    while changed:
        more = {name for name, called in calls.items() if name not in running and called & running}
        running |= more
        changed = bool(more)
    return tuple(sorted(running))


def _forward_needs_grad(cls: ast.ClassDef, names: Names, text: Callable[[TopLevel], str]) -> bool:
    """`forward` backpropagates, asks autograd for gradients, or runs a differentiable optimiser:
    its caller's `no_grad` would break it (an energy model that optimises its output by gradient steps)."""
    forward = next((item for item in cls.body if isinstance(item, FUNCTIONS) and item.name == "forward"), None)
    if forward is None or not GRADIENT_WORDS & word_set(text(forward)):
        return False
    return any(consumes_gradients(node, names) for node in nodes_outside_definitions(forward))


def _forward_sets_grad(cls: ast.ClassDef, text: Callable[[TopLevel], str]) -> bool:
    """`forward` names a grad-mode API in its code (`with torch.no_grad():` for `mode="inference"`,
    `@torch.no_grad()`): it decides itself whether gradients are recorded."""
    forward = next((item for item in cls.body if isinstance(item, FUNCTIONS) and item.name == "forward"), None)
    if forward is None:
        return False
    body = text(forward)
    return any(word in body for word in GRAD_MODE_WORDS) and bool(  # rare: then without the prose
        GRAD_MODE_WORDS & word_set(_code_only(body))
    )


def consumes_gradients(node: ast.AST, names: Names) -> bool:
    """`loss.backward()`, `x.requires_grad_()`, a read of `.grad`, `torch.autograd.grad(...)`."""
    if isinstance(node, ast.Attribute):
        return node.attr in GRADIENT_ATTRS or (node.attr == "grad" and isinstance(node.ctx, ast.Load))
    if isinstance(node, ast.Call):
        qualified = names.qualified(node.func) or ""
        return qualified in GRADIENT_CONSUMERS or qualified.startswith(GRADIENT_CONSUMER_PREFIXES)
    return False


def _whole_words(pattern: re.Pattern[str], text: str) -> set[str]:
    """The first group of each match of `pattern` that starts a word (as with a leading `\\b`, which
    would make the search slow): a match inside a word is skipped and the search goes on from its
    second character, where `\\b` would have gone on too."""
    found = set()
    match = pattern.search(text)
    while match is not None:
        start = match.start()
        if is_identifier_char(text, start - 1):
            match = pattern.search(text, start + 1)
        else:
            found.add(match.group(1) or "")
            match = pattern.search(text, match.end())
    return found
