"""The Schedules tab of an endpoint's page in Chromium: create with a preview, disable, delete,
and a new-data trigger whose run appears when a file lands in the watched folder."""

import re
import shutil

import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT


def open_schedules(page):
    page.goto("/endpoints/income-retrain")
    page.get_by_role("tab", name="Schedules").click()
    expect(page.get_by_text("No schedules yet.")).to_be_visible()


def test_a_schedule_is_created_with_its_next_fire_times_disabled_and_deleted(page):
    open_schedules(page)
    page.get_by_role("button", name="New schedule").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("nightly")
    dialog.get_by_label("Cron expression").fill("30 2 * * *")
    dialog.get_by_label("Time zone").fill("Europe/Berlin")
    preview = dialog.get_by_role("list", name="Next fire times")
    expect(preview.get_by_role("listitem")).to_have_count(5)
    expect(preview.get_by_role("listitem").first).to_contain_text("2:30")
    dialog.get_by_label("Cron expression").fill("30 2 * *")
    expect(dialog.get_by_role("status")).to_contain_text("must have 5 fields")
    dialog.get_by_label("Cron expression").fill("30 2 * * 1-5")
    expect(preview.get_by_role("listitem")).to_have_count(5)
    dialog.get_by_label("Experiment").fill("nightly")
    dialog.get_by_role("button", name="Save").click()

    card = page.get_by_role("article", name="Schedule nightly")
    expect(card).to_contain_text("Cron 30 2 * * 1-5 (Europe/Berlin)")
    expect(card.get_by_role("list", name="Next fire times of nightly").get_by_role(
        "listitem")).to_have_count(5)
    expect(card).to_contain_text("No runs started yet.")
    card.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Experiment")).to_have_value("nightly")
    dialog.get_by_label("Cron expression").fill("0 6 * * *")
    dialog.get_by_label("Catch up missed fire times (one run)").uncheck()
    dialog.get_by_role("button", name="Save").click()
    expect(card).to_contain_text("Cron 0 6 * * * (Europe/Berlin)")
    card.get_by_role("button", name="Disable").click()
    expect(card.get_by_text("Disabled", exact=True)).to_be_visible()
    card.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("No schedules yet.")).to_be_visible()
    assert page.errors == []


@pytest.fixture
def inbox(app, tmp_path):
    """A datastore 'inbox' (an empty incoming/ folder) and the scheduler looking every 0.3 s."""
    from app.services import datastores

    folder = tmp_path / "inbox" / "incoming"
    folder.mkdir(parents=True)
    with app.app_context():
        datastores.add("inbox", tmp_path / "inbox")
    app.config["DESIGNER_SCHEDULER_SECONDS"] = 0.3
    app.extensions["designer"].start_scheduler()
    return folder


def test_a_file_dropped_into_a_watched_folder_starts_a_run_with_that_file(page, inbox):
    open_schedules(page)
    page.get_by_role("button", name="New schedule").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("arrivals")
    dialog.get_by_label("Kind").select_option(label="New data")
    expect(dialog.get_by_label("Cron expression")).to_be_hidden()
    dialog.get_by_label("Datastore", exact=True).select_option("inbox")
    dialog.get_by_label("Files (glob)").fill("incoming/*.csv")
    dialog.get_by_label("Data path parameter").select_option("training_data")
    dialog.get_by_label("Poll every (seconds)").fill("1")
    dialog.get_by_label("Unchanged for (seconds)").fill("1")
    dialog.get_by_role("button", name="Save").click()
    card = page.get_by_role("article", name="Schedule arrivals")
    expect(card).to_contain_text("New files inbox:incoming/*.csv → training_data")
    expect(card).to_contain_text("No runs started yet.")

    shutil.copy(ROOT / "sample_data" / "income" / "non_us.csv", inbox / "week-48.csv")

    history = card.get_by_role("table", name="History of arrivals")
    row = history.get_by_role("row").filter(has_text="incoming/week-48.csv")
    expect(row).to_contain_text("training_data=inbox:incoming/week-48.csv", timeout=30_000)
    expect(row.locator(".status")).to_have_text(re.compile(r"^(Queued|Running|Finished)$"))
    row.get_by_role("link").click()
    expect(page.get_by_text("incoming/week-48.csv").first).to_be_visible()
    assert page.errors == []
