"""Module help as a person meets it: a palette search by a word of a description, and the
help page opened from the palette entry and from the details panel."""

import re

from playwright.sync_api import expect

from tests.browser.test_designer_submit import pipeline_id


def test_search_finds_a_module_by_a_word_of_its_description(page, client):
    catalogue = client.get("/api/v1/modules").get_json()["modules"]
    ngrams = next(m for m in catalogue if m["name"] == "extract_ngram_features")
    assert "vocabulary" not in f"{ngrams['label']} {ngrams['name']}".lower()
    assert "vocabulary" in ngrams["description"].lower()
    page.goto(f"/pipelines/{pipeline_id(client, 'Income prediction')}")
    palette = page.locator(".palette-item:visible")
    page.get_by_label("Search modules").fill("Vocabulary")
    expect(palette).to_have_count(1)
    expect(palette).to_have_attribute("data-module", "extract_ngram_features")
    page.get_by_label("Search modules").fill("no module says this")
    expect(palette).to_have_count(0)
    expect(page.get_by_text("No module matches.")).to_be_visible()


def test_help_opens_from_the_palette_entry(page, client):
    page.goto(f"/pipelines/{pipeline_id(client, 'Income prediction')}")
    page.get_by_label("Search modules").fill("hashing")
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Help: Feature Hashing").click()
    help_page = opened.value
    expect(help_page).to_have_url(re.compile(r"/modules/feature_hashing/help$"))
    expect(help_page.get_by_role("heading", level=1)).to_have_text("Feature Hashing")
    parameters = help_page.get_by_role("table", name="Parameters")
    expect(parameters.get_by_role("rowheader", name="Hashing bitsize")).to_be_visible()
    expect(parameters.locator('tr[data-param="ngrams"]')).to_contain_text("2")
    help_page.close()
    expect(page.locator("g.node")).to_have_count(8)  # following the link added no module


def test_help_opens_from_the_details_panel(page, client):
    page.goto(f"/pipelines/{pipeline_id(client, 'Income prediction')}")
    page.locator('g.node[data-node-id="select"]').click()
    expect(page.locator(".details .panel-title")).to_have_text("Select Columns in Dataset")
    with page.context.expect_page() as opened:
        page.locator(".details").get_by_role("link", name="Module help").click()
    help_page = opened.value
    expect(help_page.get_by_role("heading", level=1)).to_have_text("Select Columns in Dataset")
    expect(help_page.get_by_role("table", name="Parameters")
           .get_by_role("rowheader", name="Mode")).to_be_visible()
    expect(help_page.get_by_role("table", name="Inputs")).to_contain_text("dataset")
