"""Module specifications: typed ports and declared, validating parameters."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, ClassVar

from .column_rules import is_rule_set, normalized, rule_set_problem, select_in

DATAFRAME = "dataframe"
UNTRAINED_MODEL = "untrained_model"
TRAINED_MODEL = "trained_model"
METRICS = "metrics"
TRANSFORMATION = "transformation"  # what a data transformation learned (Apply Transformation)
PORT_TYPES = (DATAFRAME, UNTRAINED_MODEL, TRAINED_MODEL, METRICS, TRANSFORMATION)
# The largest random seed: numpy's, hence scikit-learn's, random_state must fit in 32 bits.
MAX_SEED = 2**32 - 1

# The words read as a bool, in a field, a parameter value or a data set's text column.
BOOL_WORDS = {"true": True, "1": True, "yes": True, "on": True,
              "false": False, "0": False, "no": False, "off": False}


def bool_word(text: str) -> bool | None:
    """The bool ``text`` spells (any case, spaces around), or None."""
    return BOOL_WORDS.get(text.strip().lower())


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
            "label": self.label or _readable(self.name),
        }


@dataclass
class Param:
    """Base of every value kind: a module field, or a pipeline parameter (``as_param()``)."""

    name: str
    _: KW_ONLY
    default: Any = None
    label: str = ""
    description: str = ""
    optional: bool = False
    # {field: value or [values]}: the field applies only while those sibling fields hold one
    # of those values (Import Data's path while source is "datastore"). A field that does not
    # apply is neither required nor shown; one that applies and is not optional is required.
    when: Mapping[str, str | Sequence[str]] | None = None

    kind: ClassVar[str] = "any"
    expected: ClassVar[str] = "a value"
    # Pipeline parameter types that may drive a field of this kind.
    accepts: ClassVar[tuple[str, ...]] = ()

    def validate(self, value: Any, owner: str = "the module",
                 siblings: Mapping[str, Any] | None = None) -> Any:
        """Return ``value`` coerced to this parameter's type, or raise ParamError.

        ``siblings`` (the module's other field values) decide whether a ``when`` field applies:
        an empty field that does not apply is no error.
        """
        if self.is_empty(value):
            if self.optional or not self.applies(siblings):
                return self.empty_value()
            raise self.error(owner, value, "is required" + self.when_text())
        return self.coerce(value, owner)

    def is_empty(self, value: Any) -> bool:
        """True when ``value`` leaves the field unset."""
        return value is None or (isinstance(value, str) and value == "" and self.kind != "string")

    def empty_value(self) -> Any:
        """What an unset, optional (or not applying) field resolves to."""
        return None

    def conditions(self) -> dict[str, list[str]]:
        """``when`` with every condition as a list of options."""
        return {name: list(wanted) if isinstance(wanted, list | tuple) else [wanted]
                for name, wanted in (self.when or {}).items()}

    def applies(self, siblings: Mapping[str, Any] | None) -> bool:
        """Whether the field applies given its siblings' values (unknown siblings: it does)."""
        if siblings is None:
            return True
        return all(siblings.get(name) in wanted for name, wanted in self.conditions().items())

    def when_text(self) -> str:
        """' when source is 'datastore'', or '' for a field that always applies."""
        parts = [f"{name} is " + " or ".join(repr(w) for w in wanted)
                 for name, wanted in self.conditions().items()]
        return " when " + " and ".join(parts) if parts else ""

    def coerce(self, value: Any, owner: str | None) -> Any:
        """``value`` (possibly text from a form or a REST client) as this kind, or ParamError."""
        return value

    def error(self, owner: str | None, value: Any, what: str | None = None) -> ParamError:
        """'The 'x' parameter of M must be ... Got v instead.' (``owner`` None: a pipeline one)."""
        what = what or f"must be {self.expected}"
        subject = (f"The pipeline parameter '{self.name}'" if owner is None
                   else f"The '{self.name}' parameter of {owner}")
        return ParamError(self.name, f"{subject} {what}. Got {value!r} instead.")

    def json_schema(self) -> dict:
        """The JSON Schema of a value of this kind."""
        return {}

    def describe(self) -> dict:
        """JSON description for the module catalogue and the editor's forms."""
        return {
            "name": self.name,
            "kind": self.kind,
            "label": self.label or _readable(self.name),
            "description": self.description,
            "default": self.default,
            "optional": self.optional,
            "accepts": list(self.accepts),
            "when": self.conditions() or None,
        }


@dataclass
class _Number(Param):
    """A number, optionally bounded: the common part of Int and Float."""

    min: float | None = None
    max: float | None = None
    noun: ClassVar[str] = "a number"
    json_type: ClassVar[str] = "number"

    @property
    def expected(self) -> str:  # type: ignore[override]
        return self.noun + _range_text(self.min, self.max)

    def coerce(self, value, owner):
        if isinstance(value, bool):
            raise self.error(owner, value)
        if isinstance(value, str):
            try:
                value = self._parse(value.strip())
            except ValueError:
                raise self.error(owner, value) from None
        number = self._exact(value)
        if number is None or not _in_range(number, self.min, self.max):
            raise self.error(owner, value if number is None else number)
        return number

    def _parse(self, text: str):
        raise NotImplementedError

    def _exact(self, value):
        """``value`` as this kind of number, or None if it is not one."""
        raise NotImplementedError

    def json_schema(self):
        bounds = {"minimum": self.min, "maximum": self.max}
        return {"type": self.json_type} | {k: v for k, v in bounds.items() if v is not None}

    def describe(self):
        return super().describe() | {"min": self.min, "max": self.max}


@dataclass
class Int(_Number):
    """An integer, optionally bounded."""

    kind: ClassVar[str] = "int"
    noun: ClassVar[str] = "an int"
    json_type: ClassVar[str] = "integer"
    accepts: ClassVar[tuple[str, ...]] = ("int",)

    def __post_init__(self):
        # Bounds given as whole floats (a pipeline parameter's) read as ints in messages.
        self.min, self.max = (int(b) if isinstance(b, float) and b.is_integer() else b
                              for b in (self.min, self.max))

    _parse = staticmethod(int)

    def _exact(self, value):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value if isinstance(value, int) else None


@dataclass
class Float(_Number):
    """A finite float, optionally bounded."""

    kind: ClassVar[str] = "float"
    noun: ClassVar[str] = "a float"
    accepts: ClassVar[tuple[str, ...]] = ("float", "int")

    _parse = staticmethod(float)

    def _exact(self, value):
        if isinstance(value, int | float) and math.isfinite(value):
            return float(value)
        return None


@dataclass
class Bool(Param):
    """A boolean; accepts true/false, 1/0, yes/no, on/off as strings."""

    kind: ClassVar[str] = "bool"
    expected: ClassVar[str] = "a bool"
    accepts: ClassVar[tuple[str, ...]] = ("bool",)

    def coerce(self, value, owner):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and bool_word(value) is not None:
            return bool_word(value)
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise self.error(owner, value)

    def json_schema(self):
        return {"type": "boolean"}


@dataclass
class Str(Param):
    """Free text; ``multiline`` asks the editor for a text area (CSV, SQL), ``language`` for a
    code editor highlighting that language ("python")."""

    multiline: bool = False
    language: str = ""
    max_length: int = 1_000_000
    blank: bool = True  # False: empty (or only spaces) text leaves the field unset
    kind: ClassVar[str] = "string"
    expected: ClassVar[str] = "a string"
    accepts: ClassVar[tuple[str, ...]] = ("string", "choice", "int", "float")

    def is_empty(self, value):
        return value is None or (not self.blank and isinstance(value, str) and not value.strip())

    def empty_value(self):
        return ""

    def coerce(self, value, owner):
        if isinstance(value, bool):
            raise self.error(owner, value)
        if isinstance(value, int | float):
            value = str(value)
        if not isinstance(value, str):
            raise self.error(owner, value)
        if len(value) > self.max_length:
            raise self.error(owner, value[:40] + "...", f"must be at most {self.max_length} chars")
        return value

    def json_schema(self):
        return {"type": "string"}

    def describe(self):
        return super().describe() | {"multiline": self.multiline, "blank": self.blank,
                                     "language": self.language}


@dataclass
class Choice(Param):
    """One of a fixed list of options."""

    options: Sequence[str] = ()
    # What the editor shows for an option ({"split_rows": "Split rows"}); unnamed: the option.
    option_labels: Mapping[str, str] | None = None
    kind: ClassVar[str] = "choice"
    accepts: ClassVar[tuple[str, ...]] = ("choice", "string")

    @property
    def expected(self) -> str:  # type: ignore[override]
        return "a str among {" + ", ".join(repr(o) for o in self.options) + "}"

    def coerce(self, value, owner):
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # a REST client's 3 for the option "3"
        if value not in self.options:
            raise self.error(owner, value)
        return value

    def json_schema(self):
        return {"type": "string", "enum": list(self.options)}

    def describe(self):
        labels = dict(self.option_labels or {})
        return super().describe() | {
            "options": list(self.options),
            "option_labels": {o: labels.get(o) or _readable(o) for o in self.options}}


@dataclass
class Columns(Param):
    """Column names of an input data set: a list, or one name when ``single``; or a column rule
    set (app/engine/column_rules.py), also as its JSON text, the form a string pipeline
    parameter gives it (as in the Azure ML designer)."""

    single: bool = False
    input: str = "dataset"
    kind: ClassVar[str] = "columns"
    accepts: ClassVar[tuple[str, ...]] = ("string",)

    @property
    def expected(self) -> str:  # type: ignore[override]
        return "a column name" if self.single else "a list of column names"

    def is_empty(self, value):
        return super().is_empty(value) or (not self.single and value == [])

    def empty_value(self):
        return None if self.single else []

    def coerce(self, value, owner):
        if self.single:
            if not isinstance(value, str):
                raise self.error(owner, value)
            return value
        if isinstance(value, str) and value.strip().startswith("{"):
            value = self._rule_set_text(value, owner)  # a rule set given as text (a parameter)
        if is_rule_set(value):
            problem = rule_set_problem(value)
            if problem:
                owner = owner or "the pipeline"
                raise ParamError(self.name, f"The '{self.name}' parameter of {owner} has a "
                                 f"column rule set that is not valid: {problem}.")
            return normalized(value)
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

    def _rule_set_text(self, text: str, owner) -> dict:
        """The rule set a string holds as JSON (Azure's pipeline parameter form)."""
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise self.error(owner, text, f"must be a column rule set in JSON ({exc})") from None
        if not is_rule_set(value):
            raise self.error(owner, text, "must be a column rule set: an object with 'rules'")
        return value

    def json_schema(self):
        if self.single:
            return {"type": "string"}
        return {"anyOf": [{"type": "array", "items": {"type": "string"}},
                          {"type": "object", "required": ["rules"],
                           "description": "A column rule set (see app/engine/column_rules.py)",
                           "properties": {
                               "isFilter": {"type": "boolean"},
                               "rules": {"type": "array", "items": {"type": "object"}}}}]}

    def describe(self):
        return super().describe() | {"single": self.single, "input": self.input}


@dataclass
class DataPath(Param):
    """A file inside a named datastore: ``{"datastore": NAME, "path": RELATIVE}``."""

    must_exist: bool = False  # checked before a run is created (sources, not sinks)
    kind: ClassVar[str] = "data_path"
    expected: ClassVar[str] = 'a data path {"datastore": NAME, "path": RELATIVE_PATH}'
    accepts: ClassVar[tuple[str, ...]] = ("data_path",)

    def coerce(self, value, owner):
        return coerce_data_path(value, lambda: self.error(owner, value))

    def json_schema(self):
        return {
            "type": "object",
            "properties": {"datastore": {"type": "string"}, "path": {"type": "string"}},
            "required": ["datastore", "path"],
            "additionalProperties": False,
        }


# The value kinds by name: adding one here (and in the editor's value-kind module) is all
# a new kind needs. A pipeline parameter may be of every kind but columns.
VALUE_KINDS: dict[str, type[Param]] = {
    cls.kind: cls for cls in (Str, Int, Float, Bool, Choice, DataPath, Columns)}
PARAMETER_KINDS = tuple(kind for kind in VALUE_KINDS if kind != Columns.kind)


def make_param(kind: str, name: str, **fields: Any) -> Param:
    """A Param of ``kind`` from the catalogue's shape (min, max, options ...; None: unset)."""
    cls = VALUE_KINDS[kind]
    known = {f.name for f in dataclasses.fields(cls)}
    return cls(name, **{k: v for k, v in fields.items() if k in known and v is not None})


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


def _readable(name: str) -> str:
    """'split_rows' -> 'Split rows': what a person reads when no label is declared."""
    return str(name).replace("_", " ").capitalize()


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
        given = self.field_values(values)
        return {p.name: p.validate(given[p.name], self.label, given) for p in self.params}

    def field_values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Every declared field's value: the one given, else its default."""
        return {p.name: values.get(p.name, p.default) for p in self.params}

    def call(self, inputs: dict[str, Any], params: dict[str, Any], ctx=None) -> dict[str, Any]:
        """Run the function on ``inputs`` (by port) with resolved ``params``; check outputs.

        A column rule set becomes the names it selects among its input's actual columns."""
        args = [inputs.get(p.name) for p in self.inputs]
        kwargs = dict(params)
        for p in self.params:
            if p.kind == "columns" and is_rule_set(kwargs.get(p.name)):
                frame = inputs.get(getattr(p, "input", None))
                kwargs[p.name] = select_in(kwargs[p.name], frame) if frame is not None else []
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
