"""Gather the source code of functions with everything they use, for Export as Python.

An exported script carries the very code the modules run, so the rule lives once: a
function or class from this package is copied (decorators such as ``@module`` dropped) with
the helpers, classes and constants it names, recursively; anything else it names (pandas,
scikit-learn, the standard library) becomes an import line.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
import textwrap
import types
from collections.abc import Mapping
from typing import Any

OWN_PACKAGE = "app."
LITERALS = (str, int, float, bool, type(None), tuple, list, dict, frozenset)
DROPPED_DECORATORS = {"module"}


class SourceError(ValueError):
    """A name a function uses that cannot be written into a standalone script."""


class Sources:
    """The definitions a script needs, in an order where each comes after what it uses.

    ``substitutes`` maps an object of this package to the one the script gets instead
    (for example the step context, which in a script only logs to standard error).
    """

    def __init__(self, substitutes: Mapping[Any, Any] | None = None):
        self.substitutes = dict(substitutes or {})
        self.imports: set[str] = set()
        self.blocks: list[str] = []
        self._names: dict[str, Any] = {}   # name in the script -> identity of its definition
        self._done: dict[Any, str] = {}    # identity -> name in the script
        self._busy: set[Any] = set()

    @property
    def names(self) -> set[str]:
        """Every global name the script defines or imports so far."""
        return set(self._names)

    def add(self, obj: Any, name: str | None = None) -> str:
        """Add a function or class of this package (and what it uses); its name in the script."""
        obj = self._substitute(obj)
        ident = ("def", obj.__module__, obj.__qualname__)
        if ident in self._done or ident in self._busy:
            return self._done.get(ident, name or obj.__name__)
        self._busy.add(ident)
        tree = _definition(obj)
        renames = {}
        names, annotations = _global_names(tree)
        scope = vars(sys.modules[obj.__module__])
        for used in sorted(names):
            found = scope.get(used, _MISSING)
            if found is _MISSING:
                continue  # a builtin or a local name
            given = self._use(used, found, obj)
            if given != used:
                renames[used] = given
        for used in sorted(annotations - names):
            # Never evaluated, but linters and readers look them up: import the outside ones.
            found = scope.get(used, _MISSING)
            if found is not _MISSING and not _own(found):
                self._use(used, found, obj)
        final = self._claim(name or obj.__name__, ident, obj.__module__)
        if final != tree.name:
            renames[tree.name] = final
        self._busy.discard(ident)
        self.blocks.append(_render(obj, tree, renames))
        return final

    def constant(self, name: str, code: str, owner: str = "") -> str:
        """Add ``name = code`` (if not there yet), defined in module ``owner``; the name it got."""
        ident = ("const", code)
        if ident in self._done:
            return self._done[ident]
        final = self._claim(name, ident, owner)
        self.blocks.append(f"{final} = {code}")
        return final

    def require(self, obj: Any, name: str) -> str:
        """Import an object from outside this package under ``name``; the name it got."""
        return self._use(name, obj, None)

    def _use(self, name: str, found: Any, user: Any) -> str:
        found = self._substitute(found)
        owner = getattr(user, "__module__", "")
        if isinstance(found, types.ModuleType):
            if found.__name__.startswith(OWN_PACKAGE):
                raise SourceError(f"{name!r} is a module of this package; name what it holds")
            return self._import(name, _module_import(found, name), ("module", found.__name__))
        if _own(found):
            return self.add(found, name)
        if isinstance(found, re.Pattern):
            self._use("re", re, user)
            return self.constant(name, _pattern_code(found), owner)
        if isinstance(found, frozenset) and all(_is_literal(item) for item in found):
            items = ", ".join(sorted(repr(item) for item in found))
            return self.constant(name, f"frozenset({{{items}}})", owner)
        if isinstance(found, LITERALS) and _is_literal(found):
            return self.constant(name, repr(found), owner)
        if callable(found) and hasattr(found, "__module__") and hasattr(found, "__name__"):
            line, ident = _object_import(found, name)
            return self._import(name, line, ident)
        copied = self._assignment(name, user) if user is not None else None
        if copied is not None:
            return copied
        where = f" (used by {user.__qualname__})" if user is not None else ""
        raise SourceError(f"cannot write {name!r}{where} into a standalone script")

    def _assignment(self, name: str, user: Any) -> str | None:
        """A constant that is no literal (a table of lambdas, say) copied as the statement
        that assigns it in ``user``'s module, with what it reads; None when that module does
        not assign ``name`` at its top level."""
        module = sys.modules.get(getattr(user, "__module__", ""))
        if module is None or not module.__name__.startswith(OWN_PACKAGE):
            return None
        ident = ("assign", module.__name__, name)
        if ident in self._done or ident in self._busy:
            return self._done.get(ident, name)
        source = inspect.getsource(module)
        statement = next((n for n in ast.parse(source).body if _assigns(n, name)), None)
        if statement is None:
            return None
        self._busy.add(ident)
        tree = ast.parse(ast.get_source_segment(source, statement)).body[0]
        tree.source = ast.get_source_segment(source, statement)  # type: ignore[attr-defined]
        scope, renames = vars(module), {}
        read = {n.id for n in ast.walk(tree.value) if isinstance(n, ast.Name)
                and isinstance(n.ctx, ast.Load)}
        for used in sorted(read - {name}):
            found = scope.get(used, _MISSING)
            if found is not _MISSING:
                given = self._use(used, found, user)
                if given != used:
                    renames[used] = given
        final = self._claim(name, ident, module.__name__)
        if final != name:
            renames[name] = final
        self._busy.discard(ident)
        self.blocks.append("\n".join(_renamed(tree, renames)))
        return final

    def _substitute(self, obj: Any) -> Any:
        return next((new for old, new in self.substitutes.items() if old is obj), obj)

    def _import(self, name: str, line: str, ident: Any) -> str:
        if self._names.get(name) not in (None, ident):
            raise SourceError(f"two different things are called {name!r}")
        self._names[name] = ident
        self._done[ident] = name
        self.imports.add(line)
        return name

    def _claim(self, name: str, ident: Any, owner: str = "") -> str:
        """``name``, or when another definition has it, the name qualified by its module
        (``LABEL`` of training.py becomes ``TRAINING_LABEL``)."""
        final = name
        if self._names.get(final) not in (None, ident):
            final = _qualified(name, owner.rsplit(".", 1)[-1])
        n = 1
        while self._names.get(final) not in (None, ident):
            n += 1
            final = f"{name}_{n}"
        self._names[final] = ident
        self._done[ident] = final
        return final


_MISSING = object()


def _definition(obj: Any) -> ast.FunctionDef | ast.ClassDef:
    source = textwrap.dedent(inspect.getsource(obj))
    node = ast.parse(source).body[0]
    if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        raise SourceError(f"{obj.__qualname__} is not a plain function or class")
    node.source = source  # type: ignore[attr-defined]
    return node


class _Names(ast.NodeVisitor):
    """Names a definition reads, leaving out annotations (a script never evaluates them)."""

    def __init__(self):
        self.found: set[str] = set()
        self.annotations: set[str] = set()

    def visit_Name(self, node: ast.Name) -> None:  # noqa: N802 - ast.NodeVisitor's naming
        if isinstance(node.ctx, ast.Load):
            self.found.add(node.id)

    def visit_arg(self, node: ast.arg) -> None:  # noqa: N802
        """Arguments are local; their annotations are only noted."""
        self.note(node.annotation)

    def note(self, annotation: ast.expr | None) -> None:
        """Record the names an annotation mentions."""
        if annotation is not None:
            self.annotations |= {n.id for n in ast.walk(annotation) if isinstance(n, ast.Name)}

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:  # noqa: N802
        for item in node.decorator_list:
            self.visit(item)
        self.visit(node.args)
        self.note(node.returns)
        for statement in node.body:
            self.visit(statement)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:  # noqa: N802
        self.note(node.annotation)
        if node.value is not None:
            self.visit(node.value)


def _global_names(tree: ast.FunctionDef | ast.ClassDef) -> tuple[set[str], set[str]]:
    """Names read by the definition's body, defaults, bases and kept decorators; and the
    names its annotations mention.

    A local variable read under a global's name counts too: at worst the script gets a
    definition it does not need.
    """
    names = _Names()
    if isinstance(tree, ast.FunctionDef):
        names.visit(tree.args)
        names.note(tree.returns)
    else:
        for item in tree.bases:
            names.visit(item)
    for statement in tree.body:
        names.visit(statement)
    for item in tree.decorator_list:
        if _decorator_name(item) not in DROPPED_DECORATORS:
            names.visit(item)
    return names.found - {tree.name}, names.annotations - {tree.name}


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return target.id if isinstance(target, ast.Name) else ""


def _assigns(statement: ast.stmt, name: str) -> bool:
    if isinstance(statement, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in statement.targets)
    return isinstance(statement, ast.AnnAssign) and statement.value is not None and \
        isinstance(statement.target, ast.Name) and statement.target.id == name


def _renamed(tree, renames: dict[str, str]) -> list[str]:
    """The lines of ``tree.source`` with the names in ``renames`` replaced."""
    lines = tree.source.splitlines()
    edits = [(n.lineno, n.col_offset, n.end_col_offset, renames[n.id]) for n in ast.walk(tree)
             if isinstance(n, ast.Name) and n.id in renames]
    for lineno, start, end, new in sorted(edits, reverse=True):
        line = lines[lineno - 1]
        lines[lineno - 1] = line[:start] + new + line[end:]
    return lines


def _render(obj: Any, tree, renames: dict[str, str]) -> str:
    """The definition's source without dropped decorators, with global names renamed."""
    lines = _renamed(tree, renames)
    if tree.name in renames:
        first = tree.lineno - 1
        lines[first] = re.sub(rf"\b{tree.name}\b", renames[tree.name], lines[first], count=1)
    kept = [d for d in tree.decorator_list if _decorator_name(d) not in DROPPED_DECORATORS]
    start = min([tree.lineno] + [d.lineno for d in kept]) - 1
    dropped = {line for d in tree.decorator_list if d not in kept
               for line in range(d.lineno - 1, d.end_lineno)}
    return "\n".join(line for i, line in enumerate(lines) if i >= start and i not in dropped)


def _qualified(name: str, stem: str) -> str:
    """``name`` qualified by the module stem that defines it, in the name's own style."""
    if name.isupper():
        return f"{stem.upper()}_{name}"
    return f"_{stem}{name}" if name.startswith("_") else f"{stem}_{name}"


def _own(obj: Any) -> bool:
    """A function or class of this package (copied into scripts rather than imported)."""
    return isinstance(obj, (types.FunctionType, type)) and \
        getattr(obj, "__module__", "").startswith(OWN_PACKAGE)


def _is_literal(value: Any) -> bool:
    try:
        return ast.literal_eval(repr(value)) == value
    except (ValueError, SyntaxError):
        return False


def _pattern_code(pattern: re.Pattern) -> str:
    flags = re.RegexFlag(pattern.flags & ~re.UNICODE)
    return f"re.compile({pattern.pattern!r}{', ' + repr(flags) if flags else ''})"


def _module_import(module: types.ModuleType, name: str) -> str:
    full = module.__name__
    if full == name:
        return f"import {full}"
    return f"import {full} as {name}"


def _object_import(obj: Any, name: str) -> tuple[str, Any]:
    """``from <shortest public module> import <name>`` for a function or class."""
    parts = obj.__module__.split(".")
    for end in range(1, len(parts) + 1):
        path = ".".join(parts[:end])
        try:
            module = importlib.import_module(path)
        except ImportError:
            continue
        if getattr(module, obj.__name__, None) is obj:
            alias = "" if obj.__name__ == name else f" as {name}"
            return f"from {path} import {obj.__name__}{alias}", ("object", path, obj.__name__)
    raise SourceError(f"cannot find where to import {name!r} from")
