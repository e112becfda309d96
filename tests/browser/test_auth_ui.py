"""Signing in and out in the browser; the pages' own writes carry the CSRF token."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def test_sign_in_write_through_the_ui_and_sign_out(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server)
    page = context.new_page()  # no extra headers: the page must send its CSRF token itself
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/experiments")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Invalid user name or password.")
    sign_in(page)
    page.goto("/")
    expect(page.get_by_text("admin (admin)")).to_be_visible()
    page.get_by_role("button", name="New pipeline").click()
    expect(page).to_have_url(re.compile(r"/pipelines/[0-9a-f]{32}$"))
    expect(page.get_by_text("Saved", exact=True)).to_be_visible()
    page.go_back()
    expect(page.get_by_role("link", name="New pipeline")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    assert errors == []
    context.close()
