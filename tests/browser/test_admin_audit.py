"""The Admin page's Audit log tab and the last admin, in Chromium."""

import re

from playwright.sync_api import expect


def test_an_action_shows_in_the_audit_log_tab(page):
    page.goto("/admin")
    page.get_by_label("Service principal name").fill("audited-bot")
    page.get_by_role("button", name="Create service principal").click()
    box = page.get_by_role("region", name="Credentials of audited-bot")
    client_id = box.get_by_label("Client ID", exact=True).input_value()

    page.get_by_role("tab", name="Audit log").click()
    expect(page.get_by_role("tab", name="Audit log")).to_have_attribute("aria-selected", "true")
    log = page.get_by_role("table", name="Audit log")
    created = log.get_by_role("row").filter(has_text="audited-bot").get_by_role("cell")
    expect(created).to_have_text([re.compile(r"\d"), "user:admin", "127.0.0.1", "client.create",
                                  "audited-bot", f"client_id={client_id} role=runner"])
    expect(log.get_by_role("row").filter(has_text="signin.ok")).to_contain_text("user:admin")

    page.get_by_label("Action").select_option("signin.ok")
    expect(log.get_by_role("row").filter(has_text="client.create")).to_have_count(0)
    expect(page.get_by_role("table", name="Audit log").get_by_role("row")).to_have_count(2)
    page.reload()  # the tab is kept in the address
    expect(page.get_by_role("table", name="Audit log")).to_be_visible()
    assert page.errors == []


def test_the_last_admin_cannot_disable_themselves_on_the_page(page):
    page.goto("/admin")
    active = page.get_by_label("admin active")
    expect(active).to_be_checked()
    active.click()  # the page puts the tick back when the server refuses: no uncheck() wait
    expect(page.get_by_text("User 'admin' is the last active admin: make another user an admin "
                            "first.")).to_be_visible()
    expect(active).to_be_checked()
    # Dismissed, so the role change's own message is the one seen next (an error message
    # stays 8 s: on a busy machine the first could be gone before the second comes).
    page.get_by_role("status").get_by_role("button", name="Dismiss message").click()
    messages = page.get_by_role("status").get_by_text("User 'admin' is the last")
    expect(messages).to_have_count(0)
    page.get_by_label("Role of admin").select_option("editor")
    expect(messages).to_have_count(1)
    expect(page.get_by_label("Role of admin")).to_have_value("admin")
    page.reload()
    expect(page.get_by_label("admin active")).to_be_checked()
    assert page.errors == []
