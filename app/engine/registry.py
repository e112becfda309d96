"""The module registry: the @module decorator and discovery of app.modules."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Sequence

from .spec import ModuleSpec, Param, Port

# The built-in modules as their files declare them. Only discover() hands it out: the app
# keeps what it returns (runtime().modules) and passes it to the engine's functions.
REGISTRY: dict[str, ModuleSpec] = {}


def module(
    name: str,
    *,
    label: str,
    category: str,
    inputs: Sequence[Port] = (),
    outputs: Sequence[Port] = (),
    params: Sequence[Param] = (),
    version: str = "1",
    deterministic: bool = True,
    fingerprint: Callable | None = None,
    columns: Callable | None = None,
    registry: dict[str, ModuleSpec] | None = None,
) -> Callable:
    """Declare a module: ports are positional arguments, params keyword-only.

    A keyword-only argument called ``ctx`` receives the step context (log, cancellation,
    datastores). The signature is checked against the declaration at import time.
    ``columns(fed, params, datastores) -> {output port: [names] | None}`` tells the editor
    the columns the module produces, known before any run (see app.engine.columns).
    ``registry`` defaults to the global REGISTRY (tests pass their own).
    """
    target = REGISTRY if registry is None else registry

    def decorate(fn: Callable) -> Callable:
        _check_signature(name, fn, inputs, params)
        takes_context = "ctx" in inspect.signature(fn).parameters
        if name in target and target[name].fn.__qualname__ != fn.__qualname__:
            raise ValueError(f"Module {name!r} is declared twice")
        target[name] = ModuleSpec(
            name=name,
            label=label,
            category=category,
            fn=fn,
            inputs=list(inputs),
            outputs=list(outputs),
            params=list(params),
            description=inspect.getdoc(fn) or "",
            version=version,
            deterministic=deterministic,
            takes_context=takes_context,
            fingerprint=fingerprint,
            columns=columns,
        )
        fn.module_spec = target[name]  # what a function learns of its own declaration
        return fn

    return decorate


def _check_signature(name, fn, inputs, params) -> None:
    sig = inspect.signature(fn).parameters.values()
    positional = [p.name for p in sig if p.kind is p.POSITIONAL_OR_KEYWORD]
    keyword = [p.name for p in sig if p.kind is p.KEYWORD_ONLY and p.name != "ctx"]
    want_pos = [p.name for p in inputs]
    want_kw = [p.name for p in params]
    if positional != want_pos:
        raise TypeError(f"Module {name!r}: positional arguments {positional} != ports {want_pos}")
    if sorted(keyword) != sorted(want_kw):
        raise TypeError(f"Module {name!r}: keyword arguments {keyword} != params {want_kw}")
    for port in inputs:
        default = inspect.signature(fn).parameters[port.name].default
        if port.optional and default is inspect.Parameter.empty:
            raise TypeError(f"Module {name!r}: optional port {port.name!r} needs a default")


def discover() -> dict[str, ModuleSpec]:
    """Import every submodule of app.modules so their declarations register."""
    package = importlib.import_module("app.modules")
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"app.modules.{info.name}")
    return REGISTRY

