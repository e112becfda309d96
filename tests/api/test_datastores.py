"""Datastore browse, preview and upload through the API, with every escape refused."""

import io
import os

import pandas as pd
import pytest


@pytest.fixture
def store(client, tmp_path):
    root = tmp_path / "store"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.csv").write_text("x,y\n1,a\n2,b\n3,\n")
    (root / "b.tsv").write_text("p\tq\n1\t2\n")
    pd.DataFrame({"v": [1.5, 2.5]}).to_parquet(root / "c.parquet")
    (root / ".hidden").write_text("no")
    (tmp_path / "secret.csv").write_text("s\n1\n")
    os.symlink(tmp_path / "secret.csv", root / "escape.csv")
    assert client.post("/api/v1/datastores",
                       json={"name": "mine", "root": str(root)}).status_code == 201
    return root


def test_browse_lists_folders_first_and_hides_dotfiles_and_outward_links(client, store):
    listing = client.get("/api/v1/datastores/mine/browse").get_json()
    assert [(e["name"], e["type"]) for e in listing["entries"]] == [
        ("sub", "folder"), ("b.tsv", "file"), ("c.parquet", "file")]
    sub = client.get("/api/v1/datastores/mine/browse?path=sub").get_json()
    assert sub["path"] == "sub"
    (entry,) = sub["entries"]
    assert entry["path"] == "sub/a.csv" and entry["size"] == 15 and entry["modified"]


@pytest.mark.parametrize("path, fmt, columns, rows", [
    ("sub/a.csv", "csv", ["x", "y"], [[1, "a"], [2, "b"], [3, None]]),
    ("b.tsv", "tsv", ["p", "q"], [[1, 2]]),
    ("c.parquet", "parquet", ["v"], [[1.5], [2.5]]),
])
def test_preview(client, store, path, fmt, columns, rows):
    result = client.get(f"/api/v1/datastores/mine/preview?path={path}").get_json()
    assert result["format"] == fmt
    assert [c["name"] for c in result["columns"]] == columns
    assert result["rows"] == rows


@pytest.mark.parametrize("url, status, message", [
    ("/browse?path=../", 422, "contains '..'"),
    ("/browse?path=%252e%252e", 422, "contains '..'"),
    ("/browse?path=/etc", 422, "is absolute"),
    ("/browse?path=sub/a.csv", 404, "is not a folder"),
    ("/preview?path=escape.csv", 422, "leads outside the datastore"),
    ("/preview?path=%EF%BC%8E%EF%BC%8E/secret.csv", 422, "contains '..'"),
    ("/preview?path=a%00b.csv", 422, "NUL byte"),
    ("/preview?path=nope.csv", 404, "does not exist"),
    ("/preview?path=.hidden", 422, "is not a data file"),
    ("/preview?path=sub/a.csv&rows=0", 400, "'rows' must be an int"),
])
def test_refusals_name_the_problem(client, store, url, status, message):
    response = client.get(f"/api/v1/datastores/mine{url}")
    assert response.status_code == status
    assert message in response.get_json()["error"]


def test_unknown_datastore(client):
    response = client.get("/api/v1/datastores/ghost/browse")
    assert response.status_code == 404
    assert response.get_json()["error"] == "Unknown datastore 'ghost' (registered: samples)."


def test_unparsable_file_is_a_clear_422(client, store):
    (store / "bad.parquet").write_text("not parquet")
    response = client.get("/api/v1/datastores/mine/preview?path=bad.parquet")
    assert response.status_code == 422
    assert "'bad.parquet' is not a readable parquet file" in response.get_json()["error"]
    assert str(store) not in response.get_json()["error"]


def upload(client, name="new.csv", data=b"a,b\n1,2\n", **form):
    return client.post("/api/v1/datastores/mine/upload", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name), **form})


def test_upload_into_a_folder_then_refuse_overwrite_unless_confirmed(client, store):
    response = upload(client, folder="incoming/2026")
    assert response.status_code == 201
    assert response.get_json() == {"datastore": "mine", "path": "incoming/2026/new.csv",
                                   "size": 8}
    assert (store / "incoming/2026/new.csv").read_bytes() == b"a,b\n1,2\n"
    again = upload(client, data=b"a,b\n9,9\n", folder="incoming/2026")
    assert again.status_code == 409 and "confirm to overwrite" in again.get_json()["error"]
    assert (store / "incoming/2026/new.csv").read_bytes() == b"a,b\n1,2\n"
    forced = upload(client, data=b"a,b\n9,9\n", folder="incoming/2026", overwrite="true")
    assert forced.status_code == 201
    assert (store / "incoming/2026/new.csv").read_bytes() == b"a,b\n9,9\n"


@pytest.mark.parametrize("name, form, message", [
    ("evil.exe", {}, "Files of type '.exe' are not accepted"),
    ("../x.csv", {}, "Invalid file name"),
    ("x.csv", {"folder": "../outside"}, "contains '..'"),
    ("x.csv", {"folder": "/tmp"}, "is absolute"),
    ("x.csv", {"folder": "%2e%2e"}, "contains '..'"),
])
def test_upload_refusals(client, store, name, form, message):
    response = upload(client, name=name, **form)
    assert response.status_code == 422
    assert message in response.get_json()["error"]
    assert not (store.parent / "x.csv").exists() and not (store.parent / "outside").exists()


def test_upload_through_an_outward_symlinked_folder_is_refused(client, store, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, store / "link")
    response = upload(client, folder="link")
    assert response.status_code == 422
    assert "leads outside the datastore" in response.get_json()["error"]
    assert list(outside.iterdir()) == []


def test_empty_and_missing_uploads(client, store):
    empty = upload(client, data=b"")
    assert empty.status_code == 422 and "is empty" in empty.get_json()["error"]
    response = client.post("/api/v1/datastores/mine/upload", data={})
    assert response.status_code == 400 and "field named 'file'" in response.get_json()["error"]


def test_upload_over_the_limit_is_refused(app, client, store):
    app.config["DESIGNER_UPLOAD_MAX_BYTES"] = 10
    response = upload(client, data=b"a,b\n" + b"1,2\n" * 10)
    assert response.status_code == 413
    assert "larger than the upload limit" in response.get_json()["error"]
    assert not (store / "new.csv").exists()
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = upload(client, data=b"a,b\n" + b"1,2\n" * 1000)
    assert response.status_code == 413
    assert "larger than the limit" in response.get_json()["error"]


def test_the_list_counts_files_unless_asked_not_to(client, store):
    listed = {d["name"]: d for d in client.get("/api/v1/datastores").get_json()["datastores"]}
    assert listed["mine"]["files"] == 4  # a.csv, b.tsv, c.parquet, escape.csv (not .hidden)
    bare = {d["name"]: d for d in
            client.get("/api/v1/datastores?counts=false").get_json()["datastores"]}
    assert set(bare) == set(listed)
    assert "files" not in bare["mine"] and bare["mine"]["root"] == str(store)
    response = client.get("/api/v1/datastores?counts=maybe")
    assert response.status_code == 400
    assert response.get_json()["error"] == "'counts' must be one of true, false; got 'maybe'."
