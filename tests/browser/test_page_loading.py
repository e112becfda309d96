"""Pages ask for their data once, as soon as the HTML arrives (preloaded, then used)."""

from collections import Counter

from playwright.sync_api import expect

from tests.browser import probe
from tests.browser.conftest import api


def api_requests(page):
    """Counts of API paths requested from now on; ``order`` lists every path in request order."""
    counts = Counter()
    counts.order = []

    def seen(request):
        path = request.url.split("?")[0].split("/", 3)[3]
        counts.order.append(path)
        if path.startswith("api/v1/"):
            counts.update([path.removeprefix("api/v1/")])

    page.on("request", seen)
    return counts


def asked_before_the_page_script(counts, path, script):
    """True when ``path`` was requested before the page's own module ``script``."""
    return counts.order.index(f"api/v1/{path}") < counts.order.index(f"static/js/pages/{script}")


def read_by_the_page(page, *paths):
    """Wait until the page's own code has fetched and read each API path (served by its preload
    when the network saw it once, before the page's script)."""
    probe.wait_for(page, "(p, urls) => urls.every((url) => p.count(p.read, url) > 0)",
                   [f"/api/v1/{path}$" for path in paths])


def test_the_designer_fetches_its_pipeline_and_the_catalogue_once(page, client):
    pid = next(p["id"] for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
               if p["name"] == "Income prediction")
    probe.install(page)
    counts = api_requests(page)
    page.goto(f"/pipelines/{pid}")
    expect(page.locator("g.node")).to_have_count(8)
    read_by_the_page(page, f"pipelines/{pid}", "modules")
    assert counts[f"pipelines/{pid}"] == 1
    assert counts["modules"] == 1
    assert asked_before_the_page_script(counts, f"pipelines/{pid}", "designer.js")
    assert asked_before_the_page_script(counts, "modules", "designer.js")
    assert page.errors == []


def test_the_run_view_fetches_its_run_once_at_start(page, client):
    pid = next(p["id"] for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
               if p["name"] == "Diabetes progression regression")
    response = api(page, "POST", f"/api/v1/pipelines/{pid}/runs", data={"experiment": "once"})
    assert response.status == 202, response.text()
    run_id = response.json()["id"]
    page.goto(f"/runs/{run_id}")
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=60_000)
    page.goto("about:blank")  # the live page and its last requests are gone before counting
    probe.install(page)
    counts = api_requests(page)
    page.goto(f"/runs/{run_id}")
    expect(page.get_by_test_id("run-status")).to_have_text("Finished")
    expect(page.locator("g.node")).to_have_count(6)
    read_by_the_page(page, f"runs/{run_id}", "modules")
    assert counts[f"runs/{run_id}"] == 1
    assert counts["modules"] == 1
    assert asked_before_the_page_script(counts, f"runs/{run_id}", "run.js")
    assert page.errors == []
