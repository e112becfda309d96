"""Designer page in Chromium: Submit, validation badges, escaping, help, two tabs at once."""

import re

from playwright.sync_api import expect


def pipeline_id(client, name):
    """The id of the stored pipeline called ``name``."""
    return next(p["id"] for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
                if p["name"] == name)


def body(page, node_id):
    return page.locator(f'g.node[data-node-id="{node_id}"] .node-body')


def test_submit_dialog_runs_the_income_sample(page, client):
    pid = pipeline_id(client, "Income prediction")
    page.goto(f"/pipelines/{pid}")
    expect(page.locator("g.node")).to_have_count(8)
    page.get_by_role("button", name="Submit").click()
    dialog = page.get_by_role("dialog", name="Submit a run")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Experiment")).to_have_value("default")
    expect(dialog.get_by_label("training_data datastore")).to_have_value("samples")
    expect(dialog.get_by_label("training_data path")).to_have_value("income/us.csv")
    dialog.get_by_label("Experiment").fill("income-browser")
    dialog.get_by_label("Description").fill("from the designer")
    dialog.get_by_role("button", name="Submit").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"))
    run_id = page.url.rsplit("/", 1)[1]
    run = client.get(f"/api/v1/runs/{run_id}").get_json()
    assert run["experiment"] == "income-browser"
    assert run["description"] == "from the designer"
    assert run["parameters"]["training_data"] == {"datastore": "samples", "path": "income/us.csv"}


def test_submit_saves_pending_edits_first(page, client):
    pid = pipeline_id(client, "Income prediction")
    page.goto(f"/pipelines/{pid}")
    body(page, "split").click()
    page.get_by_label("Fraction", exact=True).fill("0.6")
    page.get_by_role("button", name="Submit").click()   # before the autosave delay runs out
    dialog = page.get_by_role("dialog", name="Submit a run")
    dialog.get_by_role("button", name="Submit").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"))
    stored = client.get(f"/api/v1/pipelines/{pid}").get_json()["document"]
    assert next(n for n in stored["nodes"] if n["id"] == "split")["params"]["fraction"] == 0.6


def test_node_errors_show_a_badge_and_block_submit(page, client):
    pid = pipeline_id(client, "Income prediction")
    page.goto(f"/pipelines/{pid}")
    body(page, "split").click()
    fraction = page.get_by_label("Fraction", exact=True)
    fraction.fill("3")
    message = page.locator('.details .field[data-param="fraction"] .field-message')
    expect(message.first).to_have_text("Must be between 0 and 1.")
    split = page.locator('g.node[data-node-id="split"]')
    expect(split).to_have_attribute("data-has-errors", "true")
    split.locator(".error-badge").hover()
    expect(page.get_by_role("tooltip")).to_contain_text("'fraction' parameter of Split Data")

    # A missing input: delete the wire into Train Model's data set (click it, Delete).
    page.locator('path.wire-hit[data-to="train.dataset"]').click(force=True)
    page.keyboard.press("Delete")
    train = page.locator('g.node[data-node-id="train"]')
    expect(train).to_have_attribute("data-has-errors", "true")
    expect(page.get_by_role("button", name="2 problems")).to_be_visible()

    page.get_by_role("button", name="Submit").click()
    problems = page.get_by_role("dialog", name="Fix these problems before submitting")
    expect(problems).to_be_visible()
    expect(problems.get_by_role("listitem")).to_have_count(2)
    expect(problems).to_contain_text("Split Data")
    expect(problems).to_contain_text("Required input 'dataset' of Train Model is not connected.")
    problems.get_by_role("button", name="Train Model").click()
    expect(problems).to_be_hidden()
    expect(page.locator(".details .panel-title")).to_have_text("Train Model")
    expect(page.locator(".details .node-problems")).to_contain_text("not connected")
    assert client.get(f"/api/v1/runs?pipeline={pid}").get_json()["runs"] == []
    assert page.errors == []


def test_a_script_in_the_pipeline_name_is_text(page, client):
    name = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    document = {"schema_version": 1, "name": name, "nodes": [], "edges": [], "parameters": []}
    created = client.post("/api/v1/pipelines", json={"document": document}).get_json()
    page.goto(f"/pipelines/{created['id']}")
    expect(page.locator(".designer-title")).to_have_text(name)
    expect(page).to_have_title(f"{name} · Pipeline Designer")
    assert page.evaluate("window.pwned") is None
    assert page.locator(".designer-title script, .designer-title img").count() == 0
    assert page.errors == []


def test_help_overlay_opens_with_question_mark(page, client):
    page.goto(f"/pipelines/{pipeline_id(client, 'Income prediction')}")
    expect(page.locator("g.node")).to_have_count(8)
    page.locator("svg.canvas").focus()
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Undo")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()


def test_a_stale_tab_is_told_and_does_not_overwrite(page, client):
    pid = pipeline_id(client, "Income prediction")
    other = page.context.new_page()
    page.goto(f"/pipelines/{pid}")
    other.goto(f"/pipelines/{pid}")
    expect(other.locator("g.node")).to_have_count(8)

    body(page, "learner").click()
    page.get_by_label("Random number seed").fill("7")
    expect(page.locator(".save-state")).to_have_text("Saved", timeout=10_000)

    body(other, "split").click()
    other.get_by_label("Fraction", exact=True).fill("0.9")
    expect(other.get_by_role("alert").filter(has_text="changed in another tab")).to_be_visible()
    expect(other.locator(".save-state")).to_have_text("Not saved: changed in another tab")
    stored = client.get(f"/api/v1/pipelines/{pid}").get_json()["document"]
    params = {n["id"]: n["params"] for n in stored["nodes"]}
    assert params["learner"]["seed"] == 7 and params["split"]["fraction"] == 0.7

    other.get_by_role("button", name="Reload").click()
    body(other, "learner").click()
    expect(other.get_by_label("Random number seed")).to_have_value("7")
    assert page.errors == []


def test_submit_dialog_checks_parameter_values_before_submitting(page, client):
    pid = pipeline_id(client, "Income prediction")
    revision = client.get(f"/api/v1/pipelines/{pid}").get_json()["revision"]
    added = client.post(f"/api/v1/pipelines/{pid}/parameters", json={
        "revision": revision,
        "parameter": {"name": "split_seed", "type": "int", "default": 0, "min": 0, "max": 99},
        "attach": [{"node": "split", "field": "seed"}]})
    assert added.status_code == 201, added.get_json()
    page.goto(f"/pipelines/{pid}")
    page.get_by_role("button", name="Submit").click()
    dialog = page.get_by_role("dialog", name="Submit a run")
    seed = dialog.get_by_label("split_seed")
    seed.fill("120")
    path = dialog.get_by_label("training_data path")
    path.fill("")
    dialog.get_by_role("button", name="Submit").click()
    expect(dialog.get_by_role("alert")).to_have_text("Correct the marked parameters.")
    expect(dialog.get_by_text("Must be between 0 and 99.")).to_be_visible()
    expect(dialog.get_by_text("Give the path of a file in the datastore.")).to_be_visible()
    expect(seed).to_have_attribute("aria-invalid", "true")
    expect(path).to_have_attribute("aria-invalid", "true")
    assert client.get(f"/api/v1/runs?pipeline={pid}").get_json()["runs"] == []
    seed.fill("7")
    path.fill("income/non_us.csv")
    dialog.get_by_role("button", name="Submit").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"))
    run = client.get(f"/api/v1/runs/{page.url.rsplit('/', 1)[1]}").get_json()
    assert run["parameters"]["split_seed"] == 7
    assert run["parameters"]["training_data"] == {"datastore": "samples",
                                                  "path": "income/non_us.csv"}
    assert page.errors == []
