"""Export as Python in Chromium: the downloaded script prints the run's metrics."""

from playwright.sync_api import expect

from tests.api.test_export import pipeline_id, run_script
from tests.conftest import wait_for


def finished_metrics(client, run_id) -> dict:
    """The metrics of a run once it finished (the live server's dispatcher runs it)."""
    def finished():
        run = client.get(f"/api/v1/runs/{run_id}").get_json()
        return run if run["status"] in ("Finished", "Failed", "Canceled") else None
    run = wait_for(finished, f"run {run_id} to end", timeout=600)
    assert run["status"] == "Finished", run
    return run["metrics"]


def downloaded_script(page, button) -> tuple[str, str]:
    """Click an Export as Python button; the file name and text of the download."""
    with page.expect_download() as info:
        button.click()
    download = info.value
    return download.suggested_filename, open(download.path(), encoding="utf-8").read()


def test_the_designer_downloads_a_script_with_the_runs_metrics(page, client, tmp_path):
    pid = pipeline_id(client, "Income prediction")
    run = client.post(f"/api/v1/pipelines/{pid}/runs", json={"experiment": "export"}).get_json()
    page.goto(f"/pipelines/{pid}")
    expect(page.locator("g.node")).to_have_count(8)
    name, text = downloaded_script(page, page.get_by_role("button", name="Export as Python"))
    assert name == "income_prediction.py"
    assert run_script(text, tmp_path) == finished_metrics(client, run["id"])


def test_a_published_version_downloads_from_the_endpoint_page(page, client, tmp_path):
    run = client.post("/api/v1/endpoints/income-retrain/submit",
                      json={"ExperimentName": "export"}).get_json()
    page.goto("/endpoints")
    page.get_by_role("table", name="Pipeline endpoints").get_by_role(
        "link", name="income-retrain", exact=True).click()
    page.get_by_role("tab", name="Published pipelines").click()
    version = page.get_by_role("article", name="Version 0")
    name, text = downloaded_script(page, version.get_by_role("button", name="Export as Python"))
    assert name == "income_retrain_v0.py"
    assert run_script(text, tmp_path) == finished_metrics(client, run["Id"])
    assert page.errors == []
