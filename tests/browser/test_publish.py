"""Publishing from the designer: a new endpoint, then retraining it from the Endpoints page."""

import re

from playwright.sync_api import expect


def pipeline_id(client, name):
    """The id of the stored pipeline called ``name``."""
    return next(
        p["id"]
        for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
        if p["name"] == name
    )


def open_designer(page, client, name="Income prediction"):
    page.goto(f"/pipelines/{pipeline_id(client, name)}")
    expect(page.locator("g.node")).to_have_count(8)


def test_publish_new_endpoint_then_submit_with_a_changed_data_path(page, client):
    open_designer(page, client)
    page.get_by_role("button", name="Publish").click()
    dialog = page.get_by_role("dialog", name="Publish pipeline")
    expect(dialog).to_be_visible()
    parameters = dialog.get_by_role("table", name="Pipeline parameters")
    expect(parameters.get_by_role("row")).to_have_count(2)
    expect(parameters).to_contain_text("training_data")
    expect(parameters).to_contain_text("samples:income/us.csv")
    dialog.get_by_label("Endpoint name").fill("income-browser")
    dialog.get_by_label("Endpoint description").fill("Published from the browser")
    dialog.get_by_label("Version description").fill("first cut")
    dialog.get_by_role("button", name="Publish").click()
    expect(dialog.get_by_role("status")).to_have_text(
        "Published version 0 to income-browser (the default version)."
    )
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    # Find it on the Endpoints page and open it.
    page.get_by_role("link", name="Endpoints").click()
    table = page.get_by_role("table", name="Pipeline endpoints")
    row = table.get_by_role("row").filter(
        has=page.get_by_role("link", name="income-browser", exact=True)
    )
    expect(row).to_contain_text("Published from the browser")
    expect(row).to_contain_text("Version 0")
    row.get_by_role("link", name="income-browser").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("income-browser")

    page.get_by_role("tab", name="Published pipelines").click()
    version = page.get_by_role("article", name="Version 0")
    expect(version).to_contain_text("first cut")
    expect(version.get_by_test_id("default-marker")).to_have_text("Default")

    def type_it(dialog, path):
        path.fill("income/non_us.csv")

    def browse(dialog, path):
        dialog.get_by_role("button", name="Browse training_data").click()
        chooser = page.get_by_role("dialog", name="Browse path")
        expect(chooser.get_by_role("treeitem", name=re.compile("us.csv")).first).to_be_visible()
        chooser.get_by_role("button", name=re.compile("non_us.csv")).click()
        chooser.get_by_role("button", name="Choose").click()
        expect(chooser).to_be_hidden()
        expect(path).to_have_value("income/non_us.csv")

    # The same change made by typing, then by choosing the file in Browse path.
    typed = submit_version(page, version, "non-US data, typed", type_it)
    page.go_back()
    page.get_by_role("tab", name="Published pipelines").click()
    browsed = submit_version(page, version, "non-US data, browsed", browse)
    for run_id, description in ((typed, "non-US data, typed"), (browsed, "non-US data, browsed")):
        run = client.get(f"/api/v1/runs/{run_id}").get_json()
        assert run["parameters"]["training_data"] == {
            "datastore": "samples",
            "path": "income/non_us.csv",
        }
        assert (run["experiment"], run["description"]) == ("retrain-browser", description)
        assert run["source"] == "ui" and run["submitted_by"] == "user:admin"
        assert run["endpoint_version"] == 0
    expect(page.get_by_test_id("run-status")).to_have_attribute(
        "aria-label", "Run status Finished", timeout=60_000
    )
    assert page.errors == []


def submit_version(page, version, description, choose_path):
    """Open the version's Submit dialog, set the data path with ``choose_path(dialog, field)``
    and submit; returns the id of the run page it opens."""
    version.get_by_role("button", name="Submit").click()
    dialog = page.get_by_role("dialog", name="Submit income-browser version 0")
    expect(dialog.get_by_label("training_data datastore")).to_have_value("samples")
    path = dialog.get_by_label("training_data path")
    expect(path).to_have_value("income/us.csv")
    choose_path(dialog, path)
    dialog.get_by_label("Experiment").fill("retrain-browser")
    dialog.get_by_label("Description").fill(description)
    dialog.get_by_role("button", name="Submit").click()
    # The run page loads beside the run it starts: slow on a busy machine.
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"), timeout=30_000)
    return page.url.rsplit("/", 1)[1]


def test_publish_to_an_existing_endpoint_as_the_default(page, client):
    open_designer(page, client)
    page.get_by_role("button", name="Publish").click()
    dialog = page.get_by_role("dialog", name="Publish pipeline")
    dialog.get_by_label("Select existing").check()
    expect(dialog.get_by_label("Endpoint name")).to_be_hidden()
    dialog.get_by_label("Pipeline endpoint", exact=True).select_option(
        label="income-retrain (1 version)"
    )
    dialog.get_by_label("Set as default pipeline for this endpoint").check()
    dialog.get_by_role("button", name="Publish").click()
    expect(dialog.get_by_role("status")).to_contain_text("Published version 1 to income-retrain")
    dialog.get_by_role("link", name="income-retrain").click()
    expect(page).to_have_url(re.compile(r"/endpoints/[0-9a-f]+$"))
    page.get_by_role("tab", name="Published pipelines").click()
    expect(
        page.get_by_role("article", name="Version 1").get_by_test_id("default-marker")
    ).to_be_visible()
    expect(page.get_by_test_id("default-marker")).to_have_count(1)
    assert page.errors == []


def test_validation_errors_block_publishing_and_are_listed(page, client):
    open_designer(page, client)
    page.locator('path.wire-hit[data-to="train.dataset"]').click(force=True)
    page.keyboard.press("Delete")
    expect(page.locator('g.node[data-node-id="train"]')).to_have_attribute(
        "data-has-errors", "true"
    )
    page.get_by_role("button", name="Publish").click()  # saves the edit first
    dialog = page.get_by_role("dialog", name="Publish pipeline")
    dialog.get_by_label("Endpoint name").fill("broken")
    dialog.get_by_role("button", name="Publish").click()
    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text("Fix these problems before publishing")
    expect(alert.get_by_role("listitem")).to_have_count(1)
    expect(alert).to_contain_text(
        "Train Model: Required input 'dataset' of Train Model is not connected."
    )
    names = [e["name"] for e in client.get("/api/v1/endpoints").get_json()["endpoints"]]
    assert "broken" not in names
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert page.errors == []


def test_taken_endpoint_name_is_refused_with_the_server_message(page, client):
    open_designer(page, client)
    page.get_by_role("button", name="Publish").click()
    dialog = page.get_by_role("dialog", name="Publish pipeline")
    dialog.get_by_label("Endpoint name").fill("income-retrain")
    dialog.get_by_role("button", name="Publish").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "A pipeline endpoint named 'income-retrain' exists; select it instead. (HTTP 409)"
    )
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert page.errors == []
