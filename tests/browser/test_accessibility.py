"""Every page checked by axe-core in Chromium: no serious or critical violation.

axe-core comes from its npm package (a dev dependency, installed by `npm ci`). The page's
Content-Security-Policy allows only its own scripts, so axe is evaluated through the browser's
debugging protocol rather than by a script tag the page would refuse.
"""

import re

import pytest
from playwright.sync_api import expect

from app.config import ROOT
from tests.browser.test_designer_submit import pipeline_id
from tests.browser.test_endpoints_page import wait_finished
from tests.conftest import missing

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_source() -> str:
    """axe-core's browser build; the tests cannot check without it."""
    if not AXE.exists():
        missing(f"{AXE.relative_to(ROOT)} is missing (npm ci installs it)")
    return AXE.read_text(encoding="utf-8")


def describe(violations) -> str:
    """One line per rule and element, so a failure says what to fix and where."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['impact']}: {violation['id']} - {violation['help']}")
        lines += [f"    {node['target']}: {node['failureSummary'].splitlines()[-1].strip()}"
                  for node in violation["nodes"]]
    return "\n".join(lines)


def assert_accessible(page) -> None:
    """Run axe-core on the page as shown; fail on any serious or critical violation."""
    page.evaluate(axe_source())
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
    assert not blocking, "axe-core found:\n" + describe(blocking)
    assert page.errors == []


def heading(page, text):
    """Wait until the page's own script has drawn its first-level heading."""
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(text))


@pytest.fixture
def trained(client):
    """A finished run of the Income sample; its id."""
    run_id = client.post(f"/api/v1/pipelines/{pipeline_id(client, 'Income prediction')}/runs",
                         json={}).get_json()["id"]
    assert wait_finished(client, run_id)["status"] == "Finished"
    return run_id


def test_login(browser, live_server):
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.errors = []
    page.goto("/login")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert_accessible(page)
    context.close()


def test_designer(page, client):
    page.goto(f"/pipelines/{pipeline_id(client, 'Income prediction')}")
    expect(page.locator("g.node")).to_have_count(8)
    assert_accessible(page)
    page.locator('g.node[data-node-id="select"]').click()  # the details panel opens
    expect(page.get_by_role("complementary").get_by_text("Select Columns")).not_to_have_count(0)
    assert_accessible(page)
    for key, name in (("c", "Connect Select Columns in Dataset"), ("?", "Keyboard shortcuts")):
        page.keyboard.press(key)
        dialog = page.get_by_role("dialog", name=name)
        expect(dialog).to_be_visible()
        assert_accessible(page)
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("dialog", name="Submit a run")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize(("path", "title"), [
    ("/", "Pipelines"), ("/experiments", "Experiments"), ("/endpoints", "Endpoints"),
    ("/endpoints/income-retrain", "income-retrain"), ("/datastores", "Datastores"),
    ("/admin", "Admin"), ("/models", "Models"),
    ("/modules/extract_ngram_features/help", "Extract N-Gram Features from Text"),
])
def test_listing_pages(page, path, title):
    page.goto(path)
    heading(page, title)
    page.wait_for_load_state("networkidle")
    assert_accessible(page)


def test_run_view(page, trained):
    page.goto(f"/runs/{trained}")
    expect(page.get_by_test_id("run-status")).to_have_text("Finished")
    expect(page.get_by_test_id("step-status").first).to_have_text("Finished")
    assert_accessible(page)
    page.locator('g.node[data-node-id="evaluate"]').click()  # its metrics and charts open
    expect(page.get_by_role("tab", name="Outputs + logs")).to_be_visible()
    assert_accessible(page)


def test_models_with_a_registered_model(page, client, trained):
    answer = client.post(f"/api/v1/runs/{trained}/steps/train/register",
                         json={"name": "census-income"})
    assert answer.status_code == 201, answer.get_json()
    page.goto("/models/census-income")
    expect(page.get_by_role("table", name="Model versions")).to_be_visible()
    assert_accessible(page)


def test_realtime_endpoint(page, client, trained):
    draft = client.post(f"/api/v1/runs/{trained}/inference-pipeline").get_json()
    answer = client.post(f"/api/v1/pipelines/{draft['id']}/deploy", json={"name": "income-live"})
    assert answer.status_code == 201, answer.get_json()
    page.goto("/endpoints/realtime/income-live")
    heading(page, "income-live")
    page.wait_for_load_state("networkidle")
    assert_accessible(page)
