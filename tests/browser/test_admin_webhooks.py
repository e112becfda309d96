"""The Webhooks tab of the Admin page in Chromium: add a webhook, see its secret once, send a
test to a real receiver and read the delivery log."""

import hashlib
import hmac

import pytest
from playwright.sync_api import expect

from tests.api.test_webhooks import Receiver


@pytest.fixture
def receiver(app):
    app.config["DESIGNER_OUTBOUND_ALLOW"] = "127.0.0.1"  # the receiver runs on this machine
    started = Receiver()
    yield started
    started.close()


def test_a_webhook_is_added_tested_and_its_delivery_logged(page, receiver):
    page.goto("/admin#webhooks")
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()
    form = page.get_by_role("form", name="Add webhook")
    form.get_by_label("Webhook URL").fill(receiver.url)
    form.get_by_label("Pipeline endpoint").select_option("income-retrain")
    form.get_by_label("Model promoted").check()
    form.get_by_role("button", name="Add webhook").click()

    secret = page.get_by_label("Signing secret", exact=True).input_value()
    assert len(secret) == 64
    table = page.get_by_role("table", name="Webhooks")
    expect(table).to_contain_text("income-retrain")
    expect(table).to_contain_text("Run finished, Run failed, Run canceled, Model promoted")
    table.get_by_role("button", name=f"Send test {receiver.url}").click()
    expect(table.get_by_role("table", name="Deliveries")).to_contain_text("Delivered (200)",
                                                                           timeout=15_000)
    headers, body = receiver.received[0]
    assert headers["X-Designer-Signature"] == "sha256=" + hmac.new(
        secret.encode(), body, hashlib.sha256).hexdigest()

    table.get_by_role("button", name=f"Disable {receiver.url}").click()
    expect(table.get_by_text("Disabled", exact=True)).to_be_visible()
    table.get_by_role("button", name=f"Delete {receiver.url}").click()
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()
    assert page.errors == []


def test_a_private_address_is_refused_with_the_reason(page):
    page.goto("/admin#webhooks")
    form = page.get_by_role("form", name="Add webhook")
    form.get_by_label("Webhook URL").fill("http://192.168.1.20/hook")
    form.get_by_role("button", name="Add webhook").click()
    expect(form.get_by_role("alert")).to_contain_text("private address")


def test_a_delivery_waiting_for_its_retry_says_when(page, app, receiver):
    app.config["DESIGNER_WEBHOOK_BACKOFF_SECONDS"] = 600  # the retry stays pending
    receiver.statuses = [500]
    page.goto("/admin#webhooks")
    form = page.get_by_role("form", name="Add webhook")
    form.get_by_label("Webhook URL").fill(receiver.url)
    form.get_by_role("button", name="Add webhook").click()
    table = page.get_by_role("table", name="Webhooks")
    table.get_by_role("button", name=f"Send test {receiver.url}").click()
    deliveries = table.get_by_role("table", name="Deliveries")
    expect(deliveries).to_contain_text("Retrying at", timeout=15_000)
    expect(deliveries).to_contain_text("500")
    assert page.errors == []
