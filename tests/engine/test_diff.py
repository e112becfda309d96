"""Version diff of two pipeline documents."""

from app.engine.diff import diff_documents
from app.engine.document import PipelineDocument
from app.engine.registry import discover

REGISTRY = discover()


def doc(**learner):
    return PipelineDocument.model_validate({"name": "p", "nodes": [
        {"id": "learner", "module": "two_class_boosted_decision_tree", **learner}]})


def test_a_move_or_a_default_written_down_is_no_change():
    moved = doc(position={"x": 500, "y": 9}, params={"num_trees": 100})
    diff = diff_documents(doc(), moved, REGISTRY)
    assert diff["nodes"] == {"added": [], "removed": [], "changed": {}}


def test_a_module_swap_and_a_field_are_reported():
    swapped = PipelineDocument.model_validate({"name": "q", "nodes": [
        {"id": "learner", "module": "two_class_decision_forest", "params": {"num_trees": 8}}]})
    diff = diff_documents(doc(), swapped, REGISTRY)
    change = diff["nodes"]["changed"]["learner"]
    assert change["module"] == {"from": "two_class_boosted_decision_tree",
                                "to": "two_class_decision_forest"}
    assert change["fields"]["num_trees"] == {"from": 100, "to": 8}
    assert change["fields"]["max_depth"] == {"from": None, "to": 32}
    assert diff["pipeline"] == {"name": {"from": "p", "to": "q"}}
