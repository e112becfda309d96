"""Validation rules of app/engine/graph.py, one test each."""

import pytest

from app.engine.graph import execution_order, validate
from tests.engine.toy import TOY, doc


def messages(d, values=None, severity="error"):
    return {(e.node, e.message) for e in validate(d, TOY, values) if e.severity == severity}


def test_valid_pipeline_has_no_errors():
    d = doc([("a", "source", {}), ("b", "double", {})], [("a.dataset", "b.dataset")])
    assert validate(d, TOY) == []
    assert execution_order(d) == ["a", "b"]


def test_unknown_module():
    assert ("a", "Unknown module 'nope'.") in messages(doc([("a", "nope", {})]))


def test_missing_required_input():
    errors = messages(doc([("b", "double", {})]))
    assert ("b", "Required input 'dataset' of Double is not connected.") in errors


def test_optional_input_may_stay_open():
    d = doc([("a", "source", {}), ("c", "combine", {})], [("a.dataset", "c.left")])
    assert validate(d, TOY) == []


def test_port_type_mismatch_names_ports_and_types():
    d = doc([("m", "model", {}), ("b", "double", {})], [("m.model", "b.dataset")])
    (node, message), = messages(d)
    assert node == "b"
    assert "Model (m) output 'model' (trained_model) cannot feed input 'dataset'" in message


def test_two_wires_into_one_input():
    d = doc([("a", "source", {}), ("a2", "source", {}), ("b", "double", {})],
            [("a.dataset", "b.dataset"), ("a2.dataset", "b.dataset")])
    assert ("b", "Input 'dataset' of Double has more than one wire.") in messages(d)


@pytest.mark.parametrize("edge", [("a.nope", "b.dataset"), ("a.dataset", "b.nope")])
def test_unknown_ports(edge):
    d = doc([("a", "source", {}), ("b", "double", {})], [edge])
    assert any("has no" in m and "port 'nope'" in m for _, m in messages(d))


def test_wire_to_unknown_node():
    d = doc([("a", "source", {})], [("a.dataset", "ghost.dataset")])
    assert (None, "A wire refers to unknown node 'ghost'.") in messages(d)


def test_cycle_names_every_node_in_order():
    d = doc([("a", "source", {}), ("b", "combine", {}), ("c", "double", {})],
            [("a.dataset", "b.left"), ("b.dataset", "c.dataset"), ("c.dataset", "b.right")])
    cyc = [m for n, m in messages(d) if m.startswith("Circular")]
    assert cyc and cyc[0] in (
        "Circular dependency among: Combine (b) -> Double (c) -> Combine (b)",
        "Circular dependency among: Double (c) -> Combine (b) -> Double (c)",
    )
    assert {n for n, m in messages(d) if m.startswith("Circular")} == {"b", "c"}


def test_every_node_of_a_loop_is_flagged_even_off_the_named_cycle():
    d = doc([("b", "combine", {}), ("c", "combine", {}), ("d", "double", {})],
            [("b.dataset", "c.left"), ("c.dataset", "b.left"), ("c.dataset", "d.dataset"),
             ("d.dataset", "c.right")])
    flagged = {n for n, m in messages(d) if m.startswith("Circular")}
    assert flagged == {"b", "c", "d"}


def test_long_cycle_is_named_once_and_each_node_flagged():
    size = 5000
    ids = [f"n{i}" for i in range(size)]
    ring = zip(ids, ids[1:] + ids[:1], strict=True)
    d = doc([(i, "double", {}) for i in ids], [(f"{a}.dataset", f"{b}.dataset") for a, b in ring])
    errors = validate(d, TOY)
    named = [e.message for e in errors if e.node is None]
    assert len(named) == 1
    assert named[0].startswith("Circular dependency among 5,000 nodes: Double (n")
    assert "(4,994 more)" in named[0] and len(named[0]) < 300
    flags = {e.node: e.message for e in errors if e.node is not None}
    assert set(flags) == set(ids)
    assert set(flags.values()) == {"On a circular dependency among 5,000 nodes."}
    assert len(errors) == size + 1  # the answer grows with the cycle, not with its square


def test_self_loop_is_a_cycle():
    d = doc([("b", "combine", {})], [("b.dataset", "b.left")])
    assert ("b", "Circular dependency among: Combine (b) -> Combine (b)") in messages(d)


@pytest.mark.parametrize("params, expected", [
    ({"rows": 5000}, "The 'rows' parameter of Source must be an int in the range [0, 1000]. "
                     "Got 5000 instead."),
    ({"rows": "many"}, "The 'rows' parameter of Source must be an int in the range [0, 1000]. "
                       "Got 'many' instead."),
    ({"mode": "c"}, "The 'mode' parameter of Source must be a str among {'a', 'b'}. "
                    "Got 'c' instead."),
    ({"flag": "maybe"}, "The 'flag' parameter of Source must be a bool. Got 'maybe' instead."),
    ({"colour": 1}, "Source has no parameter 'colour'."),
])
def test_field_values(params, expected):
    assert ("a", expected) in messages(doc([("a", "source", params)]))


def test_unknown_parameter_binding():
    d = doc([("a", "source", {"rows": {"$param": "n"}})])
    assert ("a", "Field 'rows' is bound to unknown pipeline parameter 'n'.") in messages(d)


def test_unused_parameter_is_a_warning():
    d = doc([("a", "source", {})], parameters=[{"name": "n", "type": "int", "default": 1}])
    assert messages(d) == set()
    assert messages(d, severity="warning") == {
        (None, "Pipeline parameter 'n' is not used by any field.")}


@pytest.mark.parametrize("ptype, default, field, ok", [
    ("int", 3, "rows", True),
    ("int", 3, "scale", True),          # an int parameter may drive a float field
    ("float", 0.5, "rows", False),
    ("string", "x", "rows", False),     # a string may not drive an int field
    ("string", "x", "name", True),
    ("data_path", "s:a.csv", "path", True),
    ("data_path", "s:a.csv", "name", False),
    ("bool", True, "flag", True),
])
def test_parameter_type_must_fit_field(ptype, default, field, ok):
    d = doc([("a", "source", {field: {"$param": "p"}})],
            parameters=[{"name": "p", "type": ptype, "default": default}])
    incompatible = [m for _, m in messages(d) if "cannot drive" in m]
    assert (not incompatible) == ok


def test_bound_value_is_checked_against_field_range():
    d = doc([("a", "source", {"rows": {"$param": "n"}})],
            parameters=[{"name": "n", "type": "int", "default": 5000}])
    assert any("'rows' parameter of Source" in m for _, m in messages(d))
    assert not messages(d, values={"n": 10})


def test_duplicate_node_ids():
    d = doc([("a", "source", {}), ("a", "source", {})])
    assert ("a", "Duplicate node id 'a'.") in messages(d)


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "path"), ({"source": "url"}, "url"), ({"source": "url", "url": " "}, "url")],
)
def test_a_field_that_applies_and_is_empty_is_named(params, field):
    from app.engine.registry import REGISTRY, discover

    discover()
    d = doc([("read", "import_data", params)])
    (error,) = validate(d, REGISTRY)
    assert (error.node, error.field) == ("read", field)
    assert error.message.startswith(f"The '{field}' parameter of Import Data is required when ")


def test_a_field_that_does_not_apply_may_stay_empty():
    from app.engine.registry import REGISTRY, discover

    discover()
    d = doc([("read", "import_data", {"source": "url", "url": "https://x.test/a.csv"})])
    assert validate(d, REGISTRY) == []
