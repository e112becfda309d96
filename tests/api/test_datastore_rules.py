"""Which folders may be datastores, the rules for files read through any route, removal."""

import io
import os
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Datastore
from app.services import auth
from tests.conftest import bearer


def _headers(app, role: str) -> dict:
    with app.app_context():
        client, secret = auth.create_client(f"a-{role}", role)
        creds = (client.client_id, secret)
    return {"Authorization": f"Bearer {bearer(app, creds)}"}


@pytest.fixture
def viewer(app):
    """Authorization headers of a viewer (the least role that can ask for columns)."""
    return _headers(app, "viewer")


@pytest.fixture
def store(client, tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    (root / "people.csv").write_text("name,age\nann,31\n")
    assert client.post("/api/v1/datastores",
                       json={"name": "mine", "root": str(root)}).status_code == 201
    return root


def _import(path: str) -> dict:
    """A document reading ``path`` (DATASTORE:PATH) into a node whose input columns show."""
    return {"schema_version": 1, "name": "leak", "nodes": [
        {"id": "imp", "module": "import_data", "params": {"path": path}},
        {"id": "sel", "module": "select_columns", "params": {}}],
        "edges": [{"from": {"node": "imp", "port": "dataset"},
                   "to": {"node": "sel", "port": "dataset"}}]}


def _plant(app, name: str, root: str) -> None:
    """A datastore row as one registered before the rule on roots would have left it."""
    with app.app_context():
        db.session.add(Datastore(name=name, root=root))
        db.session.commit()


def _roots(app, tmp_path):
    home = Path(app.config["DESIGNER_HOME"])
    return {
        "/": "is the file system's root", "/etc": "is a system folder (/etc)",
        "/root": "is a system folder (/root)", "/proc/self": "is a system folder (/proc)",
        "/var/log": "is a system folder (/var/log)", "/tmp": "holds other users'",
        "/home": "holds other users'", "": "is empty", "  ": "is empty",
        str(home): "holds the app's own data", str(home / "artifacts"): "holds the app's own",
        str(tmp_path): "holds the app's own data",  # the folder above the instance folder
    }


def test_system_and_app_folders_cannot_be_datastores(app, client, tmp_path):
    (Path(app.config["DESIGNER_HOME"]) / "artifacts").mkdir(exist_ok=True)
    for root, reason in _roots(app, tmp_path).items():
        response = client.post("/api/v1/datastores", json={"name": "x", "root": root})
        assert response.status_code == 422, (root, response.get_json())
        error = response.get_json()["error"]
        assert reason in error and (not root.strip() or repr(root) in error), (root, error)
    names = [d["name"] for d in client.get("/api/v1/datastores?counts=false").get_json()[
        "datastores"]]
    assert names == ["samples"]


def test_a_datastore_registered_before_the_rule_leaks_nothing(app, client, anonymous, viewer):
    secret = app.config["SECRET_KEY"] = "the-session-secret"
    (Path(app.config["DESIGNER_HOME"]) / "secret_key").write_text(secret + "\n")
    _plant(app, "home", app.config["DESIGNER_HOME"])
    _plant(app, "slash", "/")
    for path in ("home:secret_key", "slash:etc/shadow", "slash:etc/passwd", "home:x.csv"):
        response = anonymous.post("/api/v1/pipelines/columns", headers=viewer,
                                  json={"document": _import(path)})
        assert response.status_code == 200
        assert response.get_json()["columns"]["sel"] == {"dataset": None}, path
        assert secret not in response.get_data(as_text=True) and "root:" not in \
            response.get_data(as_text=True)
    for url in ("/home/browse", "/home/preview?path=secret_key", "/slash/browse?path=etc"):
        response = client.get(f"/api/v1/datastores{url}")
        assert response.status_code == 422, url
        assert "cannot be used: its folder" in response.get_json()["error"]
    run = client.post("/api/v1/runs", json={"document": _import("slash:etc/hosts.csv")})
    assert run.status_code == 422 and "'slash' cannot be used" in run.get_json()["error"]
    listed = {d["name"]: d for d in client.get("/api/v1/datastores").get_json()["datastores"]}
    assert listed["slash"]["files"] is None  # never walked
    assert listed["slash"]["problem"] == "cannot be used: its folder is the file system's root"
    assert "problem" not in listed["samples"]
    assert client.delete("/api/v1/datastores/slash").status_code == 204  # and it can go


def test_columns_follow_the_same_file_rules_as_preview(client, anonymous, viewer, store):
    (store / "notes").write_text("top-secret,line\n")
    (store / "key.pem").write_text("BEGIN-KEY\n")
    os.symlink(store / "notes", store / "alias.csv")  # a data name for a non-data file
    for path in ("notes", "key.pem", "alias.csv"):
        response = anonymous.post("/api/v1/pipelines/columns", headers=viewer,
                                  json={"document": _import(f"mine:{path}")})
        assert response.get_json()["columns"]["sel"] == {"dataset": None}, path
        assert "top-secret" not in response.get_data(as_text=True)
        preview = client.get(f"/api/v1/datastores/mine/preview?path={path}")
        assert preview.status_code == 422
        assert f"'{path}' is not a data file" in preview.get_json()["error"]
    good = anonymous.post("/api/v1/pipelines/columns", headers=viewer,
                          json={"document": _import("mine:people.csv")})
    assert good.get_json()["columns"]["sel"] == {"dataset": ["name", "age"]}


LONG_NAME = "a" * 300 + ".csv"
LONG_PATH = "/".join(["abc"] * 300) + ".csv"


@pytest.mark.parametrize("path, status, message, in_document", [
    # Within the documented length, a name too long for the file system is unprocessable.
    (LONG_NAME, 422, "has a name longer than 255 bytes ('aaaa", None),
    # Past the documented maxLength the request is malformed; inside a document it is not.
    (LONG_PATH, 400, "is longer than 1024 characters", "characters long; at most 1024 are"),
])
def test_over_long_paths_are_refused_on_every_path_route(client, store, path, status, message,
                                                         in_document):
    base = "/api/v1/datastores/mine"
    answers = [client.get(f"{base}/browse", query_string={"path": path}),
               client.get(f"{base}/preview", query_string={"path": path}),
               client.post(f"{base}/upload", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"a\n1\n"), "x.csv"),
                                 "folder": path})]
    for response in answers:
        assert response.status_code == status, response.get_json()
        assert message in response.get_json()["error"]
    run = client.post("/api/v1/runs", json={"document": _import(f"mine:{path}")})
    assert run.status_code == 422
    assert (in_document or message) in run.get_json()["error"]
    columns = client.post("/api/v1/pipelines/columns", json={"document": _import(f"mine:{path}")})
    assert columns.status_code == 200
    assert columns.get_json()["columns"]["sel"] == {"dataset": None}


def test_browse_names_dangling_links_and_loops_instead_of_failing(client, store):
    os.symlink(store / "gone.csv", store / "dangling.csv")
    os.symlink(store / "loop-b", store / "loop-a")
    os.symlink(store / "loop-a", store / "loop-b")
    response = client.get("/api/v1/datastores/mine/browse")
    assert response.status_code == 200
    listing = response.get_json()
    assert [e["name"] for e in listing["entries"]] == ["people.csv"]
    assert listing["skipped"] == [
        {"name": "dangling.csv", "reason": "dangling symbolic link"},
        {"name": "loop-a", "reason": "symbolic link loop"},
        {"name": "loop-b", "reason": "symbolic link loop"}]
    for path in ("dangling.csv", "loop-a"):
        inside = client.get("/api/v1/datastores/mine/browse", query_string={"path": path})
        assert inside.status_code == 404 and f"'{path}' is not a folder" in \
            inside.get_json()["error"]
        preview = client.get("/api/v1/datastores/mine/preview", query_string={"path": path})
        assert preview.status_code in (404, 422) and path in preview.get_json()["error"]


def test_removing_a_datastore_keeps_its_files_and_names_it_in_pipelines(
        app, client, anonymous, store):
    doc = _import("mine:people.csv")
    created = client.post("/api/v1/pipelines", json={"document": doc}).get_json()
    refused = anonymous.delete("/api/v1/datastores/mine", headers=_headers(app, "editor"))
    assert refused.status_code == 403
    assert refused.get_json()["error"].startswith("This needs the admin role; client:a-editor")
    assert client.delete("/api/v1/datastores/mine").status_code == 204
    assert (store / "people.csv").read_text() == "name,age\nann,31\n"
    listed = client.get("/api/v1/datastores?counts=false").get_json()["datastores"]
    assert [d["name"] for d in listed] == ["samples"]
    validation = client.get(f"/api/v1/pipelines/{created['id']}/validate").get_json()
    assert validation["valid"] is False
    assert validation["node_errors"]["imp"] == [
        "Import Data: unknown datastore 'mine' in 'path' (registered: samples)."]
    run = client.post(f"/api/v1/pipelines/{created['id']}/runs", json={})
    assert run.status_code == 422
    assert "Unknown datastore 'mine' (registered: samples)" in run.get_json()["error"]
    again = client.delete("/api/v1/datastores/mine")
    assert again.status_code == 404
    assert again.get_json()["error"] == "Unknown datastore 'mine' (registered: samples)."
