"""The pipeline document models and parameter binding of app/engine/document.py."""

import pytest
from pydantic import ValidationError

from app.engine.document import (
    PipelineDocument,
    bindings,
    coerce_parameter,
    resolve_parameter_values,
    substitute,
)
from app.engine.spec import (
    PARAMETER_KINDS,
    VALUE_KINDS,
    Bool,
    Choice,
    DataPath,
    Float,
    Int,
    ParamError,
    Str,
)
from tests.engine.toy import doc

PARAMS = [
    {"name": "n", "type": "int", "default": 3, "min": 0, "max": 10},
    {"name": "f", "type": "float", "default": 0.5},
    {"name": "b", "type": "bool", "default": False},
    {"name": "s", "type": "string", "default": "x"},
    {"name": "c", "type": "choice", "options": ["a", "b"], "default": "a"},
    {"name": "d", "type": "data_path", "default": {"datastore": "samples", "path": "a.csv"}},
]


def test_round_trip_keeps_from_and_to():
    d = doc([("a", "source", {}), ("b", "double", {})], [("a.dataset", "b.dataset")])
    data = d.dump()
    assert data["edges"] == [{"from": {"node": "a", "port": "dataset"},
                              "to": {"node": "b", "port": "dataset"}}]
    assert PipelineDocument.model_validate(data) == d


@pytest.mark.parametrize("bad, where", [
    ({"name": ""}, "name"),
    ({"name": "x", "nodes": [{"id": "a b", "module": "m"}]}, "id"),
    ({"name": "x", "schema_version": 2}, "schema_version"),
    ({"name": "x", "extra": 1}, "extra"),
    ({"name": "x", "parameters": [{"name": "1abc", "type": "int"}]}, "name"),
    ({"name": "x", "parameters": [{"name": "p", "type": "date"}]}, "type"),
    ({"name": "x", "parameters": [{"name": "p", "type": "choice"}]}, "options"),
    ({"name": "x", "parameters": [{"name": "p", "type": "int", "default": "z"}]}, "'p'"),
])
def test_malformed_documents_name_the_field(bad, where):
    with pytest.raises(ValidationError, match=where):
        PipelineDocument.model_validate(bad)


def test_bindings_are_derived_by_scanning():
    d = doc([("a", "source", {"rows": {"$param": "n"}, "name": "k"}),
             ("b", "source", {"rows": {"$param": "n"}, "scale": {"$param": "f"}})],
            parameters=PARAMS[:2])
    assert bindings(d) == {"n": [("a", "rows"), ("b", "rows")], "f": [("b", "scale")]}
    assert substitute(d.nodes[1].params, {"n": 7, "f": 2.0}) == {"rows": 7, "scale": 2.0}


@pytest.mark.parametrize("name, given, expected", [
    ("n", "7", 7), ("n", 7.0, 7), ("f", "0.25", 0.25), ("f", 2, 2.0),
    ("b", "true", True), ("b", "0", False), ("s", 12, "12"), ("c", "b", "b"),
    # every spelling a REST client or the CLI may send for a bool
    ("b", " Yes ", True), ("b", "1", True), ("b", "ON", True), ("b", True, True),
    ("b", "no", False), ("b", "Off", False), ("b", "FALSE", False), ("b", False, False),
    ("d", "store:dir/x.csv", {"datastore": "store", "path": "dir/x.csv"}),
    ("d", {"DataStoreName": "s", "RelativePath": "y.csv"}, {"datastore": "s", "path": "y.csv"}),
])
def test_values_from_strings_are_coerced(name, given, expected):
    d = doc([], parameters=PARAMS)
    assert resolve_parameter_values(d, {name: given})[name] == expected


@pytest.mark.parametrize("name, given, match", [
    ("n", "seven", r"The pipeline parameter 'n' must be an int in the range \[0, 10\]. "
                  "Got 'seven' instead."),
    ("n", 11, r"'n' must be an int in the range \[0, 10\]. Got 11 instead."),
    ("n", True, "'n' must be an int"),
    ("f", "abc", "'f' must be a float"),
    ("f", True, "The pipeline parameter 'f' must be a float. Got True instead."),
    ("n", 2.5, r"'n' must be an int in the range \[0, 10\]. Got 2.5 instead."),
    ("n", None, r"'n' must be an int in the range \[0, 10\]. Got None instead."),
    ("b", "maybe", "'b' must be a bool"),
    ("c", "z", "'c' must be a str among {'a', 'b'}"),
    ("d", {"datastore": "s"}, "'d' must be a data path"),
    ("s", ["x"], "'s' must be a string"),
])
def test_bad_values_name_the_parameter(name, given, match):
    d = doc([], parameters=PARAMS)
    with pytest.raises(ParamError, match=match) as info:
        resolve_parameter_values(d, {name: given})
    assert info.value.param == name


def test_unknown_parameter_lists_known_ones():
    d = doc([], parameters=PARAMS[:1])
    with pytest.raises(ParamError, match=r"Unknown pipeline parameter 'x' \(parameters: n\)"):
        resolve_parameter_values(d, {"x": 1})


def test_parameter_without_value():
    d = doc([], parameters=[{"name": "p", "type": "int"}])
    with pytest.raises(ParamError, match="'p' has no value"):
        resolve_parameter_values(d, {})


def test_coerce_parameter_direct():
    d = doc([], parameters=PARAMS)
    assert coerce_parameter(d.parameter("f"), "1e-3") == 0.001


@pytest.mark.parametrize("name, kind, schema", [
    ("n", Int, {"type": "integer", "minimum": 0, "maximum": 10}),
    ("f", Float, {"type": "number"}),
    ("b", Bool, {"type": "boolean"}),
    ("s", Str, {"type": "string"}),
    ("c", Choice, {"type": "string", "enum": ["a", "b"]}),
    ("d", DataPath, {"type": "object", "properties": {"datastore": {"type": "string"},
                                                      "path": {"type": "string"}},
                     "required": ["datastore", "path"], "additionalProperties": False}),
])
def test_a_parameter_is_a_value_kind_of_module_fields(name, kind, schema):
    param = doc([], parameters=PARAMS).parameter(name).as_param()
    assert type(param) is kind and param.name == name
    assert param.json_schema() == schema


def test_every_parameter_type_is_a_value_kind():
    assert set(PARAMETER_KINDS) < set(VALUE_KINDS)
    assert set(PARAMETER_KINDS) == {p["type"] for p in PARAMS}
