"""Browse path dialog in Chromium: folder tree, preview, upload with overwrite, refused uploads."""

import re

from playwright.sync_api import expect

from tests.browser import probe
from tests.browser.test_parameters import open_income, saved_document, select_node


def scratch_store(client, tmp_path, name="scratch"):
    """A datastore on an empty temporary folder holding one CSV in data/."""
    root = tmp_path / name
    (root / "data").mkdir(parents=True)
    (root / "data" / "people.csv").write_text("name,age\nana,31\nbo,42\n")
    (root / "notes.md").write_text("# notes\n")
    response = client.post("/api/v1/datastores", json={"name": name, "root": str(root)})
    assert response.status_code == 201, response.get_json()
    return root


def csv_file(name, text="a,b\n1,2\n3,4\n"):
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode()}


def selected(dialog):
    """The selected entry of the file tree."""
    return dialog.locator('[role="treeitem"][aria-selected="true"]')


def open_export_browse(page):
    """Add an Export Data node and open the Browse path dialog of its Path field."""
    page.locator('.palette-item[data-module="export_data"]').dblclick()
    expect(page.locator(".details .panel-title")).to_have_text("Export Data")
    page.locator('.details .field[data-param="path"]').get_by_role("button", name="Browse").click()
    dialog = page.get_by_role("dialog", name="Browse path")
    expect(dialog).to_be_visible()
    return dialog


def test_browse_tree_preview_and_choose_for_import_data(page, client):
    pid = open_income(page, client)
    select_node(page, "import")
    # The bound Path shows a chip; detach it to edit the path with Browse.
    page.locator('.details .field[data-param="path"]').hover()
    page.get_by_role("button", name="More options for Path").click()
    page.get_by_role("menuitem", name="Detach from pipeline parameter").click()
    page.locator('.details .field[data-param="path"]').get_by_role("button", name="Browse").click()
    dialog = page.get_by_role("dialog", name="Browse path")
    expect(dialog.get_by_label("Datastore")).to_have_value("samples")
    # It opens on the current file, its folder expanded (lazily loaded).
    income = dialog.locator('[role="treeitem"][data-path="income"]')
    expect(income).to_have_attribute("aria-expanded", "true")
    expect(selected(dialog)).to_have_attribute("data-path", "income/us.csv")
    expect(dialog.locator('[role="treeitem"][data-path="diabetes/diabetes.csv"]')).to_have_count(0)
    us_row = dialog.locator('[role="treeitem"][data-path="income/us.csv"] .browse-size')
    expect(us_row).to_have_text(re.compile(r"\d+(\.\d)? KB"))
    dialog.get_by_role("button", name="diabetes", exact=True).click()
    expect(dialog.locator('[role="treeitem"][data-path="diabetes/diabetes.csv"]')).to_be_visible()
    dialog.get_by_role("button", name="README.md").click()
    expect(dialog.get_by_label("Preview")).to_contain_text("cannot be previewed")
    dialog.get_by_role("button", name="diabetes.csv").click()
    expect(dialog.get_by_label("Detected columns")).to_contain_text("columns:")
    expect(dialog.get_by_role("table", name="First rows").locator("tbody tr")).to_have_count(10)
    dialog.get_by_role("button", name="Choose").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_label("Path path")).to_have_value("diabetes/diabetes.csv")
    document = saved_document(page, client, pid)
    path = next(n for n in document["nodes"] if n["id"] == "import")["params"]["path"]
    assert path == {"datastore": "samples", "path": "diabetes/diabetes.csv"}
    assert page.errors == []


def test_upload_into_a_folder_with_overwrite_confirmation(page, client, tmp_path):
    root = scratch_store(client, tmp_path)
    open_income(page, client)
    dialog = open_export_browse(page)
    dialog.get_by_label("Datastore").select_option("scratch")
    dialog.get_by_role("button", name="data", exact=True).click()
    expect(dialog.get_by_label("Upload into folder")).to_have_value("data")
    dialog.get_by_label("File", exact=True).set_input_files(csv_file("new.csv"))
    dialog.get_by_role("button", name="Upload").click()
    expect(dialog.get_by_text("Uploaded data/new.csv")).to_be_visible()
    expect(selected(dialog)).to_have_attribute("data-path", "data/new.csv")
    expect(dialog.get_by_label("Detected columns")).to_contain_text(
        "2 columns: a (int64), b (int64)")
    assert (root / "data" / "new.csv").read_text() == "a,b\n1,2\n3,4\n"

    # The same name again: asked before overwriting; Cancel keeps the file, Overwrite replaces it.
    dialog.get_by_label("File", exact=True).set_input_files(csv_file("new.csv", "a,b,c\n5,6,7\n"))
    dialog.get_by_role("button", name="Upload").click()
    confirm = page.get_by_role("dialog", name="Replace the existing file?")
    expect(confirm).to_contain_text("'data/new.csv' already exists")
    confirm.get_by_role("button", name="Cancel").click()
    expect(dialog.get_by_role("alert").first).to_contain_text("already exists")
    assert (root / "data" / "new.csv").read_text() == "a,b\n1,2\n3,4\n"
    dialog.get_by_role("button", name="Upload").click()
    confirm.get_by_role("button", name="Overwrite").click()
    expect(dialog.get_by_label("Detected columns")).to_contain_text("3 columns")
    assert (root / "data" / "new.csv").read_text() == "a,b,c\n5,6,7\n"
    dialog.get_by_role("button", name="Choose").click()
    expect(page.get_by_label("Path datastore")).to_have_value("scratch")
    expect(page.get_by_label("Path path")).to_have_value("data/new.csv")
    assert page.errors == []


def test_refused_uploads_show_the_reason(page, app, client, tmp_path):
    root = scratch_store(client, tmp_path)
    open_income(page, client)
    dialog = open_export_browse(page)
    dialog.get_by_label("Datastore").select_option("scratch")
    expect(dialog.locator('[role="treeitem"][data-path="data"]')).to_be_visible()
    error = dialog.locator(".browse-error")

    # An extension outside the allow-list.
    dialog.get_by_label("File", exact=True).set_input_files(
        {"name": "tool.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00"})
    dialog.get_by_role("button", name="Upload").click()
    expect(error).to_contain_text("Files of type '.exe' are not accepted")

    # Crafted folder names leading out of the datastore.
    for folder in ("../escaped", "/etc", "data/../../escaped", "%2e%2e/escaped"):
        dialog.get_by_label("Upload into folder").fill(folder)
        dialog.get_by_label("File", exact=True).set_input_files(csv_file("x.csv"))
        dialog.get_by_role("button", name="Upload").click()
        expect(error).to_contain_text("must stay inside the datastore", timeout=5_000)
        error.evaluate("e => e.textContent = ''")
    assert not (tmp_path / "escaped").exists()
    assert sorted(p.name for p in root.iterdir()) == ["data", "notes.md"]

    # Over the upload limit: the server's own 413 names the file.
    app.config["DESIGNER_UPLOAD_MAX_BYTES"] = 10
    dialog.get_by_label("Upload into folder").fill("data")
    dialog.get_by_label("File", exact=True).set_input_files(csv_file("big.csv"))
    dialog.get_by_role("button", name="Upload").click()
    expect(error).to_contain_text("'big.csv' is larger than the upload limit")
    assert not (root / "data" / "big.csv").exists()

    # Nothing chosen: a message, not a request.
    dialog.get_by_label("Upload into folder").fill("data")
    dialog.get_by_label("File", exact=True).set_input_files([])
    dialog.get_by_role("button", name="Upload").click()
    expect(error).to_have_text("Choose a file to upload.")
    assert page.errors == []


def test_a_slow_answer_for_the_previous_datastore_does_not_replace_the_tree(page, client, tmp_path):
    scratch_store(client, tmp_path)
    probe.install(page)
    open_income(page, client)
    held = []  # the samples tree's answers, let through by hand later
    page.route("**/api/v1/datastores/samples/browse*", lambda route: held.append(route))
    dialog = open_export_browse(page)
    expect(dialog.get_by_label("Datastore")).to_have_value("samples")
    probe.wait_until(page, lambda: held, what="the samples tree's request")
    dialog.get_by_label("Datastore").select_option("scratch")
    data = dialog.locator('[role="treeitem"][data-path="data"]')
    expect(data).to_be_visible()
    for route in held:
        route.continue_()
    # Every answer the page asked for, the held ones included, has been read and handled.
    probe.wait_for(page, "(p, url) => p.count(p.read, url) === p.count(p.asked, url)",
                   "/api/v1/datastores/")
    expect(data).to_be_visible()
    expect(dialog.locator('[role="treeitem"][data-path="income"]')).to_have_count(0)
    assert page.errors == []


def test_opening_on_a_file_then_picking_another_datastore_uploads_to_its_top(page, client,
                                                                             tmp_path):
    scratch_store(client, tmp_path)
    probe.install(page)
    open_income(page, client)
    select_node(page, "import")
    page.locator('.details .field[data-param="path"]').hover()
    page.get_by_role("button", name="More options for Path").click()
    page.get_by_role("menuitem", name="Detach from pipeline parameter").click()
    held = []  # the listing of samples' income folder, on the way to the current file
    page.route("**/api/v1/datastores/samples/browse?path=income", lambda r: held.append(r))
    page.locator('.details .field[data-param="path"]').get_by_role("button", name="Browse").click()
    dialog = page.get_by_role("dialog", name="Browse path")
    probe.wait_until(page, lambda: held, what="the income folder's request")
    dialog.get_by_label("Datastore").select_option("scratch")
    expect(dialog.locator('[role="treeitem"][data-path="data"]')).to_be_visible()
    for route in held:
        route.continue_()
    probe.wait_for(page, "(p, url) => p.count(p.read, url) === p.count(p.asked, url)",
                   "/api/v1/datastores/")
    # The opening reveal of samples:income/us.csv was overtaken: it leaves the folder alone.
    expect(dialog.get_by_label("Upload into folder")).to_have_value("")
    dialog.get_by_label("File", exact=True).set_input_files(csv_file("top.csv"))
    dialog.get_by_role("button", name="Upload").click()
    expect(dialog.get_by_text("Uploaded top.csv")).to_be_visible()
    assert (tmp_path / "scratch" / "top.csv").exists()
    assert page.errors == []
