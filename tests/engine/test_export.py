"""Export as Python: option names for any parameter name."""

from app.engine.document import PipelineDocument
from app.engine.executor import make_plan
from app.engine.export import export_script
from app.engine.registry import discover
from app.modules import standalone

REGISTRY = discover()


def script_of(document: dict) -> str:
    doc = PipelineDocument.model_validate(document)
    return export_script(doc, make_plan(doc, REGISTRY, None), REGISTRY,
                         overrides=standalone.OVERRIDES,
                         not_exportable=standalone.NOT_EXPORTABLE,
                         substitutes=standalone.SUBSTITUTES,
                         helpers={"data_file": standalone.data_file, "yes_no": standalone.yes_no})


def test_a_parameter_named_like_a_keyword_or_with_a_dash_is_a_usable_option():
    text = script_of({"name": "p", "parameters": [
        {"name": "class", "type": "int", "default": 3},
        {"name": "the-seed", "type": "int", "default": 1}], "nodes": [
        {"id": "learner", "module": "two_class_decision_forest",
         "params": {"num_trees": {"$param": "class"}, "seed": {"$param": "the-seed"}}}]})
    namespace = {"__name__": "exported"}
    exec(compile(text, "exported.py", "exec"), namespace)  # noqa: S102 - code we generated
    args = namespace["parse_args"](["--class", "5", "--the-seed", "7"])
    assert (args.class_, args.the_seed) == (5, 7)
    assert ("num_trees=args.class_, num_trees_range=[1, 8, 32], max_depth=32, max_depth_range="
            "[1, 16, 64], min_samples_per_leaf=1, min_samples_per_leaf_range=[1, 4, 16], "
            "seed=args.the_seed") in text
    assert namespace["run"](args) == {}
