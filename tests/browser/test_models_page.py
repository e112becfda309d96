"""Models in Chromium: Register model on a run's Train Model output, the Models page, lineage."""

import re

from playwright.sync_api import expect

from tests.browser.test_run_view import (
    finished_income,  # noqa: F401 - a fixture
    step,
)


def test_register_a_runs_model_and_read_its_lineage(page, finished_income):  # noqa: F811
    page.goto("/models")
    expect(page.get_by_role("heading", level=1)).to_have_text("Models")
    expect(page.get_by_text("No models yet.")).to_be_visible()

    page.goto(f"/runs/{finished_income}")
    step(page, "Train Model").click()
    panel = page.get_by_role("complementary").filter(has=page.get_by_role("tab", name="Parameters"))
    panel.get_by_role("tab", name="Outputs + logs").click()
    name = panel.get_by_label("Model name")
    expect(name).to_have_value("income-prediction")
    name.fill("../bad name")
    panel.get_by_role("button", name="Register model").click()
    expect(panel.get_by_role("status")).to_contain_text("name")
    name.fill("census-income")
    panel.get_by_role("button", name="Register model").click()
    expect(panel.get_by_role("status")).to_have_text("Registered as census-income version 1.")
    panel.get_by_role("link", name="census-income version 1").click()

    expect(page).to_have_url(re.compile("/models/census-income$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Models / census-income")
    row = page.get_by_role("table", name="Model versions").locator('tr[data-version="1"]')
    expect(row.get_by_role("link", name=f"Run {finished_income[:8]}")).to_be_visible()
    expect(row).to_contain_text("registered by hand")
    expect(row).to_contain_text("samples:income/us.csv")
    expect(row).to_contain_text("sha256 ")
    expect(row).to_contain_text("training_data = samples:income/us.csv")
    expect(row.locator("dt", has_text="auc")).to_be_visible()
    download = row.get_by_role("link", name="Download version 1 (MLflow)")
    with page.expect_download() as info:
        download.click()
    assert info.value.suggested_filename == "census-income-1-mlflow.zip"

    page.get_by_role("navigation").get_by_role("link", name="Models").click()
    listed = page.get_by_role("table", name="Models").locator('tr[data-model="census-income"]')
    expect(listed.get_by_role("cell")).to_have_text(
        ["census-income", "Version 1", "1", "registered by hand", re.compile(".+")])
    assert page.errors == []
