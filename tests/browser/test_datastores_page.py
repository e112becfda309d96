"""Datastores page in Chromium: list, register (admins only), browse and upload."""

from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def test_list_register_and_refuse_bad_folders(page, tmp_path):
    page.goto("/datastores")
    table = page.get_by_role("table", name="Datastores")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator('tr[data-datastore="samples"]')).to_contain_text("sample_data")

    form = page.get_by_role("form", name="Register datastore")
    form.get_by_label("Name").fill("training")
    form.get_by_label("Server folder").fill(str(tmp_path / "missing"))
    form.get_by_role("button", name="Register").click()
    expect(form.get_by_role("alert")).to_contain_text("is not an existing folder")

    folder = tmp_path / "training"
    folder.mkdir()
    form.get_by_label("Name").fill("1 bad")
    form.get_by_label("Server folder").fill(str(folder))
    form.get_by_role("button", name="Register").click()
    expect(form.get_by_role("alert")).to_contain_text("must be 1-64 characters: letters")

    form.get_by_label("Name").fill("samples")
    form.get_by_role("button", name="Register").click()
    expect(form.get_by_role("alert")).to_contain_text("Datastore 'samples' already exists.")

    form.get_by_label("Name").fill("system")
    form.get_by_label("Server folder").fill("/etc")
    form.get_by_role("button", name="Register").click()
    expect(form.get_by_role("alert")).to_contain_text(
        "Datastore root '/etc' is a system folder (/etc).")

    (folder / "a.csv").write_text("x\n1\n")
    (folder / "b.csv").write_text("x\n2\n")
    form.get_by_label("Name").fill("training")
    form.get_by_label("Server folder").fill(str(folder))
    form.get_by_role("button", name="Register").click()
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator('tr[data-datastore="training"]')).to_contain_text(str(folder))
    expect(table.locator('tr[data-datastore="training"] .file-count')).to_have_text("2")
    expect(form.get_by_role("alert")).to_have_text("")
    expect(form.get_by_label("Name")).to_have_value("")
    assert page.errors == []


def test_browse_and_upload_from_the_page(page, client, tmp_path):
    root = tmp_path / "store"
    (root / "in").mkdir(parents=True)
    (root / "gone.csv").symlink_to(root / "nowhere.csv")
    response = client.post("/api/v1/datastores", json={"name": "store", "root": str(root)})
    assert response.status_code == 201
    page.goto("/datastores")
    page.get_by_role("button", name="Browse store").click()
    files = page.get_by_role("region", name="Browse datastore")
    expect(files.get_by_label("Datastore")).to_have_value("store")
    expect(files.get_by_role("treeitem")).to_have_count(1)
    expect(files.get_by_text("gone.csv: dangling symbolic link")).to_be_visible()
    files.get_by_role("button", name="in", exact=True).click()
    expect(files.get_by_text("(empty folder)")).to_be_visible()
    files.get_by_label("File", exact=True).set_input_files(
        {"name": "rows.tsv", "mimeType": "text/tab-separated-values", "buffer": b"x\ty\n1\t2\n"})
    files.get_by_role("button", name="Upload").click()
    expect(files.get_by_text("Uploaded in/rows.tsv")).to_be_visible()
    columns = files.get_by_label("Detected columns")
    expect(columns).to_contain_text("2 columns: x (int64), y (int64)")
    assert (root / "in" / "rows.tsv").read_bytes() == b"x\ty\n1\t2\n"
    # No "Choose" on the page: browsing only.
    expect(files.get_by_role("button", name="Choose")).to_have_count(0)

    # A refused upload tells why; nothing is written.
    files.get_by_label("Upload into folder").fill("../../elsewhere")
    files.get_by_label("File", exact=True).set_input_files(
        {"name": "rows.csv", "mimeType": "text/csv", "buffer": b"a\n1\n"})
    files.get_by_role("button", name="Upload").click()
    expect(files.locator(".browse-error")).to_contain_text("must stay inside the datastore")
    assert not (tmp_path / "elsewhere").exists()
    assert page.errors == []


def test_only_admins_register_datastores(browser, live_server, client, tmp_path):
    response = client.post("/api/v1/users", json={"username": "eve", "role": "editor",
                                                  "password": "eve-password-1"})
    assert response.status_code == 201, response.get_json()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, "eve", "eve-password-1")
        page.goto("/datastores")
        expect(page.get_by_role("table", name="Datastores").locator("tbody tr")).to_have_count(1)
        form = page.get_by_role("form", name="Register datastore")
        form.get_by_label("Name").fill("mine")
        form.get_by_label("Server folder").fill(str(tmp_path))
        form.get_by_role("button", name="Register").click()
        expect(form.get_by_role("alert")).to_contain_text("This needs the admin role")
        expect(page.get_by_role("table", name="Datastores").locator("tbody tr")).to_have_count(1)
        assert errors == []
    finally:
        context.close()


def test_remove_a_datastore_after_confirming(page, client, tmp_path):
    root = tmp_path / "old"
    root.mkdir()
    (root / "keep.csv").write_text("x\n1\n")
    assert client.post("/api/v1/datastores",
                       json={"name": "old", "root": str(root)}).status_code == 201
    page.goto("/datastores")
    rows = page.get_by_role("table", name="Datastores").locator("tbody tr")
    expect(rows).to_have_count(2)

    page.get_by_role("button", name="Remove old").click()
    dialog = page.get_by_role("dialog", name="Remove datastore 'old'?")
    expect(dialog).to_contain_text("The folder and its files stay on the server")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(rows).to_have_count(2)

    page.get_by_role("button", name="Remove old").click()
    page.get_by_role("dialog", name="Remove datastore 'old'?").get_by_role(
        "button", name="Remove").click()
    toast = page.locator(".toast").filter(has_text='Removed datastore "old".')
    expect(toast).to_be_visible()
    toast.get_by_role("button", name="Dismiss message").click()  # gone before its time is up
    expect(toast).to_have_count(0)
    expect(rows).to_have_count(1)
    expect(page.locator('tr[data-datastore="old"]')).to_have_count(0)
    assert (root / "keep.csv").read_text() == "x\n1\n"
    names = [d["name"] for d in client.get("/api/v1/datastores?counts=false").get_json()[
        "datastores"]]
    assert names == ["samples"]
    assert page.errors == []
