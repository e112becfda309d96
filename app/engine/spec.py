"""Module specifications: typed ports and declared, validating parameters."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, ClassVar

DATAFRAME = "dataframe"
UNTRAINED_MODEL = "untrained_model"
TRAINED_MODEL = "trained_model"
METRICS = "metrics"
PORT_TYPES = (DATAFRAME, UNTRAINED_MODEL, TRAINED_MODEL, METRICS)
# The largest random seed: numpy's, hence scikit-learn's, random_state must fit in 32 bits.
MAX_SEED = 2**32 - 1

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class ParamError(ValueError):
    """A parameter value that does not fit its declaration."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Port:
    """A typed input or output of a module."""

    name: str
    type: str
    optional: bool = False
    label: str = ""

    def __post_init__(self):
        if self.type not in PORT_TYPES:
            raise ValueError(f"Port {self.name!r} has unknown type {self.type!r}")

    def describe(self) -> dict:
        """JSON description for the module catalogue."""
        return {
            "name": self.name,
            "type": self.type,
            "optional": self.optional,
            "label": self.label or self.name.replace("_", " ").capitalize(),
        }


@dataclass
class Param:
    """Base of every declared module parameter."""

    name: str
    _: KW_ONLY
    default: Any = None
    label: str = ""
    description: str = ""
    optional: bool = False

    kind: ClassVar[str] = "any"
    expected: ClassVar[str] = "a value"
    # Pipeline parameter types that may drive a field of this kind.
    accepts: ClassVar[tuple[str, ...]] = ()

    def validate(self, value: Any, owner: str = "the module") -> Any:
        """Return ``value`` coerced to this parameter's type, or raise ParamError."""
        if value is None or (isinstance(value, str) and value == "" and self.kind != "string"):
            if self.optional:
                return None
            raise self.error(owner, value, "is required")
        return self._coerce(value, owner)

    def _coerce(self, value: Any, owner: str) -> Any:
        return value

    def error(self, owner: str, value: Any, what: str | None = None) -> ParamError:
        """Build a message in the form 'The 'x' parameter of M must be ... Got v instead.'"""
        what = what or f"must be {self.expected}"
        return ParamError(
            self.name, f"The '{self.name}' parameter of {owner} {what}. Got {value!r} instead."
        )

    def describe(self) -> dict:
        """JSON description for the module catalogue and the editor's forms."""
        return {
            "name": self.name,
            "kind": self.kind,
            "label": self.label or self.name.replace("_", " ").capitalize(),
            "description": self.description,
            "default": self.default,
            "optional": self.optional,
            "accepts": list(self.accepts),
        }


@dataclass
class Int(Param):
    """An integer, optionally bounded."""

    min: int | None = None
    max: int | None = None
    kind: ClassVar[str] = "int"
    accepts: ClassVar[tuple[str, ...]] = ("int",)

    @property
    def expected(self) -> str:  # type: ignore[override]
        return "an int" + _range_text(self.min, self.max)

    def _coerce(self, value, owner):
        if isinstance(value, bool):
            raise self.error(owner, value)
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise self.error(owner, value) from None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int):
            raise self.error(owner, value)
        if not _in_range(value, self.min, self.max):
            raise self.error(owner, value)
        return value

    def describe(self):
        return super().describe() | {"min": self.min, "max": self.max}


@dataclass
class Float(Param):
    """A finite float, optionally bounded."""

    min: float | None = None
    max: float | None = None
    kind: ClassVar[str] = "float"
    accepts: ClassVar[tuple[str, ...]] = ("float", "int")

    @property
    def expected(self) -> str:  # type: ignore[override]
        return "a float" + _range_text(self.min, self.max)

    def _coerce(self, value, owner):
        if isinstance(value, bool):
            raise self.error(owner, value)
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise self.error(owner, value) from None
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise self.error(owner, value)
        value = float(value)
        if not _in_range(value, self.min, self.max):
            raise self.error(owner, value)
        return value

    def describe(self):
        return super().describe() | {"min": self.min, "max": self.max}


@dataclass
class Bool(Param):
    """A boolean; accepts true/false, 1/0, yes/no as strings."""

    kind: ClassVar[str] = "bool"
    expected: ClassVar[str] = "a bool"
    accepts: ClassVar[tuple[str, ...]] = ("bool",)

    def _coerce(self, value, owner):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise self.error(owner, value)


@dataclass
class Str(Param):
    """Free text; ``multiline`` asks the editor for a text area (CSV, SQL)."""

    multiline: bool = False
    max_length: int = 1_000_000
    kind: ClassVar[str] = "string"
    expected: ClassVar[str] = "a str"
    accepts: ClassVar[tuple[str, ...]] = ("string", "choice", "int", "float")

    def _coerce(self, value, owner):
        if isinstance(value, bool):
            raise self.error(owner, value)
        if isinstance(value, int | float):
            value = str(value)
        if not isinstance(value, str):
            raise self.error(owner, value)
        if len(value) > self.max_length:
            raise self.error(owner, value[:40] + "...", f"must be at most {self.max_length} chars")
        return value

    def describe(self):
        return super().describe() | {"multiline": self.multiline}


@dataclass
class Choice(Param):
    """One of a fixed list of options."""

    options: Sequence[str] = ()
    kind: ClassVar[str] = "choice"
    accepts: ClassVar[tuple[str, ...]] = ("choice", "string")

    @property
    def expected(self) -> str:  # type: ignore[override]
        return "a str among {" + ", ".join(repr(o) for o in self.options) + "}"

    def _coerce(self, value, owner):
        if value not in self.options:
            raise self.error(owner, value)
        return value

    def describe(self):
        return super().describe() | {"options": list(self.options)}


@dataclass
class Columns(Param):
    """Column names of an input data set: a list, or one name when ``single``."""

    single: bool = False
    input: str = "dataset"
    kind: ClassVar[str] = "columns"
    accepts: ClassVar[tuple[str, ...]] = ("string",)

    @property
    def expected(self) -> str:  # type: ignore[override]
        return "a column name" if self.single else "a list of column names"

    def validate(self, value, owner="the module"):
        if not self.single and value in (None, "", []):
            if self.optional:
                return []
            raise self.error(owner, value, "is required")
        return super().validate(value, owner)

    def _coerce(self, value, owner):
        if self.single:
            if not isinstance(value, str):
                raise self.error(owner, value)
            return value
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    value = json.loads(text)
                except ValueError:
                    raise self.error(owner, value) from None
            else:
                value = [part.strip() for part in text.split(",") if part.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(owner, value)
        return value

    def describe(self):
        return super().describe() | {"single": self.single, "input": self.input}


@dataclass
class DataPath(Param):
    """A file inside a named datastore: ``{"datastore": NAME, "path": RELATIVE}``."""

    must_exist: bool = False  # checked before a run is created (sources, not sinks)
    kind: ClassVar[str] = "data_path"
    expected: ClassVar[str] = 'a data path {"datastore": NAME, "path": RELATIVE_PATH}'
    accepts: ClassVar[tuple[str, ...]] = ("data_path",)

    def _coerce(self, value, owner):
        return coerce_data_path(value, lambda: self.error(owner, value))


def coerce_data_path(value: Any, fail: Callable[[], Exception]) -> dict:
    """Accept {"datastore","path"}, Azure's {"DataStoreName","RelativePath"} or "store:path"."""
    if isinstance(value, str) and ":" in value:
        store, _, path = value.partition(":")
        value = {"datastore": store, "path": path}
    if isinstance(value, dict):
        store = value.get("datastore", value.get("DataStoreName"))
        path = value.get("path", value.get("RelativePath"))
        extra = set(value) - {"datastore", "path", "DataStoreName", "RelativePath"}
        if isinstance(store, str) and store and isinstance(path, str) and path and not extra:
            return {"datastore": store, "path": path}
    raise fail()


def _range_text(lo, hi) -> str:
    if lo is not None and hi is not None:
        return f" in the range [{lo}, {hi}]"
    if lo is not None:
        return f" >= {lo}"
    if hi is not None:
        return f" <= {hi}"
    return ""


def _in_range(value, lo, hi) -> bool:
    return (lo is None or value >= lo) and (hi is None or value <= hi)


@dataclass
class ModuleSpec:
    """A module: its function, typed ports and declared parameters."""

    name: str
    label: str
    category: str
    fn: Callable[..., dict]
    inputs: list[Port] = field(default_factory=list)
    outputs: list[Port] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    description: str = ""
    version: str = "1"
    deterministic: bool = True
    takes_context: bool = False
    # fingerprint(params, datastores) -> str | None: what a cache key cannot see (a source
    # file's size and mtime); None marks this computation as not reusable.
    fingerprint: Callable[..., str | None] | None = None
    # columns(input_columns, params, datastores) -> {output port: [names] | None}: the data set
    # columns a module produces, known at design time without running it (None: unknown).
    columns: Callable[..., dict] | None = None

    def input(self, name: str) -> Port | None:
        """The input port called ``name``, if any."""
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> Port | None:
        """The output port called ``name``, if any."""
        return next((p for p in self.outputs if p.name == name), None)

    def param(self, name: str) -> Param | None:
        """The declared parameter called ``name``, if any."""
        return next((p for p in self.params if p.name == name), None)

    def resolve_params(self, values: dict[str, Any]) -> dict[str, Any]:
        """Validate literal values, fill defaults; raise ParamError on the first bad one."""
        unknown = sorted(set(values) - {p.name for p in self.params})
        if unknown:
            raise ParamError(unknown[0], f"{self.label} has no parameter '{unknown[0]}'.")
        resolved = {}
        for p in self.params:
            value = values.get(p.name, p.default)
            resolved[p.name] = p.validate(value, self.label)
        return resolved

    def call(self, inputs: dict[str, Any], params: dict[str, Any], ctx=None) -> dict[str, Any]:
        """Run the function on ``inputs`` (by port) with resolved ``params``; check outputs."""
        args = [inputs.get(p.name) for p in self.inputs]
        kwargs = dict(params)
        if self.takes_context:
            kwargs["ctx"] = ctx
        result = self.fn(*args, **kwargs) or {}
        missing = [p.name for p in self.outputs if p.name not in result]
        if missing:
            raise TypeError(f"{self.label} returned no value for output(s) {missing}")
        return result

    def describe(self) -> dict:
        """JSON description served by the module catalogue."""
        return {
            "name": self.name,
            "label": self.label,
            "category": self.category,
            "description": self.description,
            "version": self.version,
            "deterministic": self.deterministic,
            "inputs": [p.describe() for p in self.inputs],
            "outputs": [p.describe() for p in self.outputs],
            "params": [p.describe() for p in self.params],
        }
