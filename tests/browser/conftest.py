"""Browser tests: a real server in a thread and Debian's Chromium driven by Playwright.

Without /usr/bin/chromium the tests skip with the reason, except under CI (CI=true), where
`.ci/run` installs it and a missing browser is a failure.
"""

import logging
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import ADMIN_PASSWORD, missing

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"
# Two test workers, a server and Chromium share two cores: a page can take longer than
# Playwright's default 5 s to show what it fetched.
EXPECT_TIMEOUT_MS = 10_000


@pytest.fixture(scope="session", autouse=True)
def _patient_expect():
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session."""
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a free port, with the dispatcher running runs."""
    app.extensions["designer"].start_dispatcher()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def sign_in(page, username="admin", password=ADMIN_PASSWORD) -> str:
    """Sign in through the login form as a person would; returns the page's CSRF token."""
    page.goto("/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page.locator('meta[name="csrf-token"]').get_attribute("content")


@pytest.fixture
def page(browser, live_server, request):
    """A fresh 1280x800 page signed in as the admin; a screenshot lands in test-results/ when
    the test fails. The page sends only the headers its own code sends; ``page.csrf`` holds the
    session's CSRF token for API set-up calls (see ``api``)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    page.csrf = sign_in(page)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        describe_run(page)
    context.close()


def api(page, method, path, **kwargs):
    """An API set-up call in the page's signed-in session, carrying its CSRF token explicitly
    (the page's own requests get no help: they must send the token themselves)."""
    headers = {"X-CSRF-Token": page.csrf, **kwargs.pop("headers", {})}
    return page.request.fetch(path, method=method, headers=headers, **kwargs)


def describe_run(page) -> None:
    """On a run page, log the run's steps as the server sees them (for a failure report)."""
    match = re.search(r"/runs/(\w+)", page.url)
    if not match:
        return
    run = page.request.get(f"/api/v1/runs/{match.group(1)}").json()
    lines = [f"run {run.get('id')}: {run.get('status')} {run.get('status_reason') or ''}"]
    lines += [f"  {s.get('node_id')}: {s.get('status')} started {s.get('started')} "
              f"finished {s.get('finished')}" for s in run.get("steps", [])]
    logging.getLogger("tests.browser").warning("\n".join(lines))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can see a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def pytest_collection_modifyitems(items):
    """The in-thread development server may leave a static file unclosed when the browser
    drops a download mid-way (navigating on); that is the test server's, not the app's."""
    marker = pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning")
    for item in items:
        if "tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(marker)
