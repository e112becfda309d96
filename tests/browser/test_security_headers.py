"""Every page under its Content-Security-Policy, as a person uses it: no violations, charts safe."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_run_view import RUN_TIMEOUT, income, step, submit_document

LINK_COLUMN = "<a href=x>y</a>"
CSV = f'"{LINK_COLUMN}",kind\n' + "\n".join(f"{i},<b>k{i % 3}</b>" for i in range(20))


@pytest.fixture
def violations(page):
    """Console messages of the browser refusing something under the page's CSP."""
    found = []
    page.on("console", lambda m: found.append(m.text)
            if "Content Security Policy" in m.text else None)
    return found


def test_every_page_sends_the_security_headers(page):
    pipeline_id = income(page)["id"]
    for path in ("/login", "/pipelines", "/experiments", "/endpoints", "/datastores", "/admin",
                 f"/pipelines/{pipeline_id}"):
        headers = page.request.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path
        assert "strict-transport-security" not in headers, path  # plain HTTP here


def test_designer_and_pages_work_without_csp_violations(page, violations):
    for path in ("/pipelines", "/experiments", "/endpoints", "/datastores", "/admin"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    page.goto(f"/pipelines/{income(page)['id']}")
    expect(page.locator("g.node")).to_have_count(8)
    page.locator("g.node").first.click()
    page.wait_for_load_state("networkidle")
    assert violations == []
    assert page.errors == []


def test_run_view_and_charts_escape_column_names_without_csp_violations(page, violations):
    document = {"name": "Markup columns", "nodes": [
        {"id": "data", "module": "enter_data_manually", "params": {"data": CSV}}], "edges": []}
    page.goto(f"/runs/{submit_document(page, document, experiment='security')}")
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)
    step(page, "Enter Data Manually").click()
    page.get_by_role("tab", name="Outputs + logs").click()
    page.get_by_role("button", name=re.compile("^Visualize")).click()
    dialog = page.get_by_role("dialog")
    stats = dialog.get_by_role("table", name="Column statistics")
    for column in (LINK_COLUMN, "kind"):
        stats.locator("tr", has_text=column).first.click()
        chart = dialog.locator(".js-plotly-plot .main-svg").first
        expect(chart).to_be_visible()
        expect(dialog.locator(".js-plotly-plot svg a")).to_have_count(0)
        expect(dialog.locator(".js-plotly-plot svg")).not_to_have_count(0)
    expect(dialog.locator(".js-plotly-plot")).to_contain_text("<b>k0</b>")
    stats.locator("tr", has_text=LINK_COLUMN).first.click()
    title = dialog.locator(".js-plotly-plot .gtitle")
    expect(title).to_have_text(f"{LINK_COLUMN} (first 100 rows)")
    assert violations == []
    assert page.errors == []
