"""Column rule sets: well-formedness and what they select among columns of each type."""

import pandas as pd
import pytest

from app.engine.column_rules import (
    column_types,
    label_columns,
    needs_types,
    rule_set_problem,
    select,
    select_in,
)
from app.engine.document import PipelineDocument
from app.engine.spec import Columns, ParamError

ALL = {"ruleType": "AllColumns", "exclude": False}


def rules(*items, start_all=True):
    return {"isFilter": True, "rules": [ALL, *items] if start_all else list(items)}


def by_type(types, exclude=False, kinds=("All",)):
    return {"ruleType": "ColumnTypes", "exclude": exclude, "columnTypes": list(types),
            "columnKinds": list(kinds)}


def by_name(names, exclude=False):
    return {"ruleType": "ColumnNames", "exclude": exclude, "columns": list(names)}


FRAME = pd.DataFrame({"age": [30, 40], "city": ["a", "b"], "flag": [True, False],
                      "grade": pd.Categorical(["x", "y"]), "score": [0.5, 0.7]})


def test_column_types_follow_the_data_types():
    assert {c: column_types(FRAME[c]) for c in FRAME} == {
        "age": {"Numeric"}, "city": {"String", "Categorical"}, "flag": set(),
        "grade": {"Categorical"}, "score": {"Numeric"}}


@pytest.mark.parametrize(("rule_set", "expected"), [
    (rules(), ["age", "city", "flag", "grade", "score"]),
    (rules(by_type(["Numeric"]), start_all=False), ["age", "score"]),
    (rules(by_type(["String"], exclude=True)), ["age", "flag", "grade", "score"]),
    (rules(by_type(["Categorical"]), by_name(["grade"], exclude=True), start_all=False), ["city"]),
    (rules(by_name(["score", "age", "gone"]), start_all=False), ["age", "score"]),
    (rules(by_type(["All"], exclude=True, kinds=["Label"])), ["age", "city", "flag", "grade"]),
])
def test_rules_apply_in_turn_keeping_the_data_order(rule_set, expected):
    labelled = rule_set | {"labelColumns": ["score"]}
    assert select_in(labelled, FRAME) == expected


def test_names_alone_resolve_rules_by_name_but_not_by_type():
    assert select(rules(by_name(["b"], exclude=True)), ["a", "b", "c"]) == ["a", "c"]
    assert not needs_types(rules(by_name(["b"])))
    assert needs_types(rules(by_type(["Numeric"])))
    assert not needs_types(rules(by_type(["All"], kinds=["Label"])))


@pytest.mark.parametrize(("value", "culprit"), [
    ({"rules": "all"}, "'rules', a list"),
    ({"rules": [{"ruleType": "Everything"}]}, "rule 1 has ruleType 'Everything'"),
    ({"rules": [ALL, {"ruleType": "ColumnNames"}]}, "rule 2 (ColumnNames) needs 'columns'"),
    ({"rules": [by_type(["Number"])]}, "rule 1's 'columnTypes' must list some of"),
    ({"rules": [ALL | {"exclude": "yes"}]}, "rule 1's 'exclude' must be true or false"),
])
def test_a_bad_rule_set_is_refused_naming_the_rule(value, culprit):
    assert culprit in rule_set_problem(value)
    with pytest.raises(ParamError, match="'columns' parameter of Select Columns"):
        Columns("columns").validate(value, "Select Columns")


def test_a_field_keeps_its_rules_with_the_defaults_written_out():
    value = {"rules": [{"ruleType": "AllColumns"}, {"ruleType": "ColumnTypes",
                                                     "columnTypes": ["Numeric"]}]}
    assert Columns("columns").validate(value) == {"isFilter": True, "rules": [
        ALL, {"ruleType": "ColumnTypes", "exclude": False, "columnTypes": ["Numeric"],
              "columnKinds": ["All"]}]}


def test_label_columns_are_the_literal_label_fields():
    doc = PipelineDocument.model_validate({"name": "x", "nodes": [
        {"id": "t", "module": "train_model", "params": {"label_column": "income"}},
        {"id": "s", "module": "smote", "params": {"label_column": {"$param": "p"}}}],
        "edges": [], "parameters": []})
    assert label_columns(doc.nodes) == ["income"]
