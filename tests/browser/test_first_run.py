"""A first run as a new user: `designer init` says who signs in, what it published and where
to go; `designer serve` on the same DESIGNER_HOME serves exactly that."""

import re

from playwright.sync_api import expect

from tests.helpers_server import Server, designer

PASSWORD = "first-Run-passw0rd"


def test_first_run_follows_what_init_prints(browser, tmp_path):
    home = tmp_path / "home"
    init = designer(home, "init", env={"DESIGNER_ADMIN_PASSWORD": PASSWORD})
    assert init.returncode == 0, init.stderr
    where = f"DESIGNER_HOME={home.resolve()}"
    assert where in init.stdout
    said = re.search(r"open (http://[\w.:]+) and sign in as (\w+)", init.stdout)
    assert said, init.stdout
    user = said.group(2)
    endpoint = re.search(r"pipeline endpoint ([\w-]+)", init.stdout).group(1)
    server = Server(home, tmp_path / "server.log").start()
    try:
        assert f"Using {where}" in server.tail()  # the server says it reads the same instance
        # The printed address is serve's default; this test's server listens on a free port.
        assert said.group(1) == "http://127.0.0.1:5000"
        context = browser.new_context(base_url=server.url)
        page = context.new_page()
        page.goto("/")
        page.get_by_label("User name").fill(user)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("link", name="Income prediction")).to_be_visible()
        page.get_by_role("link", name="Endpoints").click()
        expect(page.get_by_role("link", name=endpoint)).to_be_visible()
        context.close()
    finally:
        server.kill()
