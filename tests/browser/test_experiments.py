"""The Experiments page: runs grouped by experiment, status filter, compare, as a person."""

import re

from playwright.sync_api import expect

from tests.browser import probe
from tests.browser.conftest import api

RUN_TIMEOUT = 60_000


def pipeline_ids(page):
    pipelines = page.request.get("/api/v1/pipelines").json()["pipelines"]
    return {p["name"]: p["id"] for p in pipelines}


def submit_and_wait(page, pipeline_id, experiment):
    response = api(page, "POST", f"/api/v1/pipelines/{pipeline_id}/runs",
                   data={"experiment": experiment})
    assert response.status == 202, response.text()
    run_id = response.json()["id"]
    page.goto(f"/runs/{run_id}")
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)
    return run_id


def failing_run(page, experiment):
    document = {"name": "Broken import", "nodes": [
        {"id": "data", "module": "enter_data_manually", "position": {"x": 0, "y": 0},
         "params": {"data": "a,b\n1,2\n"}},
        {"id": "sql", "module": "apply_sql_transformation", "position": {"x": 0, "y": 120},
         "params": {"sql": "SELECT nope FROM t1;"}}],
        "edges": [{"from": {"node": "data", "port": "dataset"},
                   "to": {"node": "sql", "port": "t1"}}]}
    response = api(page, "POST", "/api/v1/runs",
                   data={"document": document, "experiment": experiment})
    assert response.status == 202, response.text()
    run_id = response.json()["id"]
    page.goto(f"/runs/{run_id}")
    expect(page.get_by_test_id("run-status")).to_have_text("Failed", timeout=RUN_TIMEOUT)
    return run_id


def test_runs_grouped_filtered_and_compared(page):
    ids = pipeline_ids(page)
    income = submit_and_wait(page, ids["Income prediction"], "income-exp")
    diabetes = submit_and_wait(page, ids["Diabetes progression regression"], "diabetes-exp")
    failing_run(page, "diabetes-exp")

    page.goto("/experiments")
    income_group = page.get_by_role("region", name="Experiment income-exp")
    diabetes_group = page.get_by_role("region", name="Experiment diabetes-exp")
    expect(income_group.locator("tbody tr")).to_have_count(1)
    expect(diabetes_group.locator("tbody tr")).to_have_count(2)
    income_row = income_group.locator(f'tr[data-run-id="{income}"]')
    expect(income_row).to_contain_text("Income prediction")
    expect(income_row).to_contain_text("Finished")
    expect(income_row).to_contain_text("training_data=samples:income/us.csv")
    expect(income_row).to_contain_text(re.compile(r"accuracy 0\.\d{4}"))
    expect(diabetes_group).to_contain_text("Failed")

    page.get_by_label("Status").select_option("Failed")
    expect(page.get_by_role("region", name="Experiment income-exp")).to_have_count(0)
    expect(diabetes_group.locator("tbody tr")).to_have_count(1)
    expect(diabetes_group).to_contain_text("Broken import")
    page.get_by_label("Status").select_option("Finished")
    expect(diabetes_group.locator("tbody tr")).to_have_count(1)
    expect(diabetes_group).to_contain_text("Diabetes progression regression")
    page.get_by_label("Status").select_option("")
    expect(diabetes_group.locator("tbody tr")).to_have_count(2)

    compare = page.get_by_role("button", name="Compare")
    expect(compare).to_be_disabled()
    page.get_by_role("checkbox", name=re.compile(f"Select run {income[:8]}")).check()
    page.get_by_role("checkbox", name=re.compile(f"Select run {diabetes[:8]}")).check()
    expect(page.get_by_text("2 selected")).to_be_visible()
    compare.click()
    table = page.get_by_role("table", name="Run comparison")
    expect(table.locator("thead th")).to_have_count(3)
    expect(table.locator("thead")).to_contain_text("Income prediction")
    expect(table.locator("thead")).to_contain_text("Diabetes progression regression")
    auc = table.locator('tr[data-metric="auc"] td')
    expect(auc).to_have_count(2)
    expect(auc.nth(0)).to_have_text(re.compile(r"0\.\d{4}"))
    expect(auc.nth(1)).to_have_text("—")
    rmse = table.locator('tr[data-metric="rmse"] td')
    expect(rmse.nth(0)).to_have_text("—")
    expect(rmse.nth(1)).to_have_text(re.compile(r"\d+\.\d{4}"))
    expect(table.locator('tr[data-param="training_data"] td').nth(1)).to_have_text(
        "samples:diabetes/diabetes.csv")

    income_row.get_by_role("link", name="Income prediction").click()
    page.wait_for_url(f"**/runs/{income}")
    assert page.errors == []


def test_a_late_answer_for_the_previous_filter_does_not_replace_the_list(page):
    ids = pipeline_ids(page)
    submit_and_wait(page, ids["Diabetes progression regression"], "mixed")
    failing = failing_run(page, "mixed")
    held = []  # answers for the unfiltered list, kept back until the Failed list is drawn

    def answer(route):
        if "status=" in route.request.url:
            route.continue_()
        else:
            held.append((route, route.fetch()))

    page.goto("/experiments")
    expect(page.get_by_role("region", name="Experiment mixed").locator("tbody tr")).to_have_count(2)
    probe.install(page)
    page.route(re.compile(r"/api/v1/runs\?"), answer)
    page.reload()
    probe.wait_until(page, lambda: held, what="the unfiltered list's request")
    page.get_by_label("Status").select_option("Failed")
    rows = page.get_by_role("region", name="Experiment mixed").locator("tbody tr")
    expect(rows).to_have_count(1)
    for route, response in held:
        route.fulfill(response=response)
    # Every answer the page asked for, the late ones included, has been read and handled.
    probe.wait_for(page, "(p, url) => p.count(p.read, url) === p.count(p.asked, url)",
                   r"/api/v1/runs\?")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-run-id", failing)
    assert page.errors == []
