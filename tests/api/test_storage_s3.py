"""Scale out through object storage: a run's outputs on s3://, and datastores on s3:// browsed,
previewed, uploaded to and read by Import Data; bad URLs and escaping paths get a 4xx naming
the culprit. The S3 service is moto's server on this machine."""

import io
import json

import pandas as pd
import pytest

from tests.api.test_reuse import reading, rows, statuses
from tests.api.test_runs import TINY
from tests.conftest import bearer, make_app


@pytest.fixture
def s3_app(tmp_path, s3):
    """An app whose artifact store is s3://<bucket>/artifacts."""
    application = make_app({"DESIGNER_HOME": str(tmp_path / "instance"), "SECRET_KEY": "test",
                            "DESIGNER_ARTIFACTS": f"s3://{s3.bucket}/artifacts",
                            "DESIGNER_STORAGE_OPTIONS": s3.options})
    yield application
    application.extensions["designer"].shutdown()


@pytest.fixture
def s3_client(s3_app):
    test_client = s3_app.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer(s3_app)}"
    return test_client


def run(app, client, document) -> dict:
    """Submit ``document``, run it to its end, return the run."""
    response = client.post("/api/v1/runs", json={"document": document})
    assert response.status_code == 202, response.get_json()
    app.extensions["designer"].dispatcher.run_pending()
    return client.get(f"/api/v1/runs/{response.get_json()['id']}").get_json()


def test_a_run_stores_its_outputs_in_s3_and_they_preview_download_and_are_reused(
        s3_app, s3_client, s3):
    first = run(s3_app, s3_client, TINY)
    assert first["status"] == "Finished", first
    stored = s3.fs.find(f"{s3.bucket}/artifacts")
    assert any(p.endswith(".arrow") for p in stored) and any(p.endswith(".joblib") for p in stored)
    outputs = f"/api/v1/runs/{first['id']}/steps"

    preview = s3_client.get(f"{outputs}/score/outputs/scored_dataset/preview?rows=3")
    assert preview.status_code == 200
    assert preview.get_json()["row_count"] > 0 and len(preview.get_json()["rows"]) == 3
    csv = s3_client.get(f"{outputs}/score/outputs/scored_dataset")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    parquet = s3_client.get(f"{outputs}/score/outputs/scored_dataset?format=parquet")
    assert len(pd.read_parquet(io.BytesIO(parquet.data))) == len(pd.read_csv(io.BytesIO(csv.data)))
    model = s3_client.get(f"{outputs}/train/outputs/trained_model")
    assert model.status_code == 200 and len(model.data) > 100
    metrics = s3_client.get(f"{outputs}/eval/outputs/evaluation_results/preview")
    assert metrics.get_json()["kind"] == "json"

    again = run(s3_app, s3_client, TINY)
    assert set(statuses(again).values()) == {"Reused"}
    assert again["metrics"] == first["metrics"]


def test_a_datastore_on_s3_is_browsed_previewed_uploaded_to_and_imported(
        s3_app, s3_client, s3):
    s3.fs.pipe_file(f"{s3.bucket}/data/sales.csv", rows(40, 2).encode())
    s3.fs.pipe_file(f"{s3.bucket}/data/old/.hidden.csv", b"a\n1\n")
    added = s3_client.post("/api/v1/datastores",
                           json={"name": "lake", "root": f"s3://{s3.bucket}/data/"})
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["root"] == f"s3://{s3.bucket}/data"
    listed = s3_client.get("/api/v1/datastores").get_json()["datastores"]
    lake = next(d for d in listed if d["name"] == "lake")
    assert lake["files"] == 1 and "problem" not in lake
    assert "test-secret" not in json.dumps(listed)

    browsed = s3_client.get("/api/v1/datastores/lake/browse").get_json()
    assert [(e["name"], e["type"]) for e in browsed["entries"]] == [
        ("old", "folder"), ("sales.csv", "file")]
    assert browsed["entries"][1]["size"] == len(rows(40, 2))
    assert s3_client.get("/api/v1/datastores/lake/browse?path=old").get_json()["entries"] == []

    preview = s3_client.get("/api/v1/datastores/lake/preview?path=sales.csv&rows=2").get_json()
    assert [c["name"] for c in preview["columns"]] == ["x", "y", "c"]
    assert preview["rows"] == [[0, 0, "a"], [1, 3, "b"]]

    uploaded = s3_client.post("/api/v1/datastores/lake/upload", content_type="multipart/form-data",
                              data={"file": (io.BytesIO(rows(30, -3).encode()), "more.csv"),
                                    "folder": "incoming"})
    assert uploaded.status_code == 201, uploaded.get_json()
    assert s3.fs.cat_file(f"{s3.bucket}/data/incoming/more.csv") == rows(30, -3).encode()
    again = s3_client.post("/api/v1/datastores/lake/upload", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"x\n1\n"), "more.csv"),
                                 "folder": "incoming"})
    assert again.status_code == 409 and "confirm to overwrite" in again.get_json()["error"]

    imported = run(s3_app, s3_client,
                   reading({"source": "datastore", "path": "lake:incoming/more.csv"}))
    assert imported["status"] == "Finished", imported
    data = s3_client.get(f"/api/v1/runs/{imported['id']}/steps/data/outputs/dataset/preview")
    assert data.get_json()["row_count"] == 30
    reused = run(s3_app, s3_client,
                 reading({"source": "datastore", "path": "lake:incoming/more.csv"}))
    assert statuses(reused)["data"] == "Reused"  # same object: same size and time


@pytest.mark.parametrize("root, status, culprit", [
    ("nosuch://bucket/data", 422, "unknown scheme 'nosuch'"),
    ("s3://no-such-bucket-here/data", 422, "bucket 'no-such-bucket-here' does not exist"),
    ("s3://user:hunter2@bucket/data", 422, "carries credentials"),
])
def test_unusable_datastore_urls_are_refused_naming_the_culprit(s3_client, root, status,
                                                                 culprit):
    response = s3_client.post("/api/v1/datastores", json={"name": "bad", "root": root})
    assert response.status_code == status, response.get_json()
    assert culprit in response.get_json()["error"]
    assert "hunter2" not in json.dumps(response.get_json())


def test_the_artifact_store_cannot_become_a_datastore(s3_client, s3):
    s3.fs.pipe_file(f"{s3.bucket}/artifacts/x.csv", b"a\n1\n")
    response = s3_client.post("/api/v1/datastores",
                              json={"name": "own", "root": f"s3://{s3.bucket}/artifacts"})
    assert response.status_code == 422 and "app's own data" in response.get_json()["error"]


ESCAPES = {
    "../other/x.csv": "contains '..'",
    "sub/../../x.csv": "contains '..'",
    "/x.csv": "is absolute",
    "s3://other-bucket/x.csv": "is a URL",
    "%2e%2e/x.csv": "contains '..'",
}


def test_paths_escaping_an_s3_datastore_are_refused(s3_client, s3):
    s3.fs.pipe_file(f"{s3.bucket}/data/a.csv", b"a\n1\n")
    assert s3_client.post("/api/v1/datastores", json={
        "name": "lake", "root": f"s3://{s3.bucket}/data"}).status_code == 201
    for path, culprit in ESCAPES.items():
        for url in (f"/api/v1/datastores/lake/preview?path={path}",
                    f"/api/v1/datastores/lake/browse?path={path}"):
            response = s3_client.get(url)
            assert response.status_code == 422, (url, response.get_json())
            assert culprit in response.get_json()["error"]
        upload = s3_client.post(
            "/api/v1/datastores/lake/upload", content_type="multipart/form-data",
            data={"file": (io.BytesIO(b"a\n1\n"), "x.csv"), "folder": path})
        assert upload.status_code == 422, (path, upload.get_json())
        imported = s3_client.post("/api/v1/runs", json={
            "document": reading({"source": "datastore", "path": f"lake:{path}"})})
        assert imported.status_code == 422, (path, imported.get_json())
        assert culprit in json.dumps(imported.get_json())
    assert s3.fs.find(s3.bucket) == [f"{s3.bucket}/data/a.csv"]
