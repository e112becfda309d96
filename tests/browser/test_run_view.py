"""The run view: live step status, outputs, Visualize, errors, cancel and resubmit, as a person."""

import copy
import re

import pytest
from playwright.sync_api import expect

from tests.browser import probe
from tests.browser.conftest import api
from tests.gate import gated_document

RUN_TIMEOUT = 60_000
STEPS = 8
SLOW_SQL = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1000000000) "
            "SELECT count(*) AS n FROM c;")


def income(page):
    pipelines = page.request.get("/api/v1/pipelines").json()["pipelines"]
    summary = next(p for p in pipelines if p["name"] == "Income prediction")
    return page.request.get(f"/api/v1/pipelines/{summary['id']}").json()


def submit(page, pipeline_id, **body):
    response = api(page, "POST", f"/api/v1/pipelines/{pipeline_id}/runs", data=body)
    assert response.status == 202, response.text()
    return response.json()["id"]


def submit_document(page, document, **body):
    response = api(page, "POST", "/api/v1/runs", data={"document": document, **body})
    assert response.status == 202, response.text()
    return response.json()["id"]


def step(page, label):
    return page.get_by_role("list", name="Steps").get_by_role("button").filter(
        has=page.locator(".step-label", has_text=re.compile(f"^{re.escape(label)}$")))


@pytest.fixture
def finished_income(page):
    """The Income sample submitted and watched until every step is Finished."""
    pipeline = income(page)
    run_id = submit(page, pipeline["id"], experiment="browser")
    page.goto(f"/runs/{run_id}")
    expect(page.get_by_role("heading", name="Income prediction")).to_be_visible()
    statuses = page.get_by_test_id("step-status")
    expect(statuses).to_have_count(STEPS)
    expect(statuses).to_have_text(["Finished"] * STEPS, timeout=RUN_TIMEOUT)
    expect(page.get_by_test_id("run-status")).to_have_text("Finished")
    return run_id


def test_every_step_reaches_finished_and_header_shows_the_run(page, finished_income):
    header = page.get_by_role("region", name="Run summary")
    expect(header).to_contain_text("browser")
    expect(header).to_contain_text("training_data = samples:income/us.csv")
    limits = header.locator("span", has=page.locator(".fact-label", has_text="Limits"))
    expect(limits.locator(".run-limits")).to_have_text("run 6 h · step 1 h · step memory 4096 MB")
    expect(header.get_by_role("button", name="Cancel", exact=True)).to_have_count(0)
    expect(page.locator('g.node[data-status="Finished"]')).to_have_count(STEPS)
    page.screenshot(path="test-results/run-view.png")
    assert page.errors == []


def test_step_parameters_and_split_data_row_count(page, finished_income):
    step(page, "Split Data").click()
    panel = page.get_by_role("complementary").filter(has=page.get_by_role("tab", name="Parameters"))
    expect(panel.get_by_role("heading", name="Split Data")).to_be_visible()
    params = panel.get_by_role("definition")
    expect(panel.locator('[data-param="fraction"]')).to_have_text("0.7")
    expect(params.first).to_be_visible()

    step(page, "Import Data").click()
    expect(panel.locator('[data-param="path"]')).to_contain_text("samples:income/us.csv")
    expect(panel.locator('[data-param="path"]')).to_contain_text("parameter training_data")

    step(page, "Split Data").click()
    panel.get_by_role("tab", name="Outputs + logs").click()
    download = panel.get_by_role("link", name=re.compile("^Download Results ?1$", re.I))
    expect(download).to_have_attribute("href", re.compile(r"/outputs/results1\?format=csv$"))
    panel.get_by_role("button", name=re.compile("^Visualize Results ?1$", re.I)).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_test_id("row-count")).to_have_text("2,100 rows")
    expect(dialog.get_by_role("table", name="First rows").locator("tbody tr")).to_have_count(100)
    stats = dialog.get_by_role("table", name="Column statistics")
    expect(stats.locator('tr[data-column="age"]')).to_be_visible()
    expect(stats.get_by_role("img", name="Histogram of age").locator("rect")).to_have_count(12)
    expect(stats.get_by_role("img", name="Histogram of education", exact=True)).to_have_count(0)
    stats.locator('tr[data-column="education"]').click()
    expect(dialog.locator(".js-plotly-plot")).to_be_visible()
    expect(dialog).to_contain_text("Top")
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert page.errors == []


def test_evaluate_model_metrics_and_charts(page, finished_income):
    step(page, "Evaluate Model").click()
    page.get_by_role("tab", name="Outputs + logs").click()
    page.get_by_role("button", name=re.compile("^Visualize")).click()
    dialog = page.get_by_role("dialog")
    metrics = dialog.get_by_role("table", name="Metrics")
    expect(metrics.locator('tr[data-metric="auc"]')).to_contain_text(re.compile(r"^AUC\s*0\.\d{4}$"))
    expect(metrics.locator('tr[data-metric="f1"] th')).to_have_text("F1 score")
    expect(dialog.locator(".js-plotly-plot").first).to_be_visible()
    expect(dialog.get_by_role("table", name="Confusion matrix")).to_contain_text(">50K")
    expect(dialog.get_by_label("Lift chart").locator(".main-svg").first).to_be_visible()
    assert page.errors == []


def cells(table):
    return [int(text.replace(",", "")) for text in table.locator("tbody td").all_inner_texts()]


def test_threshold_slider_moves_metrics_and_confusion_matrix(page, finished_income):
    evaluation = page.request.get(f"/api/v1/runs/{finished_income}/steps/evaluate/outputs/"
                                  "evaluation_results/preview").json()["value"]
    counts = evaluation["curves"]["threshold_counts"]
    step(page, "Evaluate Model").click()
    page.get_by_role("tab", name="Outputs + logs").click()
    page.get_by_role("button", name=re.compile("^Visualize")).click()
    dialog = page.get_by_role("dialog")
    matrix = dialog.get_by_role("table", name="Confusion matrix")
    recall = dialog.get_by_role("table", name="Metrics").locator('tr[data-metric="recall"] td')
    expect(dialog.get_by_test_id("threshold-value")).to_have_text("0.50")
    expect(recall).to_have_text(f"{evaluation['metrics']['recall']:.4f}")
    at_half = cells(matrix)

    slider = dialog.get_by_role("slider", name="Threshold")
    slider.focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    expect(dialog.get_by_test_id("threshold-value")).to_have_text("0.70")
    tn, fp, fn, tp = (counts[k][70] for k in ("tn", "fp", "fn", "tp"))
    expect(matrix.locator("tbody td")).to_have_text([f"{n:,}" for n in (tn, fp, fn, tp)])
    expect(recall).to_have_text(f"{tp / (tp + fn):.4f}")
    assert cells(matrix) != at_half and sum(cells(matrix)) == sum(at_half)
    page.screenshot(path="test-results/visualize-threshold.png")
    assert page.errors == []


def test_failing_step_shows_its_error(page):
    document = copy.deepcopy(income(page)["document"])
    for node in document["nodes"]:
        if node["id"] == "train":
            node["params"]["label_column"] = "incme"
    run_id = submit_document(page, document, experiment="failures")
    page.goto(f"/runs/{run_id}")
    expect(page.get_by_test_id("run-status")).to_have_text("Failed", timeout=RUN_TIMEOUT)
    expect(step(page, "Train Model").get_by_test_id("step-status")).to_have_text("Failed")
    expect(step(page, "Score Model").get_by_test_id("step-status")).to_have_text("Skipped")
    step(page, "Train Model").click()
    page.get_by_role("tab", name="Outputs + logs").click()
    error = page.locator(".step-error")
    expect(error).to_contain_text("label column 'incme' is not in the data set")
    expect(error.locator(".error-type")).not_to_be_empty()
    error.get_by_text("Traceback", exact=True).click()
    expect(error.locator("pre")).to_contain_text("Traceback (most recent call last)")
    expect(page.get_by_label("Step log")).to_contain_text(
        "incme")
    assert page.errors == []


def sql_document(name, sql, data="a\n1\n2\n"):
    """Enter Data Manually feeding one Apply SQL Transformation."""
    return {"name": name, "nodes": [
        {"id": "data", "module": "enter_data_manually", "position": {"x": 0, "y": 0},
         "params": {"data": data}},
        {"id": "sql", "module": "apply_sql_transformation", "position": {"x": 0, "y": 120},
         "params": {"sql": sql}}],
        "edges": [{"from": {"node": "data", "port": "dataset"},
                   "to": {"node": "sql", "port": "t1"}}]}


def test_cancel_a_long_run(page):
    run_id = submit_document(page, sql_document("Slow SQL", SLOW_SQL), experiment="slow")
    page.goto(f"/runs/{run_id}")
    expect(step(page, "Apply SQL Transformation").get_by_test_id("step-status")).to_have_text(
        "Running", timeout=RUN_TIMEOUT)
    step(page, "Apply SQL Transformation").click()
    page.get_by_role("button", name="Cancel", exact=True).click()
    expect(page.get_by_test_id("run-status")).to_have_text("Canceled", timeout=RUN_TIMEOUT)
    expect(page.get_by_role("button", name="Cancel", exact=True)).to_have_count(0)
    assert page.errors == []


def test_resubmit_opens_the_new_run(page, finished_income):
    page.get_by_role("button", name="Resubmit").click()
    dialog = page.get_by_role("dialog", name="Resubmit run")
    expect(dialog.get_by_label("Experiment")).to_have_value("browser")
    expect(dialog.get_by_label("training_data path")).to_have_value("income/us.csv")
    dialog.get_by_label("Experiment").fill("again")
    dialog.get_by_label("Description").fill("second try")
    dialog.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/runs/(?!" + finished_income + ")"))
    expect(page.get_by_role("region", name="Run summary")).to_contain_text("again")
    expect(page.get_by_role("region", name="Run summary")).to_contain_text("second try")
    expect(page.get_by_test_id("step-status")).to_have_text(
        [re.compile("Finished|Reused")] * STEPS, timeout=RUN_TIMEOUT)
    assert page.errors == []


def diabetes(page):
    pipelines = page.request.get("/api/v1/pipelines").json()["pipelines"]
    return next(p for p in pipelines if p["name"] == "Diabetes progression regression")


def test_polling_fallback_canvas_click_and_regression_charts(page):
    page.route("**/api/v1/runs/*/events", lambda route: route.fulfill(status=503, body="down"))
    run_id = submit(page, diabetes(page)["id"], experiment="regression")
    page.goto(f"/runs/{run_id}")
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)
    expect(page.get_by_test_id("step-status")).to_have_text(["Finished"] * 6)
    node = page.locator('g.node[data-node-id="evaluate"]')
    expect(node).to_have_attribute("data-status", "Finished")
    node.click()
    expect(step(page, "Evaluate Model")).to_have_attribute("aria-pressed", "true")
    panel = page.get_by_role("complementary").filter(has=page.get_by_role("tab", name="Parameters"))
    expect(panel.get_by_role("heading", name="Evaluate Model")).to_be_visible()
    panel.get_by_role("tab", name="Outputs + logs").click()
    expect(panel.get_by_label("Step log")).to_contain_text("rmse")
    panel.get_by_role("button", name=re.compile("^Visualize")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator('tr[data-metric="rmse"]')).to_contain_text(re.compile(r"\d+\.\d{4}"))
    expect(dialog.locator('tr[data-metric="mae"] th')).to_have_text("Mean absolute error")
    expect(dialog.get_by_label("Residual plot").locator(".main-svg").first).to_be_visible()
    expect(dialog.get_by_role("slider", name="Threshold")).to_have_count(0)
    expect(dialog.get_by_label("Predicted vs actual").locator(".main-svg").first).to_be_visible()
    residuals = dialog.get_by_label("Residuals (actual − predicted)")
    expect(residuals.locator(".main-svg").first).to_be_visible()
    assert page.errors == []


def test_resubmit_after_the_pipeline_was_deleted(page):
    pipeline = diabetes(page)
    run_id = submit(page, pipeline["id"], experiment="orphans")
    assert api(page, "DELETE", f"/api/v1/pipelines/{pipeline['id']}").status == 204
    page.goto(f"/runs/{run_id}")
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)
    page.get_by_role("button", name="Resubmit").click()
    dialog = page.get_by_role("dialog", name="Resubmit run")
    dialog.get_by_label("training_data path").fill("diabetes/missing.csv")
    dialog.get_by_role("button", name="Submit").click()
    expect(dialog.get_by_role("alert")).to_contain_text("missing.csv")
    dialog.get_by_label("training_data path").fill("diabetes/diabetes.csv")
    dialog.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/runs/(?!" + run_id + ")"))
    summary = page.get_by_role("region", name="Run summary")
    expect(summary).to_contain_text("orphans")
    expect(summary.get_by_role("heading")).to_have_text("Diabetes progression regression")
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)
    assert page.errors == []


def test_a_late_answer_does_not_turn_the_run_status_back(page, tmp_path):
    release = tmp_path / "release"
    run_id = submit_document(page, gated_document("Held run", release), experiment="late")
    run_url = rf"/api/v1/runs/{run_id}$"
    held, asked = [], []

    def answer(route):
        asked.append(route.request.url)
        if len(asked) == 2:  # the first refresh after the page loaded: its answer comes last
            held.append((route, route.fetch()))
        else:
            route.continue_()

    probe.install(page)
    page.route(re.compile(run_url), answer)
    page.goto(f"/runs/{run_id}")
    # Enter Data's Finished event asks for that refresh while the gate holds the run.
    probe.wait_until(page, lambda: held, what="the first refresh")
    route, response = held[0]
    assert response.json()["status"] == "Running"
    release.touch()
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)
    # The stream has ended, and the refresh its end asked for is answered and shown.
    probe.wait_for(page, """(p, url) => p.ends > 0 && p.count(p.asked.slice(p.askedAtEnd), url) > 0
        && p.count(p.read, url) === p.count(p.asked, url) - 1""", run_url)
    requests = len(asked)
    route.fulfill(response=response)
    probe.wait_for(page, "(p, url) => p.count(p.read, url) === p.count(p.asked, url)", run_url)
    assert len(asked) == requests  # nothing after the late answer could put it right
    expect(page.get_by_test_id("run-status")).to_have_text("Finished")
    expect(step(page, "Test Gate").get_by_test_id("step-status")).to_have_text("Finished")
    assert page.errors == []


def test_run_page_polls_to_finished_when_its_live_stream_is_refused(app, page):
    app.config["DESIGNER_SSE_MAX"] = 0  # every live-update stream is refused
    refused = []
    page.on("response", lambda r: refused.append(r.status) if "/events" in r.url else None)
    run_id = submit(page, income(page)["id"], experiment="browser")
    page.goto(f"/runs/{run_id}")
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)
    expect(page.get_by_test_id("step-status")).to_have_text(["Finished"] * STEPS)
    assert refused and set(refused) == {429}


def test_a_multiclass_evaluation_shows_each_class(page):
    """A forest predicting race: averaged metrics, a per-class table, an N x N matrix."""
    document = income(page)["document"]
    learner = next(n for n in document["nodes"] if n["module"] == "two_class_boosted_decision_tree")
    learner["module"], learner["params"] = "multiclass_decision_forest", {}
    train = next(n for n in document["nodes"] if n["module"] == "train_model")
    train["params"]["label_column"] = "race"
    run_id = submit_document(page, document, experiment="multiclass")
    page.goto(f"/runs/{run_id}")
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)
    step(page, "Evaluate Model").click()
    page.get_by_role("tab", name="Outputs + logs").click()
    page.get_by_role("button", name=re.compile("^Visualize")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator('tr[data-metric="macro_recall"]')).to_contain_text(
        re.compile(r"macro_recall\s*0\.\d{4}"))
    per_class = dialog.get_by_role("table", name="Per-class metrics")
    expect(per_class.locator("tbody tr")).to_have_count(5)
    expect(per_class).to_contain_text("Asian-Pac-Islander")
    matrix = dialog.get_by_role("table", name="Confusion matrix")
    expect(matrix.locator("tbody tr")).to_have_count(5)
    assert page.errors == []
