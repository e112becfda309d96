"""Gathering module code for Export as Python: copies, imports, names, refusals."""

import sys
import types

import pandas as pd
import pytest

from app.engine.registry import discover
from app.engine.sources import SourceError, Sources
from app.modules import standalone

REGISTRY = discover()
EXPORTABLE = sorted(set(REGISTRY) - set(standalone.NOT_EXPORTABLE))


def gathered(*names) -> tuple[Sources, str]:
    sources = Sources(standalone.SUBSTITUTES)
    for name in names:
        sources.add(standalone.OVERRIDES.get(name, REGISTRY[name].fn), name)
    return sources, "\n".join(sorted(sources.imports)) + "\n\n" + "\n\n".join(sources.blocks)


@pytest.mark.parametrize("name", EXPORTABLE)
def test_every_exportable_module_gathers_into_code_that_runs(name, monkeypatch):
    _, text = gathered(name)
    assert "import app" not in text and "from app" not in text
    script = types.ModuleType("exported")
    monkeypatch.setitem(sys.modules, "exported", script)  # dataclasses look their module up
    code = compile("from __future__ import annotations\n" + text, name, "exec")
    exec(code, vars(script))  # noqa: S102 - our own modules' code
    assert callable(getattr(script, name))


def test_decorators_are_dropped_and_outside_names_imported():
    sources, text = gathered("two_class_boosted_decision_tree", "select_columns")
    assert "@module" not in text and "\ndef select_columns(dataset, *, mode" in "\n" + text
    assert "from sklearn.ensemble import HistGradientBoostingClassifier" in sources.imports
    assert "import pandas.api.types as ptypes" in sources.imports


def test_a_name_two_modules_give_different_values_is_qualified_by_its_module():
    _, text = gathered("split_data", "train_model")
    assert "\nLABEL = 'Split Data'" in text and "\nTRAINING_LABEL = 'Train Model'" in text
    assert 'f"{TRAINING_LABEL}: label column' in text


def test_the_step_context_is_the_scripts_own():
    _, text = gathered("score_model")
    assert "class StepContext:" in text and "file=sys.stderr" in text
    assert "CancelToken" not in text


THING = object()


def uses_a_thing():
    return THING


def test_a_value_that_cannot_be_written_as_code_is_refused_by_name():
    with pytest.raises(SourceError, match="cannot write 'THING' \\(used by uses_a_thing\\)"):
        Sources().add(uses_a_thing)


def test_apply_sql_transformation_runs_in_a_script_as_in_a_step(monkeypatch):
    _, text = gathered("apply_sql_transformation")
    script = types.ModuleType("exported")
    monkeypatch.setitem(sys.modules, "exported", script)
    exec(compile("from __future__ import annotations\n" + text, "sql", "exec"), vars(script))  # noqa: S102
    frame = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 1.5, None]})
    sql = "select a, a * b as c from t1 where a > 1;"
    expected = REGISTRY["apply_sql_transformation"].fn(frame, sql=sql)["dataset"]
    got = script.apply_sql_transformation(frame, sql=sql)["dataset"]
    pd.testing.assert_frame_equal(got, expected)


def test_a_table_of_functions_is_copied_as_its_statement_and_computes_the_same(monkeypatch):
    """Apply Math Operation looks its functions up in a dict of lambdas: the script gets that
    statement as written, with the helpers it calls, and the same numbers."""
    _, text = gathered("apply_math_operation")
    assert "MATH = {" in text and "def _unary(" in text
    script = types.ModuleType("exported")
    monkeypatch.setitem(sys.modules, "exported", script)
    exec(compile("from __future__ import annotations\n" + text, "math", "exec"), vars(script))  # noqa: S102
    frame = pd.DataFrame({"a": [1.0, 4.0, 9.0], "b": [2, 3, 5]})
    spec = REGISTRY["apply_math_operation"]
    params = spec.resolve_params({"category": "basic", "basic_function": "Sqrt",
                                  "columns": ["a", "b"]})
    expected = spec.fn(frame, **params)["results_dataset"]
    got = script.apply_math_operation(frame, **params)["results_dataset"]
    pd.testing.assert_frame_equal(got, expected)
