"""Real-time inference in Chromium: a run's inference pipeline, deployed, tested and consumed."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from app.config import ROOT
from tests.browser.test_designer_submit import pipeline_id
from tests.browser.test_endpoints_page import wait_finished

RUN_TIMEOUT = 60_000
INFERENCE_NODES = 8


def create_inference_pipeline(page):
    """Press "Create inference pipeline", then "Real-time inference pipeline": the draft opens."""
    page.get_by_role("button", name=re.compile("^Create inference pipeline")).click()
    page.get_by_role("menuitem", name="Real-time inference pipeline").click()
    expect(page.get_by_role("button", name=re.compile("real-time inference$"))).to_be_visible()
    expect(page.locator("g.node")).to_have_count(INFERENCE_NODES)
    expect(page.locator('g.node[data-node-id="web_service_output"]')).to_contain_text(
        "Web Service Output")
    return page.url.rsplit("/", 1)[1]


def score_in_test_tab(page, age: str) -> float:
    """Open the Test tab, score the example row with ``age``; the scored probability."""
    page.get_by_role("tab", name="Test").click()
    field = page.get_by_label(re.compile("^age"))
    expect(field).not_to_have_value("")
    field.fill(age)
    page.get_by_role("button", name="Test", exact=True).click()
    result = page.get_by_role("table", name="Test result")
    expect(result.locator('td[data-column="Scored Labels"]')).to_have_text(
        re.compile(r"^(<=50K|>50K)$"), timeout=RUN_TIMEOUT)
    expect(result.locator('td[data-column="age"]')).to_have_text(age)
    return float(result.locator('td[data-column="Scored Probabilities"]').inner_text())


def test_train_create_deploy_and_test_from_the_browser(page, client):
    income = pipeline_id(client, "Income prediction")
    page.goto(f"/pipelines/{income}")
    expect(page.get_by_role("button", name="Deploy")).to_have_count(0)  # no Web Service Output
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("dialog", name="Submit a run").get_by_role("button", name="Submit").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"))
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)

    draft = create_inference_pipeline(page)
    assert draft != income
    page.get_by_role("button", name="Deploy").click()
    dialog = page.get_by_role("dialog", name="Set up real-time endpoint")
    dialog.get_by_role("button", name="Deploy").click()
    expect(dialog.get_by_role("alert")).to_have_text("Give the new endpoint a name.")
    dialog.get_by_label("Name", exact=True).fill("9 lives")
    dialog.get_by_role("button", name="Deploy").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Endpoint name")
    dialog.get_by_label("Name", exact=True).fill("income-live")
    dialog.get_by_label("Description").fill("Income, scored live")
    dialog.get_by_role("button", name="Deploy").click()
    expect(dialog.get_by_role("status")).to_have_text(
        "Deployment 1 of income-live is serving income-prediction version 1.")
    expect(dialog.get_by_role("link", name="income-live")).to_have_attribute(
        "href", "/endpoints/realtime/income-live")
    dialog.get_by_role("button", name="Close").click()

    page.goto("/endpoints")
    page.get_by_role("tab", name="Real-time endpoints").click()
    table = page.get_by_role("table", name="Real-time endpoints")
    row = table.locator('tr[data-endpoint-name="income-live"]')
    cells = row.get_by_role("cell")
    expect(cells.nth(0)).to_contain_text("Income, scored live")
    expect(cells.nth(1)).to_have_text("income-prediction version 1")
    expect(cells.nth(1).get_by_role("link")).to_have_attribute("href", "/models/income-prediction")
    expect(cells.nth(2)).to_have_text("1")
    expect(cells.nth(3)).to_have_text("0")
    row.get_by_role("link", name="income-live").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("income-live")

    probability = score_in_test_tab(page, "61")
    assert 0 <= probability <= 1
    age = page.get_by_label(re.compile("^age"))
    age.fill("61.5")  # not an integer: the server's message names the row and column
    page.get_by_role("button", name="Test", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("row 0, column 'age': expected an integer")
    assert page.errors == []


@pytest.fixture
def deployed(client):
    """The Income sample trained, its inference pipeline deployed as income-live."""
    income = pipeline_id(client, "Income prediction")
    run_id = client.post(f"/api/v1/pipelines/{income}/runs", json={}).get_json()["id"]
    assert wait_finished(client, run_id)["status"] == "Finished"
    draft = client.post(f"/api/v1/runs/{run_id}/inference-pipeline").get_json()
    answer = client.post(f"/api/v1/pipelines/{draft['id']}/deploy", json={"name": "income-live"})
    assert answer.status_code == 201, answer.get_json()
    return income


def test_redeploy_from_the_designer_and_the_curl_example_scores(page, app, client, deployed):
    if not shutil.which("curl"):
        message = "curl is not installed (apt-get install curl)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: .ci/run must install it")
        pytest.skip(message)
    page.goto(f"/pipelines/{deployed}")  # it has a finished run: the designer offers it too
    create_inference_pipeline(page)
    # An edit made just before Deploy is saved first: the endpoint answers under the new name.
    page.locator('g.node[data-node-id="web_service_output"] .node-body').click()
    page.get_by_label("Name", exact=True).fill("Scores")
    page.get_by_role("button", name="Deploy").click()
    dialog = page.get_by_role("dialog", name="Set up real-time endpoint")
    dialog.get_by_label("Replace an existing real-time endpoint").check()
    expect(dialog.get_by_label("Endpoint to replace")).to_have_value("income-live")
    dialog.get_by_role("button", name="Deploy").click()
    expect(dialog.get_by_role("status")).to_contain_text("Deployment 2 of income-live")
    dialog.get_by_role("link", name="income-live").click()

    expect(page.get_by_test_id("deployment")).to_have_text("2")
    expect(page.locator(".page-head")).to_have_text("Real-time endpoints / income-liveHealthy")
    expect(page.get_by_test_id("served-model").get_by_role("link")).to_have_text(
        "income-prediction version 1")
    url = page.get_by_role("textbox", name="Scoring URL")
    expect(url).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/api/v1/score/income-live$"))
    expect(page.get_by_test_id("requests-count")).to_have_text("0")

    page.get_by_role("tab", name="Consume").click()
    curl = page.get_by_label("curl example", exact=True)
    expect(curl).to_contain_text("/oauth2/token")
    expect(curl).to_contain_text('"WebServiceInput0"')
    expect(page.get_by_label("Python example", exact=True)).to_contain_text(
        "/api/v1/score/income-live")
    client_id, secret = app.config["TEST_CLIENT_CREDENTIALS"]
    shell = curl.inner_text().replace("CLIENT_ID", client_id).replace("CLIENT_SECRET", secret)
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    scored = json.loads(done.stdout)["Results"]["Scores"]
    assert scored[0]["Scored Labels"] in ("<=50K", ">50K")
    script = page.get_by_label("Python example", exact=True).inner_text()
    script = script.replace("CLIENT_ID", client_id).replace("CLIENT_SECRET", secret)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Scores ")

    page.get_by_role("tab", name="Overview").click()
    expect(page.get_by_test_id("requests-count")).to_have_text("2")
    expect(page.get_by_test_id("requests-succeeded")).to_have_text("2")
    expect(page.get_by_test_id("latency")).to_have_text(re.compile(r"^\d+\.\d ms / "))
    assert page.errors == []


def retrain_from_the_endpoints_page(page, datastore, path):
    """Endpoints -> income-retrain -> Published pipelines -> Submit version 0 with another
    training file; waits for the run to finish."""
    page.goto("/endpoints")
    page.get_by_role("table", name="Pipeline endpoints").get_by_role(
        "link", name="income-retrain", exact=True).click()
    page.get_by_role("tab", name="Published pipelines").click()
    page.get_by_role("article", name="Version 0").get_by_role("button", name="Submit").click()
    submit = page.get_by_role("dialog", name="Submit income-retrain version 0")
    submit.get_by_label("training_data datastore").select_option(datastore)
    submit.get_by_label("training_data path").fill(path)
    submit.get_by_label("Experiment").fill("retrain-on-new-data")
    submit.get_by_role("button", name="Submit").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"), timeout=RUN_TIMEOUT)
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)


def test_the_whole_loop_retrain_compare_promote_and_the_score_changes(page, client, tmp_path):
    # New training data: the second half of the US sample, in a datastore of its own.
    lines = (ROOT / "sample_data" / "income" / "us.csv").read_text().splitlines(keepends=True)
    (tmp_path / "census").mkdir()
    (tmp_path / "census" / "second-half.csv").write_text(lines[0] + "".join(lines[1501:]))
    created = client.post("/api/v1/datastores", json={"name": "census",
                                                      "root": str(tmp_path / "census")})
    assert created.status_code == 201, created.get_json()

    # Train the Income sample, create its inference pipeline, deploy it.
    page.goto(f"/pipelines/{pipeline_id(client, 'Income prediction')}")
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("dialog", name="Submit a run").get_by_role("button", name="Submit").click()
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)
    create_inference_pipeline(page)
    page.get_by_role("button", name="Deploy").click()
    dialog = page.get_by_role("dialog", name="Set up real-time endpoint")
    dialog.get_by_label("Name", exact=True).fill("income-live")
    dialog.get_by_role("button", name="Deploy").click()
    dialog.get_by_role("link", name="income-live").click()
    champion_score = score_in_test_tab(page, "45")

    # Link the endpoint to the pipeline endpoint whose retrains are its challengers.
    page.get_by_role("tab", name="Challengers").click()
    expect(page.get_by_test_id("champion")).to_contain_text("income-prediction version 1")
    expect(page.get_by_role("region", name="Challengers")).to_contain_text("No challenger yet")
    settings = page.get_by_role("form", name="Champion / challenger settings")
    expect(settings.get_by_label("Pipeline endpoint")).to_contain_text("income-retrain")
    settings.get_by_label("Pipeline endpoint").select_option("income-retrain")
    settings.get_by_role("button", name="Save").click()
    expect(page.get_by_role("form", name="Champion / challenger settings").get_by_role(
        "status")).to_have_text("Saved")
    expect(page.get_by_role("region", name="Challengers")).to_contain_text(
        "retrain income-retrain to register one")

    retrain_from_the_endpoints_page(page, "census", "second-half.csv")

    # The challenger beside the champion, both scored on the challenger run's held-out rows.
    page.goto("/endpoints/realtime/income-live#challengers")
    challenger = page.get_by_role("article", name="income-retrain version 1")
    expect(challenger.get_by_test_id("compared-on")).to_contain_text(
        "Champion income-prediction version 1 and challenger income-retrain version 1, both "
        "scored on the 450 held-out rows", timeout=RUN_TIMEOUT)
    metrics = challenger.get_by_role("table", name="Metrics")
    expect(metrics.locator("thead")).to_have_text("MetricChampionChallenger")
    auc = metrics.locator('tr[data-metric="auc"] td')
    expect(auc).to_have_count(2)
    assert all(0.5 < float(a) <= 1 for a in auc.all_inner_texts())
    roc = challenger.locator('.chart[aria-label="ROC curve"]')
    expect(roc.locator(".scatterlayer .trace")).to_have_count(3)  # champion, challenger, chance
    for side in ("Champion", "Challenger"):
        expect(challenger.get_by_role("table", name=f"Confusion matrix: {side}")).to_contain_text(
            ">50K")

    # Promote it, with a reason; the decision is listed, the Test tab scores with it.
    challenger.get_by_role("button", name="Promote").click()
    confirm = page.get_by_role("dialog", name="Promote income-retrain version 1?")
    confirm.get_by_label("Reason").fill("trained on the newer half")
    confirm.get_by_role("button", name="Promote").click()
    expect(page.get_by_test_id("champion")).to_contain_text("income-retrain version 1")
    decisions = page.get_by_role("table", name="Decisions")
    expect(decisions.locator("tbody tr")).to_have_count(1)
    expect(decisions.locator("tbody tr")).to_contain_text("Promoted (by hand)")
    expect(decisions.locator("tbody tr")).to_contain_text("trained on the newer half")
    challenger_score = score_in_test_tab(page, "45")
    assert challenger_score != champion_score

    # Deployments: each version it served and how; the request log counts both Test requests.
    page.get_by_role("tab", name="Deployments").click()
    history = page.get_by_role("table", name="Deployments").locator("tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("Promoted")
    expect(history.nth(0)).to_contain_text("income-retrain version 1")
    expect(history.nth(1)).to_contain_text("Deployed")
    expect(history.nth(1)).to_contain_text("income-prediction version 1")
    expect(page.get_by_test_id("log-count")).to_have_text("2")
    expect(page.get_by_test_id("log-outcomes")).to_have_text("2 / 0")
    expect(page.get_by_test_id("log-latency")).to_have_text(re.compile(r"^\d+\.\d ms / "))
    expect(page.get_by_role("table", name="Request log").locator("tbody tr")).not_to_have_count(0)

    # Roll back to the first version: the first score again.
    page.get_by_role("tab", name="Challengers").click()
    page.get_by_role("button", name="Roll back to income-prediction version 1").click()
    confirm = page.get_by_role("dialog", name="Roll back to income-prediction version 1?")
    confirm.get_by_label("Reason").fill("the newer half overfits")
    confirm.get_by_role("button", name="Roll back to").click()
    expect(page.get_by_test_id("champion")).to_contain_text("income-prediction version 1")
    latest = page.get_by_role("table", name="Decisions").locator("tbody tr").first
    expect(latest).to_contain_text("Rolled back (by hand)")
    expect(latest).to_contain_text("the newer half overfits")
    assert score_in_test_tab(page, "45") == champion_score
    assert page.errors == []


def test_the_promotion_rule_is_set_in_the_challengers_tab(page, client, deployed):
    page.goto("/endpoints/realtime/income-live")
    page.get_by_role("tab", name="Challengers").click()
    settings = page.get_by_role("form", name="Champion / challenger settings")
    expect(settings.get_by_label("Pipeline endpoint")).to_have_value("")
    settings.get_by_label("Pipeline endpoint").select_option("income-retrain")
    settings.get_by_label("Promote automatically when the challenger is better").check()
    settings.get_by_label("Metric").select_option("accuracy")
    settings.get_by_label("Margin").fill("0.01")
    settings.get_by_role("button", name="Save").click()
    expect(settings.get_by_role("status")).to_have_text("Saved")
    saved = client.get("/api/v1/realtime-endpoints/income-live").get_json()
    assert saved["pipeline_endpoint"] == "income-retrain"
    assert saved["auto_promote"] == {"metric": "accuracy", "margin": 0.01}

    page.reload()  # the form shows what is saved
    settings = page.get_by_role("form", name="Champion / challenger settings")
    expect(settings.get_by_label("Pipeline endpoint")).to_have_value("income-retrain")
    automatic = settings.get_by_label("Promote automatically when the challenger is better")
    expect(automatic).to_be_checked()
    expect(settings.get_by_label("Metric")).to_have_value("accuracy")
    expect(settings.get_by_label("Margin")).to_have_value("0.01")
    automatic.uncheck()
    settings.get_by_role("button", name="Save").click()
    expect(settings.get_by_role("status")).to_have_text("Saved")
    assert client.get("/api/v1/realtime-endpoints/income-live").get_json()["auto_promote"] is None
    assert page.errors == []
