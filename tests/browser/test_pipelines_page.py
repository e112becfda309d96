"""The Pipelines page: list, new, duplicate, rename, delete, import and export, as a person."""

import json

from playwright.sync_api import expect

from tests.helpers_server import SHIPPED_SAMPLES

DOCUMENT = {"name": "Imported one", "nodes": [], "edges": []}


def rows(page):
    return page.get_by_role("table", name="Pipelines").locator("tbody tr")


def row(page, name):
    return rows(page).filter(has=page.get_by_role("link", name=name, exact=True))


def test_lists_the_samples(page):
    page.goto("/")
    expect(page.get_by_role("heading", name="Pipelines")).to_be_visible()
    expect(page.get_by_role("link", name="Income prediction", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Diabetes progression regression")).to_be_visible()
    expect(page.get_by_role("link", name="Automobile price regression")).to_be_visible()
    expect(row(page, "Automobile price regression").locator("td").nth(1)).to_have_text("8")
    expect(row(page, "Income prediction").locator("td").nth(1)).to_have_text("8")
    expect(row(page, "Income prediction")).to_contain_text("Never run")
    assert page.errors == []


def test_new_pipeline_opens_the_designer(page, client):
    page.goto("/")
    page.get_by_role("button", name="New pipeline").click()
    page.wait_for_url("**/pipelines/*")
    pipeline_id = page.url.rsplit("/", 1)[1]
    assert client.get(f"/api/v1/pipelines/{pipeline_id}").json["name"] == "New pipeline"


def test_duplicate_rename_and_delete(page):
    page.goto("/")
    page.get_by_role("button", name="Duplicate Income prediction").click()
    expect(page.get_by_role("link", name="Income prediction (copy)")).to_be_visible()
    expect(rows(page)).to_have_count(SHIPPED_SAMPLES + 1)

    page.get_by_role("button", name="Rename Income prediction (copy)").click()
    name = page.get_by_label("New name")
    name.fill("My income")
    name.press("Enter")
    expect(page.get_by_role("link", name="My income")).to_be_visible()
    page.reload()
    expect(page.get_by_role("link", name="My income")).to_be_visible()

    page.get_by_role("button", name="Delete My income").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("My income")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(rows(page)).to_have_count(SHIPPED_SAMPLES + 1)

    page.get_by_role("button", name="Delete My income").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("link", name="My income")).to_have_count(0)
    expect(rows(page)).to_have_count(SHIPPED_SAMPLES)
    assert page.errors == []


def test_import_valid_and_invalid(page, tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(DOCUMENT))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "Broken", "nodes": [{"id": "a"}], "edges": []}))
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    page.goto("/")
    expect(rows(page)).to_have_count(SHIPPED_SAMPLES)

    page.get_by_label("Import pipeline JSON").set_input_files(str(good))
    expect(page.get_by_role("link", name="Imported one")).to_be_visible()

    page.get_by_label("Import pipeline JSON").set_input_files(str(bad))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Import of bad.json failed")
    expect(alert).to_contain_text("module")
    page.get_by_label("Import pipeline JSON").set_input_files(str(garbage))
    expect(alert).to_contain_text("not valid JSON")
    expect(rows(page)).to_have_count(SHIPPED_SAMPLES + 1)
    assert page.errors == []


def test_export_downloads_the_document(page, tmp_path):
    page.goto("/")
    with page.expect_download() as info:
        page.get_by_role("button", name="Export Income prediction").click()
    download = info.value
    assert download.suggested_filename == "Income prediction.json"
    target = tmp_path / "export.json"
    download.save_as(target)
    document = json.loads(target.read_text())
    assert document["name"] == "Income prediction"
    assert len(document["nodes"]) == 8


def test_script_in_a_name_is_text(page, client):
    name = "<script>alert(1)</script>"
    client.post("/api/v1/pipelines", json={"document": {"name": name, "nodes": [], "edges": []}})
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto("/")
    expect(page.get_by_role("link", name=name)).to_have_text(name)
    assert page.locator("#app script").count() == 0
    assert dialogs == []
    assert page.errors == []
