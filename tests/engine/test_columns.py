"""Design-time column propagation (app/engine/columns.py and the modules' columns functions)."""

import json
import subprocess
import sys

import pytest

from app.engine.columns import infer_columns
from app.engine.datastores import Datastores
from app.engine.document import PipelineDocument
from app.engine.registry import REGISTRY
from tests.conftest import ROOT

INCOME = json.loads((ROOT / "sample_data/pipelines/income_prediction.json").read_text())
ADULT = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
         "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
         "hours-per-week", "native-country", "income"]


@pytest.fixture
def stores():
    return Datastores({"samples": ROOT / "sample_data"})


def test_income_columns_flow_from_the_header(stores):
    cols = infer_columns(PipelineDocument.model_validate(INCOME), REGISTRY, stores)
    assert cols["clean"]["dataset"] == ADULT
    without = [c for c in ADULT if c != "fnlwgt"]
    assert cols["split"]["dataset"] == without
    assert cols["train"]["dataset"] == without
    assert cols["score"]["dataset"] == without
    assert cols["import"] == {}


def test_unknown_when_the_file_is_missing_or_a_module_cannot_tell(stores):
    doc = json.loads(json.dumps(INCOME))
    doc["parameters"][0]["default"]["path"] = "income/missing.csv"
    cols = infer_columns(PipelineDocument.model_validate(doc), REGISTRY, stores)
    assert cols["clean"]["dataset"] is None and cols["train"]["dataset"] is None
    doc = json.loads(json.dumps(INCOME))
    doc["nodes"][2]["params"]["column_type"] = "numeric"  # depends on the data's types
    cols = infer_columns(PipelineDocument.model_validate(doc), REGISTRY, stores)
    assert cols["select"]["dataset"] == ADULT and cols["split"]["dataset"] is None


def test_rename_and_join(stores, tmp_path):
    (tmp_path / "a.csv").write_text("k,x\n1,2\n")
    (tmp_path / "b.tsv").write_text("k\tx\ty\n1\t2\t3\n")
    doc = PipelineDocument.model_validate({"name": "j", "nodes": [
        {"id": "a", "module": "import_data", "params": {"path": "t:a.csv"}},
        {"id": "b", "module": "import_data", "params": {"path": "t:b.tsv", "format": "tsv"}},
        {"id": "e", "module": "edit_metadata", "params": {"columns": ["x"], "new_names": "z"}},
        {"id": "j", "module": "join_data", "params": {"left_keys": ["k"], "right_keys": ["k"]}},
        {"id": "s", "module": "select_columns", "params": {}}],
        "edges": [
            {"from": {"node": "a", "port": "dataset"}, "to": {"node": "e", "port": "dataset"}},
            {"from": {"node": "e", "port": "dataset"}, "to": {"node": "j", "port": "left"}},
            {"from": {"node": "b", "port": "dataset"}, "to": {"node": "j", "port": "right"}},
            {"from": {"node": "j", "port": "dataset"}, "to": {"node": "s", "port": "dataset"}}]})
    cols = infer_columns(doc, REGISTRY, Datastores({"t": tmp_path}))
    assert cols["j"] == {"left": ["k", "z"], "right": ["k", "x", "y"]}
    assert cols["s"]["dataset"] == ["k", "z", "x", "y"]


def test_columns_api(client):
    response = client.post("/api/v1/pipelines/columns", json={"document": INCOME})
    assert response.status_code == 200
    assert response.get_json()["columns"]["train"]["dataset"][-1] == "income"


def test_validation_flags_a_column_that_is_not_there(client):
    doc = json.loads(json.dumps(INCOME))
    doc["nodes"][5]["params"]["label_column"] = "incme"
    result = client.post("/api/v1/pipelines/validate", json={"document": doc}).get_json()
    assert result["valid"] is False
    (message,) = result["node_errors"]["train"]
    assert message.startswith("Train Model: column(s) 'incme' of 'label_column' are not in the "
                              "input data set (columns: age, workclass, education,")


def test_a_headerless_file_takes_its_column_names(tmp_path):
    (tmp_path / "h.csv").write_text("1,2\n3,4\n")
    node = {"id": "a", "module": "import_data", "params": {"path": "t:h.csv", "header": False}}
    given = {**node, "id": "b", "params": {**node["params"], "column_names": "x, y"}}
    doc = PipelineDocument.model_validate({"name": "h", "nodes": [
        node, given, {"id": "s", "module": "select_columns"},
        {"id": "r", "module": "select_columns"}], "edges": [
            {"from": {"node": "a", "port": "dataset"}, "to": {"node": "s", "port": "dataset"}},
            {"from": {"node": "b", "port": "dataset"}, "to": {"node": "r", "port": "dataset"}}]})
    cols = infer_columns(doc, REGISTRY, Datastores({"t": tmp_path}))
    assert cols["s"]["dataset"] == ["Col1", "Col2"] and cols["r"]["dataset"] == ["x", "y"]


def test_a_module_brings_its_columns_function_when_imported_alone():
    code = ("from app.modules import transform_sql\n"
            "from app.engine.registry import REGISTRY\n"
            "print(REGISTRY['join_data'].columns.__name__, len(REGISTRY))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out[0] == "_joined_columns" and int(out[1]) < 10  # not every module file


def by_type(folder, kind):
    """Import t:a.csv, then Select Columns of one kind; what the step after it receives."""
    doc = PipelineDocument.model_validate({"name": "t", "nodes": [
        {"id": "a", "module": "import_data", "params": {"path": "t:a.csv"}},
        {"id": "s", "module": "select_columns", "params": {"column_type": kind}},
        {"id": "after", "module": "select_columns", "params": {}}], "edges": [
        {"from": {"node": "a", "port": "dataset"}, "to": {"node": "s", "port": "dataset"}},
        {"from": {"node": "s", "port": "dataset"}, "to": {"node": "after", "port": "dataset"}}]})
    return infer_columns(doc, REGISTRY, Datastores({"t": folder}))["after"]["dataset"]


def test_types_are_read_once_per_version_of_the_file_and_not_from_big_files(tmp_path,
                                                                             monkeypatch):
    import os

    from app.modules import data

    (tmp_path / "a.csv").write_text("x,y\n1,a\n2,b\n")
    assert by_type(tmp_path, "numeric") == ["x"]
    assert by_type(tmp_path, "string") == ["y"]
    (tmp_path / "a.csv").write_text("x,y\n1,a\nthree,b\n")  # x is text now
    stamp = os.stat(tmp_path / "a.csv").st_mtime_ns + 10**9
    os.utime(tmp_path / "a.csv", ns=(stamp, stamp))
    assert by_type(tmp_path, "numeric") == []
    assert by_type(tmp_path, "string") == ["x", "y"]
    monkeypatch.setattr(data, "TYPES_MAX_BYTES", 8)  # past the size read at design time
    assert by_type(tmp_path, "numeric") is None
