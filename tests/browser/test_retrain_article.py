"""Retraining with a published pipeline, end to end as a person: build a pipeline from the
palette, promote its data path to a pipeline parameter, publish it to a new endpoint, retrain
from the Endpoints page with another file, then over REST; each run reads the file it was given.
"""

import json
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_designer_edit import drag_wire, drop_module, node, port
from tests.browser.test_parameters import pick
from tests.helpers_server import http

RUN_TIMEOUT = 90_000
US = Path(__file__).resolve().parents[2] / "sample_data" / "income" / "us.csv"
UPLOAD_ROWS = 400  # the US sample has 3,000 rows and the non-US one 1,000


def build(page):
    """Drop the training modules from the palette and wire them; returns {module: node id}."""
    for module, x, y in (("import_data", 120, 40), ("split_data", 120, 150),
                         ("two_class_boosted_decision_tree", 420, 150),
                         ("train_model", 270, 260), ("score_model", 170, 370),
                         ("evaluate_model", 170, 480)):
        drop_module(page, module, x, y)
    ids = {}
    for module in ("import_data", "split_data", "two_class_boosted_decision_tree", "train_model",
                   "score_model", "evaluate_model"):
        placed = page.locator(f'g.node[data-module="{module}"]')
        expect(placed).to_have_count(1)
        ids[module] = placed.get_attribute("data-node-id")
    for (source, out), (target, into) in (
            (("import_data", "dataset"), ("split_data", "dataset")),
            (("split_data", "results1"), ("train_model", "dataset")),
            (("two_class_boosted_decision_tree", "untrained_model"),
             ("train_model", "untrained_model")),
            (("train_model", "trained_model"), ("score_model", "trained_model")),
            (("split_data", "results2"), ("score_model", "dataset")),
            (("score_model", "scored_dataset"), ("evaluate_model", "scored_dataset"))):
        drag_wire(page, port(page, ids[source], out, "out"), port(page, ids[target], into, "in"))
    expect(page.locator("path.wire")).to_have_count(6)
    return ids


def imported_rows(page, run_id):
    """Open the run page, wait for the run to finish and read Import Data's row count from the
    Visualize dialog of its output."""
    page.goto(f"/runs/{run_id}")
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)
    page.get_by_role("list", name="Steps").get_by_role("button").filter(
        has_text="Import Data").click()
    page.get_by_role("tab", name="Outputs + logs").click()
    page.get_by_role("button", name=re.compile("^Visualize")).click()
    dialog = page.get_by_role("dialog")
    count = dialog.get_by_test_id("row-count")
    expect(count).to_have_text(re.compile(r"^[\d,]+ rows$"))
    rows = int(count.inner_text().split()[0].replace(",", ""))
    dialog.get_by_role("button", name="Close").click()
    return rows


def test_build_publish_and_retrain_from_the_page_and_over_rest(page, app, client, live_server,
                                                                tmp_path):
    # A datastore for new data; the file itself is uploaded from the page later.
    folder = tmp_path / "new-census"
    folder.mkdir()
    response = client.post("/api/v1/datastores", json={"name": "census", "root": str(folder)})
    assert response.status_code == 201, response.get_json()
    lines = US.read_text().splitlines(keepends=True)
    upload = "".join(lines[:UPLOAD_ROWS + 1]).encode()

    # Build the training pipeline from the palette.
    page.goto("/")
    page.get_by_role("button", name="New pipeline").click()
    page.wait_for_url(re.compile(r"/pipelines/[0-9a-f]+$"))
    ids = build(page)
    node(page, ids["train_model"]).locator(".node-body").click()
    page.get_by_label("Label column").fill("income")
    node(page, ids["import_data"]).locator(".node-body").click()
    page.get_by_label("Path datastore").select_option("samples")
    page.get_by_label("Path path").fill("income/us.csv")

    # Its data path becomes the pipeline parameter "census_data" through the field's "..." menu.
    pick(page, "path", "Path", "Add to pipeline parameter")
    dialog = page.get_by_role("dialog", name="Add to pipeline parameter")
    dialog.get_by_label("Name").fill("census_data")
    expect(dialog.get_by_label("Default path")).to_have_value("income/us.csv")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.locator('.details .field[data-param="path"] .param-chip')).to_have_text(
        re.compile("census_data"))
    expect(page.locator("g.node[data-has-errors=true]")).to_have_count(0)

    # Publish to a new endpoint.
    page.get_by_role("button", name="Publish").click()
    dialog = page.get_by_role("dialog", name="Publish pipeline")
    expect(dialog.get_by_role("table", name="Pipeline parameters")).to_contain_text(
        "samples:income/us.csv")
    dialog.get_by_label("Endpoint name").fill("census-retrain")
    dialog.get_by_role("button", name="Publish").click()
    expect(dialog.get_by_role("status")).to_have_text(
        "Published version 0 to census-retrain (the default version).")
    dialog.get_by_role("button", name="Close").click()

    # Endpoints -> census-retrain -> Published pipelines -> Submit, with an uploaded file.
    page.get_by_role("link", name="Endpoints").click()
    page.get_by_role("table", name="Pipeline endpoints").get_by_role(
        "link", name="census-retrain", exact=True).click()
    page.get_by_role("tab", name="Published pipelines").click()
    page.get_by_role("article", name="Version 0").get_by_role("button", name="Submit").click()
    submit = page.get_by_role("dialog", name="Submit census-retrain version 0")
    expect(submit.get_by_label("census_data path")).to_have_value("income/us.csv")
    submit.get_by_role("button", name="Browse census_data").click()
    browse = page.get_by_role("dialog", name="Browse path")
    browse.get_by_label("Datastore").select_option("census")
    browse.get_by_label("File", exact=True).set_input_files(
        {"name": "first-rows.csv", "mimeType": "text/csv", "buffer": upload})
    browse.get_by_role("button", name="Upload").click()
    expect(browse.get_by_text("Uploaded first-rows.csv")).to_be_visible()
    browse.get_by_role("button", name="Choose").click()
    expect(submit.get_by_label("census_data datastore")).to_have_value("census")
    expect(submit.get_by_label("census_data path")).to_have_value("first-rows.csv")
    submit.get_by_label("Experiment").fill("census-retrain")
    submit.get_by_role("button", name="Submit").click()
    # The run page loads beside the run it starts: slow on a busy machine.
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"), timeout=30_000)
    from_page = page.url.rsplit("/", 1)[1]

    # Retrain over REST, as a script would: a bearer token, then the parameter by its name.
    client_id, secret = app.config["TEST_CLIENT_CREDENTIALS"]
    form = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
    status, _, raw = http("POST", f"{live_server}/oauth2/token", form.encode(),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, raw
    bearer = {"Authorization": f"Bearer {json.loads(raw)['access_token']}"}
    status, _, raw = http("POST", f"{live_server}/api/v1/endpoints/census-retrain/submit", {
        "ExperimentName": "census-retrain", "DataPathAssignments": {"census_data": {
            "DataStoreName": "samples", "RelativePath": "income/non_us.csv"}}}, headers=bearer)
    assert status == 202, raw
    over_rest = json.loads(raw)["Id"]

    assert imported_rows(page, from_page) == UPLOAD_ROWS
    expect(page.get_by_role("region", name="Run summary")).to_contain_text(
        "census_data = census:first-rows.csv")
    assert imported_rows(page, over_rest) == 1_000
    expect(page.get_by_role("region", name="Run summary")).to_contain_text(
        "census_data = samples:income/non_us.csv")
    assert page.errors == []
