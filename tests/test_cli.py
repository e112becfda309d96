"""The `designer` command line on instance folders of its own: in this process with Click's
runner (as `cli`), and as the installed command in a real subprocess (`designer`)."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db
from app.services import datastores, pipelines, runs
from tests.helpers_server import (
    ROOT,
    SAMPLE_PIPELINES,
    SHIPPED_SAMPLES,
    cli,
    designer,
    designer_env,
)

INCOME = str(SAMPLE_PIPELINES / "income_prediction.json")
NON_US = "training_data=samples:income/non_us.csv"
METRIC_KEYS = {"accuracy", "precision", "recall", "f1", "auc"}
ROWS = "x,y,label\n" + "\n".join(f"{i},{i % 3},{'a' if i % 2 else 'b'}" for i in range(20))


def _each(*calls: tuple[Path, list[str]]) -> list:
    """Run several `designer` command lines (in this process) one after another; their results."""
    return [cli(home, *args) for home, args in calls]


@contextmanager
def _instance(home: Path):
    """An app context on the instance a command used, to look at what it stored."""
    app = create_app({"DESIGNER_HOME": str(home)})
    with app.app_context():
        try:
            yield
        finally:
            db.engine.dispose()


def _document(folder: Path, name: str, **parts) -> str:
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"schema_version": 1, "name": name, **parts}))
    return str(path)


def _enter_data() -> dict:
    return {"id": "data", "module": "enter_data_manually", "params": {"data": ROWS}}


def _edge(src: str, out: str, dst: str, port: str) -> dict:
    return {"from": {"node": src, "port": out}, "to": {"node": dst, "port": port}}


def _failing_commands(folder: Path) -> dict[str, tuple[list[str], tuple[str, ...]]]:
    """Command lines that must fail, each with the culprits its message must name."""
    (folder / "exists").mkdir()
    broken = folder / "broken.json"
    broken.write_text('{"schema_version": 1, "nodes": [')
    int_param = _document(
        folder, "int parameter",
        parameters=[{"name": "seed", "type": "int", "default": 1}],
        nodes=[_enter_data(),
               {"id": "split", "module": "split_data", "params": {"seed": {"$param": "seed"}}}],
        edges=[_edge("data", "dataset", "split", "dataset")])
    cycle = _document(
        folder, "cycle",
        nodes=[{"id": "a", "module": "split_data", "params": {}},
               {"id": "b", "module": "split_data", "params": {}}],
        edges=[_edge("a", "results1", "b", "dataset"), _edge("b", "results1", "a", "dataset")])
    bad_label = _document(
        folder, "bad label",
        nodes=[_enter_data(),
               {"id": "learner", "module": "two_class_logistic_regression", "params": {}},
               {"id": "train", "module": "train_model", "params": {"label_column": "incme"}}],
        edges=[_edge("data", "dataset", "train", "dataset"),
               _edge("learner", "untrained_model", "train", "untrained_model")])
    run = ["run-pipeline"]
    return {
        "datastore_bad_name": (["datastores", "add", "9lives", str(folder / "exists")],
                               ("'9lives'",)),
        "datastore_missing_folder": (["datastores", "add", "good", str(folder / "nowhere")],
                                     ("nowhere", "not an existing folder")),
        "datastore_system_folder": (["datastores", "add", "etc", "/etc"],
                                    ("'/etc'", "is a system folder")),
        "datastore_remove_unknown": (["datastores", "remove", "ghost"],
                                     ("Unknown datastore 'ghost'",)),
        "unknown_parameter": ([*run, INCOME, "--param", "trainig_data=x"],
                              ("'trainig_data'", "training_data")),
        "bad_parameter_type": ([*run, int_param, "--param", "seed=abc"], ("'seed'", "'abc'")),
        "missing_data_file": ([*run, INCOME, "--param", "training_data=samples:income/no.csv"],
                              ("Import Data (import)", "income/no.csv")),
        "missing_document": ([*run, str(folder / "absent.json")], ("absent.json",)),
        "malformed_json": ([*run, str(broken)], ("broken.json", "not valid JSON")),
        "cycle": ([*run, cycle], ("Circular dependency", "Split Data (a) -> Split Data (b)")),
        "failing_step": ([*run, bad_label],
                         ("Train Model (train) failed", "'incme'", "columns: x, y, label")),
    }


FAILING = ["datastore_bad_name", "datastore_missing_folder", "datastore_system_folder",
           "datastore_remove_unknown", "unknown_parameter",
           "bad_parameter_type", "missing_data_file", "missing_document", "malformed_json",
           "cycle", "failing_step"]


@pytest.fixture(scope="module")
def failures(tmp_path_factory) -> dict:
    """Every failing command line, run once, each in its own instance."""
    folder = tmp_path_factory.mktemp("failures")
    cases = _failing_commands(folder)
    assert sorted(cases) == sorted(FAILING)
    results = _each(*[(folder / f"home-{name}", args) for name, (args, _) in cases.items()])
    return {name: (result, cases[name][1]) for name, result in zip(cases, results, strict=True)}


def _run_json(result) -> dict:
    assert result.returncode == 0, f"exit {result.returncode}:\n{result.stderr}"
    return json.loads(result.stdout)


def _income_metrics(result: dict) -> dict:
    assert result["status"] == "Finished", result
    evaluate = result["metrics"]["evaluate"]
    assert set(evaluate) == METRIC_KEYS, evaluate
    for key in METRIC_KEYS:
        assert 0.5 < evaluate[key] <= 1, (key, evaluate[key])
    return evaluate


def test_init_is_idempotent(tmp_path):
    first = cli(tmp_path, "init")
    second = cli(tmp_path, "init")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    listed = [line for line in first.stdout.splitlines() if "sample pipeline:" in line]
    assert len(listed) == SHIPPED_SAMPLES, first.stdout
    # The same drafts (same ids) are reported, not fresh copies.
    assert [line for line in second.stdout.splitlines() if "sample pipeline:" in line] == listed
    with _instance(tmp_path):
        names = sorted(p.name for p in pipelines.list_all())
        stores = [(d.name, d.root) for d in datastores.list_all()]
    assert names == sorted(json.loads(f.read_text())["name"]
                           for f in SAMPLE_PIPELINES.glob("*.json"))
    assert stores == [("samples", str(SAMPLE_PIPELINES.parent))]


def test_datastores_add_then_list(tmp_path):
    folder = tmp_path / "my data"
    folder.mkdir()
    home = tmp_path / "home"
    added = cli(home, "datastores", "add", "my-data_2", str(folder))
    assert added.returncode == 0, added.stderr
    listed = cli(home, "datastores", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [f"my-data_2\t{folder.resolve()}"]
    removed = cli(home, "datastores", "remove", "my-data_2")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout == "removed datastore my-data_2\n"
    assert cli(home, "datastores", "list").stdout == ""
    assert folder.is_dir()  # the files are the user's: removing only forgets the name


def test_datastores_add_names_a_nul_byte_without_a_traceback(tmp_path):
    # A NUL cannot travel in a real argument vector; scripts calling the command in-process can.
    from click.testing import CliRunner

    from app.cli import main

    result = CliRunner(env=designer_env(tmp_path)).invoke(
        main, ["datastores", "add", "x", "a\x00b"])
    assert result.exit_code == 1 and not isinstance(result.exception, ValueError)
    assert result.output == "Error: Datastore root 'a\\x00b' contains a NUL byte.\n"


@pytest.mark.parametrize("case", FAILING)
def test_bad_command_fails_with_a_clear_message(failures, case):
    result, culprits = failures[case]
    assert result.returncode != 0, result.stdout
    for culprit in culprits:
        assert culprit in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


def test_failing_step_exits_1_with_the_run_json(failures):
    result, _ = failures["failing_step"]
    assert result.returncode == 1, result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "Failed"
    assert out["metrics"] == {}


def test_run_pipeline_metrics_retrain_and_reuse(tmp_path):
    first = _run_json(cli(tmp_path, "run-pipeline", INCOME))
    us = _income_metrics(first)

    # The second run of the same document, and a retrain on other data.
    again, retrained = map(_run_json, _each(
        (tmp_path, ["run-pipeline", INCOME]),
        (tmp_path, ["run-pipeline", INCOME, "--param", NON_US, "--experiment", "retrain"])))
    assert _income_metrics(retrained) != us
    assert again["run_id"] != first["run_id"]
    assert again["metrics"] == first["metrics"]

    with _instance(tmp_path):
        reused = runs.as_dict(runs.get(again["run_id"]))
        retrain = runs.as_dict(runs.get(retrained["run_id"]))
    assert {s["status"] for s in reused["steps"]} == {"Reused"}, reused["steps"]
    assert {s["reused_from"] for s in reused["steps"]} == {first["run_id"]}
    assert retrain["parameters"]["training_data"] == {"datastore": "samples",
                                                      "path": "income/non_us.csv"}
    assert retrain["experiment"] == "retrain"
    assert retrain["source"] == "cli"


def test_users_and_clients_commands(tmp_path):
    import re

    home = tmp_path / "accounts"
    first = cli(home, "init")
    assert first.returncode == 0, first.stderr
    assert re.search(r"admin user: admin, one-time password: \S{12,}", first.stdout)
    assert "one-time password" not in cli(home, "init").stdout
    added = cli(home, "users", "add", "alice", "--role", "runner")
    assert added.returncode == 0 and re.match(r"alice\trunner\tpassword: \S+", added.stdout)
    assert cli(home, "users", "set-role", "alice", "editor").returncode == 0
    assert cli(home, "users", "disable", "alice").returncode == 0
    listed = cli(home, "users", "list").stdout.splitlines()
    assert listed == ["admin\tadmin\tactive", "alice\teditor\tdisabled"]
    taken = cli(home, "users", "add", "alice")
    assert taken.returncode != 0 and "User 'alice' already exists." in taken.stderr
    short = cli(home, "users", "add", "bob", "--password", "short")
    assert short.returncode != 0 and "at least 10 characters" in short.stderr
    created = cli(home, "clients", "create", "nightly", "--role", "runner")
    credentials = json.loads(created.stdout)
    assert set(credentials) == {"client_id", "client_secret"}
    assert cli(home, "clients", "disable", "nightly").returncode == 0
    (row,) = cli(home, "clients", "list").stdout.splitlines()
    assert row == f"nightly\t{credentials['client_id']}\trunner\tdisabled"
    assert credentials["client_secret"] not in (home / "designer.db").read_bytes().decode(
        "latin-1")


def test_admin_password_from_the_environment(tmp_path):
    import subprocess

    from app.services import auth
    from tests.helpers_server import DESIGNER, ROOT, designer_env

    home = tmp_path / "preset"
    env_init = subprocess.run([str(DESIGNER), "init"], env={**designer_env(home),
                              "DESIGNER_ADMIN_PASSWORD": "preset-password"}, cwd=ROOT,
                              capture_output=True, text=True, check=False)
    assert env_init.returncode == 0 and "one-time password" not in env_init.stdout
    app = create_app({"DESIGNER_HOME": str(home)})
    with app.app_context():
        assert auth.check_login("admin", "preset-password") is not None
    app.extensions["designer"].shutdown()


def _login_status(test_client, username: str, password: str) -> int:
    """The status of a sign-in through the login form (302 signed in, 401 refused)."""
    import re

    page = test_client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return test_client.post("/login", data={"username": username, "password": password,
                                             "csrf_token": token}).status_code


def test_set_password_and_enable_take_effect_at_the_sign_in_form(tmp_path):
    home = tmp_path / "accounts"
    assert cli(home, "users", "add", "bob", "--password", "first-password").returncode == 0
    app = create_app({"DESIGNER_HOME": str(home)})
    browser = app.test_client()
    assert _login_status(browser, "bob", "first-password") == 302
    assert browser.get("/api/v1/pipelines").status_code == 200

    changed = cli(home, "users", "set-password", "bob", "--password", "second-password")
    assert changed.returncode == 0 and changed.stdout == "password of bob changed\n", changed
    assert browser.get("/api/v1/pipelines").status_code == 401  # the session ended
    assert _login_status(app.test_client(), "bob", "first-password") == 401
    assert _login_status(app.test_client(), "bob", "second-password") == 302
    short = cli(home, "users", "set-password", "bob", "--password", "short")
    assert short.returncode != 0 and "at least 10 characters" in short.stderr

    assert cli(home, "users", "disable", "bob").returncode == 0
    assert _login_status(app.test_client(), "bob", "second-password") == 401
    enabled = cli(home, "users", "enable", "bob")
    assert enabled.returncode == 0 and enabled.stdout == "bob\tactive\n", enabled
    assert _login_status(app.test_client(), "bob", "second-password") == 302
    assert "bob\tviewer\tactive" in cli(home, "users", "list").stdout
    app.extensions["designer"].shutdown()
    with app.app_context():
        db.engine.dispose()


def test_datastores_add_replace_re_points_a_datastore(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    home = tmp_path / "home"
    assert cli(home, "datastores", "add", "sales", str(old)).returncode == 0
    taken = cli(home, "datastores", "add", "sales", str(new))
    assert taken.returncode != 0 and "Datastore 'sales' already exists." in taken.stderr
    assert cli(home, "datastores", "list").stdout == f"sales\t{old.resolve()}\n"
    replaced = cli(home, "datastores", "add", "sales", str(new), "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert cli(home, "datastores", "list").stdout == f"sales\t{new.resolve()}\n"


def test_run_pipeline_regenerate_recomputes_every_step(tmp_path):
    first = _run_json(cli(tmp_path, "run-pipeline", INCOME))
    forced = _run_json(cli(tmp_path, "run-pipeline", INCOME, "--regenerate"))
    assert forced["metrics"] == first["metrics"]
    with _instance(tmp_path):
        steps = runs.as_dict(runs.get(forced["run_id"]))["steps"]
    assert {s["status"] for s in steps} == {"Finished"}, steps
    assert {s["reused_from"] for s in steps} == {None}


def test_init_names_the_admin_the_endpoint_the_home_and_the_url(tmp_path):
    result = designer(tmp_path, "init", env={"DESIGNER_ADMIN_PASSWORD": "chosen-Passw0rd"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"Instance ready: DESIGNER_HOME={tmp_path.resolve()} (database sqlite:///" in out
    assert "  admin user: admin, password from DESIGNER_ADMIN_PASSWORD" in out
    assert "chosen-Passw0rd" not in out  # a chosen password is never echoed
    assert "pipeline endpoint income-retrain (version 0" in out
    assert "open http://127.0.0.1:5000 and sign in as admin" in out
    again = designer(tmp_path, "init").stdout
    assert "admin user" not in again and "income-retrain" in again


def test_make_run_installs_only_what_running_needs():
    import subprocess

    def recipe(target):
        made = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True,
                              text=True, check=True)
        return [line for line in made.stdout.splitlines() if "pip install" in line]

    assert recipe("run")[-1].endswith("pip install --quiet -e .")
    assert "'.[test,postgres,s3,dask]'" in recipe("test")[-1]
