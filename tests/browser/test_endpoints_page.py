"""Endpoints page and an endpoint's page in Chromium: versions, default, disable, examples, runs."""

import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest
from playwright.sync_api import expect


def open_endpoint(page, name="income-retrain"):
    """From the Endpoints page, open the endpoint called ``name`` (as a person would)."""
    page.goto("/endpoints")
    page.get_by_role("table", name="Pipeline endpoints").get_by_role(
        "link", name=name, exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def publish_again(client, description="second version"):
    """Publish the Income sample as the next version of income-retrain (not the default)."""
    pid = next(
        p["id"]
        for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
        if p["name"] == "Income prediction"
    )
    answer = client.post(
        f"/api/v1/pipelines/{pid}/publish",
        json={"endpoint": "income-retrain", "description": description},
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def wait_finished(client, run_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/v1/runs/{run_id}").get_json()
        if run["status"] in ("Finished", "Failed", "Canceled"):
            return run
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} did not finish")


def test_sample_endpoint_is_listed_with_version_0_as_default(page):
    page.goto("/endpoints")
    row = page.get_by_role("row").filter(
        has=page.get_by_role("link", name="income-retrain", exact=True)
    )
    expect(row.get_by_role("cell")).to_have_text(
        [
            "income-retrain",
            "Retrain the income model on new census-style data.",
            "Version 0",
            "1",
            "Active",
            "No runs yet",
        ]
    )
    open_endpoint(page)
    page.get_by_role("tab", name="Published pipelines").click()
    expect(page.get_by_role("tab", name="Published pipelines")).to_have_attribute(
        "aria-selected", "true"
    )
    version = page.get_by_role("article", name="Version 0")
    expect(version.get_by_test_id("default-marker")).to_have_text("Default")
    expect(version).to_contain_text("by designer init")
    expect(version.get_by_role("list", name="Parameters")).to_have_text(
        "training_data: samples:income/us.csv"
    )
    expect(version.get_by_role("button", name="Set as default")).to_have_count(0)
    version.get_by_role("button", name="View graph").click()
    graph = version.get_by_label("Graph of version 0")
    expect(graph.locator("g.node")).to_have_count(8)
    expect(graph.locator('g.node[data-node-id="train"]')).to_contain_text("Train Model")
    version.get_by_role("button", name="Hide graph").click()
    expect(graph).to_be_hidden()
    assert page.errors == []


def test_set_as_default_moves_the_marker(page, client):
    publish_again(client)
    open_endpoint(page)
    page.get_by_role("tab", name="Published pipelines").click()
    first, second = (
        page.get_by_role("article", name="Version 0"),
        page.get_by_role("article", name="Version 1"),
    )
    expect(first.get_by_test_id("default-marker")).to_be_visible()
    expect(second).to_contain_text("second version")
    expect(second).to_contain_text("by client:tests")
    second.get_by_role("button", name="Set as default").click()
    expect(second.get_by_test_id("default-marker")).to_have_text("Default")
    expect(first.get_by_test_id("default-marker")).to_have_count(0)
    expect(first.get_by_role("button", name="Set as default")).to_be_visible()
    assert client.get("/api/v1/endpoints/income-retrain").get_json()["default_version"] == 1
    page.get_by_role("tab", name="Overview").click()
    expect(page.get_by_role("definition").filter(has_text=re.compile(r"^1$"))).to_have_count(1)
    assert page.errors == []


def test_disable_makes_submit_fail_and_enable_restores(page, client):
    open_endpoint(page)
    expect(page.get_by_test_id("overview-status")).to_have_text("Active")
    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_test_id("overview-status")).to_have_text("Disabled")
    expect(page.get_by_test_id("endpoint-status")).to_have_text("Disabled")

    page.get_by_role("tab", name="Published pipelines").click()
    page.get_by_role("article", name="Version 0").get_by_role("button", name="Submit").click()
    dialog = page.get_by_role("dialog", name="Submit income-retrain version 0")
    dialog.get_by_role("button", name="Submit").click()
    expect(dialog.get_by_role("alert").last).to_have_text(
        "Pipeline endpoint 'income-retrain' is disabled."
    )
    dialog.get_by_role("button", name="Cancel").click()
    assert client.get("/api/v1/endpoints/income-retrain/runs").get_json()["runs"] == []

    page.get_by_role("tab", name="Overview").click()
    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_test_id("overview-status")).to_have_text("Active")
    page.get_by_role("tab", name="Published pipelines").click()
    page.get_by_role("article", name="Version 0").get_by_role("button", name="Submit").click()
    dialog.get_by_role("button", name="Submit").click()
    # The run page loads beside the run it starts: slow on a busy machine.
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"), timeout=30_000)
    assert page.errors == []


def test_submit_form_checks_values_and_shows_the_server_message(page, client):
    open_endpoint(page)
    page.get_by_role("tab", name="Published pipelines").click()
    page.get_by_role("button", name="Submit").click()
    dialog = page.get_by_role("dialog", name="Submit income-retrain version 0")
    path = dialog.get_by_label("training_data path")
    path.fill("")
    dialog.get_by_role("button", name="Submit").click()
    expect(dialog.get_by_role("alert").last).to_have_text("Correct the marked parameters.")
    expect(dialog.get_by_text("Give the path of a file in the datastore.")).to_be_visible()
    expect(path).to_have_attribute("aria-invalid", "true")
    path.fill("income/missing.csv")
    dialog.get_by_role("button", name="Submit").click()
    expect(dialog.get_by_role("alert").last).to_contain_text(
        "file 'income/missing.csv' does not exist"
    )
    assert client.get("/api/v1/endpoints/income-retrain/runs").get_json()["runs"] == []
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert page.errors == []


def examples(page, app):
    """The endpoint's REST URL and its (curl, Python) examples with the test client's
    credentials in place of the placeholders; checks what both show."""
    open_endpoint(page)
    endpoint_id = page.locator("#app").get_attribute("data-endpoint-id")
    url = page.get_by_role("textbox", name="REST endpoint")
    expect(url).to_have_value(re.compile(rf"/api/v1/endpoints/{endpoint_id}/submit$"))
    curl = page.get_by_label("curl example", exact=True)
    python = page.get_by_label("Python example", exact=True)
    for example in (curl, python):
        expect(example).to_contain_text("/oauth2/token")
        expect(example).to_contain_text("CLIENT_SECRET")
        expect(example).to_contain_text('"DataPathAssignments"')
        expect(example).to_contain_text(f"/api/v1/endpoints/{endpoint_id}/submit")
    client_id, secret = app.config["TEST_CLIENT_CREDENTIALS"]
    return [example.inner_text().replace("CLIENT_ID", client_id).replace("CLIENT_SECRET", secret)
            for example in (curl, python)]


def test_overview_shows_rest_url_and_a_working_python_example(page, app):
    _, script = examples(page, app)
    page.get_by_role("button", name="Copy URL").click()
    expect(page.get_by_role("button", name="Copy URL")).to_have_text(
        re.compile("Copied|Press Ctrl")
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Submitted run ")
    assert page.errors == []


def test_the_curl_example_works(page, app):
    if not shutil.which("curl"):
        message = "curl is not installed (apt-get install curl)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: .ci/run must install it")
        pytest.skip(message)
    shell, _ = examples(page, app)
    done = subprocess.run(
        ["bash", "-c", shell], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Status"]["StatusCode"] in ("Queued", "Running", "Finished")
    assert page.errors == []


def test_runs_tab_lists_the_endpoint_runs_with_a_key_metric(page, client):
    answer = client.post(
        "/api/v1/endpoints/income-retrain/submit",
        json={
            "ExperimentName": "retrain",
            "Description": "non-US",
            "DataPathAssignments": {
                "training_data": {"DataStoreName": "samples", "RelativePath": "income/non_us.csv"}
            },
        },
    )
    assert answer.status_code == 202
    run_id = answer.get_json()["Id"]
    assert wait_finished(client, run_id)["status"] == "Finished"
    open_endpoint(page)
    page.get_by_role("tab", name="Runs").click()
    table = page.get_by_role("table", name="Endpoint runs")
    row = table.locator(f'tr[data-run-id="{run_id}"]')
    cells = row.get_by_role("cell")
    expect(cells.nth(1)).to_have_text("0")
    expect(cells.nth(2)).to_have_text("training_data=samples:income/non_us.csv")
    expect(cells.nth(3)).to_have_text("Finished")
    expect(cells.nth(4)).to_have_text("client:tests (API)")
    expect(cells.nth(6)).to_have_text(re.compile(r"^\w[\w ]* \d"))
    row.get_by_role("link", name=run_id[:8]).click()
    expect(page).to_have_url(re.compile(rf"/runs/{run_id}$"))
    # The list page now shows this run as the endpoint's last run.
    page.goto("/endpoints")
    last = page.get_by_role("row").filter(
        has=page.get_by_role("link", name="income-retrain", exact=True)
    )
    expect(last.get_by_role("link", name=re.compile("Finished"))).to_have_attribute(
        "href", f"/runs/{run_id}"
    )
    assert page.errors == []
