"""Azure's "Create trainer mode" of the learners: Single Parameter or Parameter Range.

In Parameter Range mode a learner's tunable fields each take several values, as Azure writes
them: a list ``0.1; 0.2; 0.5`` (``,`` also separates) or a range builder ``min:max:count``,
``min:max:count:log`` for a log scale (``1:100:3:log`` gives 1, 10, 100). The learner then
outputs a ParameterRange instead of an estimator; only Tune Model Hyperparameters takes it.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.engine.context import ModuleError
from app.engine.spec import Choice, Int, Param, Str

MODE = "create_trainer_mode"
SINGLE = "single_parameter"
RANGE = "parameter_range"
RANGE_SUFFIX = "_range"
# Values one range builder may produce; a sweep's combinations are capped by Tune's run limit.
MAX_RANGE_VALUES = 1000
SYNTAX = ("values separated by ';' (e.g. 0.1; 0.2; 0.5) or a range min:max:count "
          "(add :log for a log scale)")


def trainer_mode() -> Choice:
    """Azure's "Create trainer mode" field."""
    return Choice(MODE, default=SINGLE, options=[SINGLE, RANGE],
                  option_labels={SINGLE: "Single Parameter", RANGE: "Parameter Range"},
                  label="Create trainer mode",
                  description="Single Parameter trains with one value of each field. Parameter "
                              "Range takes several values of each field; connect the learner to "
                              "Tune Model Hyperparameters to try them.")


@dataclass
class RangeText(Str):
    """The values a Parameter Range field lists; resolves to the list of values, each checked
    against the single-value field ``of`` (its kind and bounds)."""

    of: Param | None = None

    def coerce(self, value, owner):
        if isinstance(value, list):  # already resolved (a re-validated document)
            values = value
        else:
            values = super().coerce(value, owner)
        try:
            return parse_range(values, self.of)
        except ValueError as exc:
            raise self.error(owner, value, f"must be {SYNTAX}; {exc}") from None


def parse_range(text: str | list, param: Param) -> list:
    """The distinct values ``text`` lists or builds, in order, each valid for ``param``."""
    parts = text if isinstance(text, list) else re.split(r"[;,]", text)
    values = []
    for part in parts:
        part = part.strip() if isinstance(part, str) else part
        if part == "":
            continue
        built = _build(part) if isinstance(part, str) and ":" in part else [part]
        values += [_checked(v, param) for v in built]
    if not values:
        raise ValueError("no value given")
    return list(dict.fromkeys(values))


def _build(part: str) -> list[float]:
    """The values of one range builder ``min:max:count[:log]``."""
    pieces = [p.strip() for p in part.split(":")]
    log = len(pieces) == 4 and pieces[3].lower() == "log"
    if len(pieces) not in (3, 4) or (len(pieces) == 4 and not log):
        raise ValueError(f"{part!r} is not min:max:count or min:max:count:log")
    try:
        low, high, count = float(pieces[0]), float(pieces[1]), int(pieces[2])
    except ValueError:
        raise ValueError(f"{part!r} has a bound or count that is no number") from None
    if not 1 <= count <= MAX_RANGE_VALUES:
        raise ValueError(f"the count of {part!r} must be in [1, {MAX_RANGE_VALUES}]")
    if log and (low <= 0 or high <= 0):
        raise ValueError(f"a log scale needs bounds above 0 ({part!r})")
    points = np.geomspace(low, high, count) if log else np.linspace(low, high, count)
    return [float(f"{p:.12g}") for p in points]


def _checked(value: Any, param: Param) -> Any:
    """``value`` as ``param``'s kind (an int field rounds built values), or ValueError."""
    if isinstance(param, Int) and isinstance(value, float) and math.isfinite(value):
        value = round(value)
    try:
        return param.coerce(value, None)
    except ValueError:
        raise ValueError(f"{value!r} is not {param.expected}") from None


def sweepable(params: list[Param], ranges: Mapping[str, str]) -> list[Param]:
    """A learner's fields with Create trainer mode first: each field named in ``ranges`` applies
    in Single Parameter mode and gets a ``<name>_range`` twin (default: Azure's values) for
    Parameter Range mode; the other fields apply in both."""
    fields: list[Param] = [trainer_mode()]
    for param in params:
        if param.name not in ranges:
            fields.append(param)
            continue
        label = param.label or param.name
        fields.append(dataclasses.replace(param, when={MODE: SINGLE}))
        fields.append(RangeText(
            param.name + RANGE_SUFFIX, default=ranges[param.name], label=f"{label} (range)",
            description=f"The values to try, separated by ';' (e.g. 0.1; 0.2; 0.5), or a range "
                        f"min:max:count (add :log for a log scale); each {param.expected}.",
            blank=False,
            when={MODE: RANGE}, of=param))
    return fields


class ParameterRange:
    """A learner in Parameter Range mode: the values of each swept field, and how to build the
    estimator of one combination (the learner itself, in Single Parameter mode).

    A plain class, not a dataclass: Export as Python copies it into a script.
    """

    def __init__(self, build: Callable, fixed: dict, ranges: dict, learner: str, labels: dict):
        self.build = build
        self.fixed = fixed
        self.ranges = ranges
        self.learner = learner
        self.labels = labels

    def estimator(self, values: Mapping[str, Any]):
        """The unfitted estimator of one combination."""
        off = {name + RANGE_SUFFIX: None for name in self.ranges}
        return self.build(**self.fixed, **values, **off, **{MODE: SINGLE})["untrained_model"]


def refuse_range(model: Any, module_label: str) -> None:
    """Raise a ModuleError naming ``module_label`` when ``model`` is in Parameter Range mode."""
    if isinstance(model, ParameterRange):
        raise ModuleError(
            f"{module_label}: the learner ({model.learner}) is in Parameter Range mode; connect "
            "it to Tune Model Hyperparameters to sweep its ranges, or set its Create trainer "
            "mode to Single Parameter.")


def sweeps(ranges: Mapping[str, str]) -> Callable:
    """Decorate a learner (under the module decorator) so it takes Create trainer mode and the
    ``_range`` fields of ``ranges``; in Parameter Range mode it outputs a ParameterRange."""
    ranged = list(ranges)

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def learner(**kwargs):
            mode = kwargs.pop(MODE)
            values = {name: kwargs.pop(name + RANGE_SUFFIX) for name in ranged}
            if mode != RANGE:
                return fn(**kwargs)
            # Set by the module decorator (absent in an exported script: names stand for labels).
            spec = getattr(learner, "module_spec", None)
            fixed = {k: v for k, v in kwargs.items() if k not in ranged}
            labels = {n: (spec.param(n).label if spec else n) for n in ranged}
            return {"untrained_model": ParameterRange(
                build=learner, fixed=fixed, ranges=values,
                learner=spec.label if spec else fn.__name__, labels=labels)}

        keyword = inspect.Parameter.KEYWORD_ONLY
        extra = [inspect.Parameter(n, keyword) for n in (MODE, *(r + RANGE_SUFFIX for r in ranged))]
        learner.__signature__ = inspect.signature(fn).replace(
            parameters=[*inspect.signature(fn).parameters.values(), *extra])
        return learner

    return decorate
