"""Column rule sets: a column list field chosen by rules, resolved against the actual columns.

A columns field holds either a list of names or a rule set in the Azure ML designer's form,
kept as the user wrote it and resolved each time against the columns that arrive (at run time
against the data, at design time against the inferred schema)::

    {"isFilter": true, "rules": [
        {"ruleType": "AllColumns", "exclude": false},
        {"ruleType": "ColumnTypes", "exclude": true, "columnTypes": ["String"],
         "columnKinds": ["All"]},
        {"ruleType": "ColumnNames", "exclude": false, "columns": ["education"]}]}

The selection begins with every column when the first rule is an including ``AllColumns``,
else with none; each rule in turn then adds (``exclude`` false) or removes the columns it
matches: ``AllColumns`` every column, ``ColumnNames`` those named (present ones only),
``ColumnTypes`` those of one of ``columnTypes`` (Numeric, String, Categorical or All) and of
one of ``columnKinds`` (Label: named by a label column field of the pipeline, Feature: any
other, or All). The result keeps the data set's column order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from pandas.api import types as ptypes

RULE_TYPES = ("AllColumns", "ColumnNames", "ColumnTypes")
COLUMN_TYPES = ("Numeric", "String", "Categorical", "All")
COLUMN_KINDS = ("Feature", "Label", "All")
LABEL_FIELDS = ("label_column",)  # fields whose column is a label (Train Model, SMOTE)
LABELS_KEY = "labelColumns"  # the pipeline's label columns, added to a rule set by the plan


def is_numeric(series: pd.Series) -> bool:
    """True for int/float columns; booleans and categoricals are not numeric."""
    dtype = series.dtype
    return (
        ptypes.is_numeric_dtype(dtype)
        and not ptypes.is_bool_dtype(dtype)
        and not isinstance(dtype, pd.CategoricalDtype)
    )


def is_text(series: pd.Series) -> bool:
    """True for text columns: pandas 3's ``str`` dtype, other string dtypes, plain objects."""
    dtype = series.dtype
    return isinstance(dtype, pd.StringDtype) or ptypes.is_object_dtype(dtype)


def column_types(series: pd.Series) -> set[str]:
    """The rule types of a column: Numeric, String, Categorical (category or text columns,
    which Train Model encodes as categories)."""
    types = set()
    if is_numeric(series):
        types.add("Numeric")
    if is_text(series):
        types |= {"String", "Categorical"}
    if isinstance(series.dtype, pd.CategoricalDtype):
        types.add("Categorical")
    return types


def is_rule_set(value: Any) -> bool:
    """Whether a columns field's value is a rule set (not a list of names)."""
    return isinstance(value, dict) and "rules" in value


def rule_set_problem(value: Any) -> str | None:
    """What is wrong with a rule set, naming the rule, or None when it is well formed."""
    rules = value.get("rules") if isinstance(value, dict) else None
    if not isinstance(rules, list):
        return "a rule set needs 'rules', a list"
    if not _strings(value.get(LABELS_KEY, [])):
        return f"'{LABELS_KEY}' must be a list of column names"
    for i, rule in enumerate(rules, 1):
        kind = rule.get("ruleType") if isinstance(rule, dict) else None
        if kind not in RULE_TYPES:
            return f"rule {i} has ruleType {kind!r}, not one of {', '.join(RULE_TYPES)}"
        if not isinstance(rule.get("exclude", False), bool):
            return f"rule {i}'s 'exclude' must be true or false"
        if kind == "ColumnNames" and not _strings(rule.get("columns")):
            return f"rule {i} (ColumnNames) needs 'columns', a list of names"
        if kind == "ColumnTypes":
            for key, allowed in (("columnTypes", COLUMN_TYPES), ("columnKinds", COLUMN_KINDS)):
                given = rule.get(key, ["All"])
                if not _strings(given) or not given or set(given) - set(allowed):
                    return (f"rule {i}'s {key!r} must list some of {', '.join(allowed)}; "
                            f"got {given!r}")
    return None


def normalized(value: dict) -> dict:
    """A well-formed rule set with every default written out (what runs and is cached)."""
    rules = []
    for rule in value["rules"]:
        out = {"ruleType": rule["ruleType"], "exclude": bool(rule.get("exclude", False))}
        if rule["ruleType"] == "ColumnNames":
            out["columns"] = list(rule["columns"])
        elif rule["ruleType"] == "ColumnTypes":
            out["columnTypes"] = list(rule.get("columnTypes", ["All"]))
            out["columnKinds"] = list(rule.get("columnKinds", ["All"]))
        rules.append(out)
    return {"isFilter": True, "rules": rules} | (
        {LABELS_KEY: list(value[LABELS_KEY])} if LABELS_KEY in value else {})


def needs_types(rule_set: Mapping) -> bool:
    """Whether resolving the rule set needs the columns' types (not only their names)."""
    return any(r["ruleType"] == "ColumnTypes" and r.get("columnTypes", ["All"]) != ["All"]
               for r in rule_set["rules"])


def select(rule_set: Mapping, names: Iterable[str],
           types: Mapping[str, set[str]] | None = None) -> list[str]:
    """The columns among ``names`` the rule set selects, in their order; ``types`` gives each
    column's rule types (see column_types; a column missing from it has none)."""
    names = [str(n) for n in names]
    types = types or {}
    labels = set(rule_set.get(LABELS_KEY, ()))
    rules = list(rule_set["rules"])
    starts_with_all = bool(rules) and rules[0]["ruleType"] == "AllColumns" and not rules[0].get(
        "exclude", False)
    chosen = set(names) if starts_with_all else set()
    for rule in rules[1:] if starts_with_all else rules:
        hits = _matches(rule, names, types, labels)
        if rule.get("exclude", False):
            chosen -= hits
        else:
            chosen |= hits
    return [n for n in names if n in chosen]


def select_in(rule_set: Mapping, frame: pd.DataFrame) -> list[str]:
    """The columns of ``frame`` the rule set selects (run time: the data's own types)."""
    return select(rule_set, frame.columns, {str(c): column_types(frame[c]) for c in frame.columns})


def label_columns(nodes: Iterable[Any]) -> list[str]:
    """The columns the pipeline's label column fields name (their literal values)."""
    found = {value for node in nodes for field in LABEL_FIELDS
             if isinstance(value := node.params.get(field), str) and value}
    return sorted(found)


def with_labels(params: Mapping[str, Any], labels: list[str]) -> dict[str, Any]:
    """``params`` with the pipeline's label columns added to every rule set's."""
    return {name: value | {LABELS_KEY: sorted({*value.get(LABELS_KEY, ()), *labels})}
            if is_rule_set(value) else value for name, value in params.items()}


def _matches(rule: Mapping, names: list[str], types: Mapping[str, set[str]],
             labels: set[str]) -> set[str]:
    kind = rule["ruleType"]
    if kind == "AllColumns":
        return set(names)
    if kind == "ColumnNames":
        return set(rule["columns"]) & set(names)
    wanted_types = set(rule.get("columnTypes", ["All"]))
    wanted_kinds = set(rule.get("columnKinds", ["All"]))
    return {n for n in names
            if ("All" in wanted_types or wanted_types & types.get(n, set()))
            and ("All" in wanted_kinds or ("Label" if n in labels else "Feature") in wanted_kinds)}


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
