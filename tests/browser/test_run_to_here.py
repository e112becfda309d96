"""Run to here in Chromium: a node's action runs it and what it depends on, shown on the canvas
and in the run view."""

import re

from playwright.sync_api import expect

from tests.browser.test_designer_submit import body, pipeline_id

RUN_TIMEOUT = 60_000
UPSTREAM = ["import", "clean", "select", "split"]
LEFT_OUT = ["learner", "train", "score", "evaluate"]


def test_run_to_here_previews_the_edited_node_without_the_rest(page, client):
    pid = pipeline_id(client, "Income prediction")
    page.goto(f"/pipelines/{pid}")
    expect(page.locator("g.node")).to_have_count(8)
    body(page, "split").click()
    page.get_by_label("Fraction", exact=True).fill("0.6")
    page.get_by_role("button", name="Run to here").click()   # before the autosave delay runs out

    for node_id in UPSTREAM:
        expect(page.locator(f'g.node[data-node-id="{node_id}"]')).to_have_attribute(
            "data-status", "Finished", timeout=RUN_TIMEOUT)
    for node_id in LEFT_OUT:
        expect(page.locator(f'g.node[data-node-id="{node_id}"]')).not_to_have_attribute(
            "data-status", re.compile("."))
    link = page.get_by_role("link", name="Last run: Finished")
    expect(link).to_have_attribute("title", "Run to here: Split Data (split)")

    link.click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"))
    expect(page.get_by_role("region", name="Run summary")).to_contain_text(
        "Run to here: Split Data (split)")
    expect(page.get_by_test_id("step-status")).to_have_text(["Finished"] * 4)
    expect(page.locator("g.node")).to_have_count(4)
    steps = page.get_by_role("list", name="Steps")
    steps.get_by_role("button").filter(has_text="Split Data").click()
    page.get_by_role("tab", name="Outputs + logs").click()
    page.get_by_role("button", name=re.compile("^Visualize Results ?1$", re.I)).click()
    expect(page.get_by_role("dialog").get_by_test_id("row-count")).to_have_text("1,800 rows")
    assert page.errors == []


def test_a_second_run_to_here_reuses_the_first(page, client):
    pid = pipeline_id(client, "Income prediction")
    page.goto(f"/pipelines/{pid}")
    body(page, "select").click()
    page.get_by_role("button", name="Run to here").click()
    select = page.locator('g.node[data-node-id="select"]')
    expect(select).to_have_attribute("data-status", "Finished", timeout=RUN_TIMEOUT)
    body(page, "split").click()
    page.get_by_role("button", name="Run to here").click()
    split = page.locator('g.node[data-node-id="split"]')
    expect(split).to_have_attribute("data-status", "Finished", timeout=RUN_TIMEOUT)
    expect(select).to_have_attribute("data-status", "Reused")
    expect(page.locator('g.node[data-node-id="train"]')).not_to_have_attribute(
        "data-status", re.compile("."))
    assert page.errors == []


def test_a_problem_upstream_is_named(page, client):
    pid = pipeline_id(client, "Income prediction")
    page.goto(f"/pipelines/{pid}")
    body(page, "split").click()
    page.get_by_label("Fraction", exact=True).fill("3")
    body(page, "score").click()
    page.get_by_role("button", name="Run to here").click()
    expect(page.locator(".toast-error")).to_contain_text("invalid pipeline")
    expect(page.locator(".toast-error")).to_contain_text("split")
    assert client.get("/api/v1/runs").get_json()["runs"] == []
