"""Every module's help page over HTTP: rendered from its declaration and docstring."""

import html
import re

import pytest

from app.engine.registry import REGISTRY


def rows(page: str) -> dict:
    """{parameter name: the text of its table row} of a help page."""
    found = re.findall(r'<tr data-param="([^"]+)">(.*?)</tr>', page, re.DOTALL)
    return {name: " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())
            for name, row in found}


def summary(page: str) -> str:
    """The text of a help page's summary paragraph ("" when it has none)."""
    found = re.search(r'<p class="module-summary">(.*?)</p>', page, re.DOTALL)
    return " ".join(html.unescape(found.group(1)).split()) if found else ""


def test_every_module_has_a_help_page_naming_its_parameters_and_ports(signed_in):
    catalogue = signed_in.get("/api/v1/modules").get_json()["modules"]
    assert len(catalogue) == len(REGISTRY)
    summaries = {}
    for spec in catalogue:
        answer = signed_in.get(f"/modules/{spec['name']}/help")
        assert answer.status_code == 200, spec["name"]
        page = answer.get_data(as_text=True)
        assert f"<h1>{html.escape(spec['label'])}</h1>" in page
        # The docstring's first paragraph, shown as the summary: there, and the module's own.
        shown = summaries[spec["name"]] = summary(page)
        assert shown == " ".join(spec["description"].split("\n\n")[0].split()), spec["name"]
        assert len(shown.split()) >= 3 and shown != spec["label"], (spec["name"], shown)
        assert list(rows(page)) == [p["name"] for p in spec["params"]], spec["name"]
        for port in spec["inputs"] + spec["outputs"]:
            assert f"<code>{port['name']}</code>" in page, (spec["name"], port["name"])
    alike = {text for text in summaries.values() if list(summaries.values()).count(text) > 1}
    assert not alike, f"modules share a summary: {alike}"


@pytest.mark.parametrize(("module", "param", "shown"), [
    ("extract_ngram_features", "weighting_function",
     "Weighting function weighting_function Choice Binary Weight Binary Weight, TF Weight, "
     "IDF Weight, TF-IDF Weight"),
    ("extract_ngram_features", "ngrams_size", "N-Grams size ngrams_size Integer 1 1 to 25"),
    ("extract_ngram_features", "maximum_ngram_document_ratio",
     "Applies when Vocabulary mode is Create."),
    ("preprocess_text", "remove_stop_words",
     "Remove stop words remove_stop_words True / false true"),
    ("feature_hashing", "hashing_bitsize", "Hashing bitsize hashing_bitsize Integer 10 1 to 16"),
    ("import_data", "url", "Applies when Source is URL over HTTP."),
    ("split_data", "fraction", "0.5"),
    ("train_model", "label_column", "One column of the input 'dataset' none (required)"),
])
def test_defaults_choices_ranges_and_conditions_are_shown(signed_in, module, param, shown):
    row = rows(signed_in.get(f"/modules/{module}/help").get_data(as_text=True))[param]
    assert shown in row


def test_help_text_of_the_docstring_is_shown(signed_in):
    page = html.unescape(signed_in.get("/modules/extract_ngram_features/help")
                         .get_data(as_text=True))
    assert "Result vocabulary lists each n-gram's Id, NGram, DF" in " ".join(page.split())
    assert "<code>input_vocabulary</code>" in page


def test_an_unknown_module_is_a_404_naming_it(signed_in):
    answer = signed_in.get("/modules/no_such_module/help")
    assert answer.status_code == 404
    assert "No module is named 'no_such_module'." in answer.get_data(as_text=True)


def test_the_help_page_asks_to_sign_in(anonymous):
    answer = anonymous.get("/modules/split_data/help")
    assert answer.status_code == 302
    assert "/login" in answer.headers["Location"]
