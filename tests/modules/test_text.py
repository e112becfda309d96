"""Preprocess Text, Extract N-Gram Features from Text and Feature Hashing against plain
pandas / scikit-learn, on the real text of the UCI data sets' description files."""

import re

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from sklearn.feature_extraction.text import (
    ENGLISH_STOP_WORDS,
    CountVectorizer,
    HashingVectorizer,
    TfidfVectorizer,
)
from sklearn.preprocessing import normalize

from app.engine.context import ModuleError
from app.engine.registry import REGISTRY
from app.engine.spec import ParamError
from tests.modules.test_transform import run

SWITCHES = ["remove_stop_words", "use_lemmatization", "detect_sentences",
            "normalize_case_to_lowercase", "remove_numbers", "remove_special_characters",
            "remove_duplicate_characters", "remove_email_addresses", "remove_urls",
            "expand_verb_contractions", "normalize_backslashes_to_slashes",
            "split_tokens_on_special_characters"]
ALL_OFF = dict.fromkeys(SWITCHES, False)


@pytest.fixture(scope="module")
def notes(shared_data):
    """Every non-blank line of the Adult and Automobile description files (real text with
    numbers, email addresses, backslashes and punctuation), one row each."""
    lines = []
    for name in ("adult.names", "imports-85.names"):
        text = (shared_data / name).read_text(encoding="latin-1")
        lines += [line.strip() for line in text.splitlines() if line.strip()]
    return pd.DataFrame({"row": range(len(lines)), "text": lines})


def preprocessed(text, **switches):
    frame = pd.DataFrame({"text": [text]})
    out = run("preprocess_text", {"dataset": frame}, text_column="text",
              **(ALL_OFF | switches))["results_dataset"]
    return out["Preprocessed text"].iloc[0]


# Preprocess Text

@pytest.mark.parametrize(("switch", "text", "expected"), [
    ("remove_stop_words", "the cat sat on the mat", "cat sat mat"),
    ("use_lemmatization", "the mice were running", "the mouse be run"),
    ("detect_sentences", "It rained. We left! Why? Fine",
     "It rained. ||| We left! ||| Why? ||| Fine"),
    ("normalize_case_to_lowercase", "Hello WORLD", "hello world"),
    ("remove_numbers", "3 cars cost 12,500.50 in 1985 b2b", "cars cost in b2b"),
    ("remove_special_characters", "price: $5 (approx.) e-mail", "price 5 approx e mail"),
    ("remove_duplicate_characters", "sooooo goood!!!!", "soo good!!"),
    ("remove_email_addresses", "write to Jeffrey.Schlimmer@a.gp.cs.cmu.edu now",
     "write to now"),
    ("remove_urls", "see https://archive.ics.uci.edu/ml or www.example.org/x today",
     "see or today"),
    ("expand_verb_contractions", "I wouldn't stay, they're late, I'm here, won't go",
     "I would not stay, they are late, I am here, will not go"),
    ("normalize_backslashes_to_slashes", r"C:\data\cars", "C:/data/cars"),
    ("split_tokens_on_special_characters", "MS---WORD and R&D", "MS - WORD and R & D"),
])
def test_each_switch_alone(switch, text, expected):
    assert preprocessed(text, **{switch: True}) == expected


def test_the_defaults_together():
    text = ("I wouldn't buy it AGAIN!!! The 3 mice were running. Mail jo@cars.com or see "
            r"http://cars.com\x. MS---WORD")
    assert preprocessed(text, **dict.fromkeys(SWITCHES, True)) == \
        "buy ||| mouse run ||| mail ||| ms word"
    spec = REGISTRY["preprocess_text"]
    assert all(spec.param(name).default is True for name in SWITCHES)
    assert spec.param("language").options == ["English"]


def test_lowercase_special_characters_and_stop_words_equal_pandas(notes):
    out = run("preprocess_text", {"dataset": notes}, text_column="text",
              **(ALL_OFF | {"normalize_case_to_lowercase": True,
                            "remove_special_characters": True,
                            "remove_stop_words": True}))["results_dataset"]
    words = (notes["text"].str.lower().str.replace(r"[^\w\s]|_", " ", regex=True)
             .str.split())
    expected = words.map(lambda ws: " ".join(w for w in ws if w not in ENGLISH_STOP_WORDS))
    assert list(out.columns) == ["row", "text", "Preprocessed text"]
    assert out["Preprocessed text"].tolist() == expected.tolist()
    assert_frame_equal(out[["row", "text"]], notes)


def test_numbers_emails_and_backslashes_equal_pandas(notes):
    out = run("preprocess_text", {"dataset": notes}, text_column="text",
              **(ALL_OFF | {"remove_email_addresses": True,
                            "normalize_backslashes_to_slashes": True}))["results_dataset"]
    expected = (notes["text"]
                .str.replace(r"[\w.]+@\w+(\.\w+)+", " ", regex=True)
                .str.replace("\\", "/", regex=False).str.split().str.join(" "))
    assert out["Preprocessed text"].tolist() == expected.tolist()
    assert any("@" in t for t in notes["text"]) and any("\\" in t for t in notes["text"])


def test_a_custom_stop_word_list_and_regular_expression():
    frame = pd.DataFrame({"text": ["Red cars and blue cars", None]})
    words = pd.DataFrame({"word": ["CARS", "and"]})
    out = run("preprocess_text", {"dataset": frame, "stop_words": words}, text_column="text",
              **(ALL_OFF | {"remove_stop_words": True}),
              custom_regular_expression=r"\bblue\b", custom_replacement_string="green")
    assert out["results_dataset"]["Preprocessed text"].tolist() == ["Red green", ""]


def test_preprocess_text_names_its_culprits():
    frame = pd.DataFrame({"n": [1, 2], "text": ["a", "b"]})
    with pytest.raises(ModuleError, match="'missing' not in the data set"):
        run("preprocess_text", {"dataset": frame}, text_column="missing")
    with pytest.raises(ModuleError, match="column 'n' holds int64 values, not text"):
        run("preprocess_text", {"dataset": frame}, text_column="n")
    with pytest.raises(ModuleError, match=r"custom regular expression '\(' is invalid"):
        run("preprocess_text", {"dataset": frame}, text_column="text",
            custom_regular_expression="(")
    with pytest.raises(ParamError, match="'language' parameter of Preprocess Text"):
        REGISTRY["preprocess_text"].resolve_params({"text_column": "text", "language": "French"})


# Extract N-Gram Features from Text

def ngram_run(frame, **params):
    out = run("extract_ngram_features", {"dataset": frame}, text_column="text", **params)
    return out["results_dataset"], out["result_vocabulary"]


def features(result, column="text"):
    return result[[c for c in result.columns if c.startswith(f"{column}.")]]


@pytest.mark.parametrize("weighting", ["binary", "tf", "idf", "tf_idf"])
def test_unigram_weights_equal_count_vectorizer(notes, weighting):
    result, vocabulary = ngram_run(notes, weighting_function=weighting,
                                   minimum_ngram_document_absolute_frequency=3,
                                   maximum_ngram_document_ratio=0.5)
    counter = CountVectorizer(token_pattern=r"(?u)\b\w{3,25}\b", min_df=3, max_df=0.5)
    counts = counter.fit_transform(notes["text"]).toarray().astype(float)
    df = (counts > 0).sum(axis=0)
    idf = np.log(len(notes) / df)
    expected = {"binary": (counts > 0) * 1.0, "tf": counts, "idf": (counts > 0) * idf,
                "tf_idf": counts * idf}[weighting]
    grams = list(counter.get_feature_names_out())
    assert list(result.columns) == ["row", *(f"text.{g}" for g in grams)]
    np.testing.assert_allclose(features(result).to_numpy(), expected, rtol=1e-12)
    assert list(vocabulary.columns) == ["Id", "NGram", "DF", "IDF"]
    assert vocabulary["NGram"].tolist() == grams
    assert vocabulary["DF"].tolist() == df.tolist()
    np.testing.assert_allclose(vocabulary["IDF"], idf, rtol=1e-12)


def test_tf_idf_matches_tfidf_vectorizer_and_normalizes(notes):
    result, _ = ngram_run(notes, weighting_function="tf_idf", ngrams_size=2,
                          minimum_word_length=1, minimum_ngram_document_absolute_frequency=2,
                          normalize_ngram_feature_vectors=True)
    # TfidfVectorizer without smoothing weighs tf * (ln(N / df) + 1): take the tf part off.
    tfidf = TfidfVectorizer(token_pattern=r"(?u)\b\w+\b", ngram_range=(1, 2), min_df=2,
                            smooth_idf=False, norm=None)
    weights = tfidf.fit_transform(notes["text"]).toarray()
    counts = CountVectorizer(token_pattern=r"(?u)\b\w+\b", ngram_range=(1, 2), min_df=2,
                             ).fit_transform(notes["text"]).toarray()
    expected = normalize(weights - counts, norm="l2")
    names = [f"text.{g.replace(' ', '_')}" for g in tfidf.get_feature_names_out()]
    assert sorted(features(result).columns) == sorted(names)
    np.testing.assert_allclose(features(result)[names].to_numpy(), expected, atol=1e-12)


def test_word_lengths_and_sentences_bound_the_ngrams():
    frame = pd.DataFrame({"text": ["big red cars ||| go fast", "BIG RED cars"]})
    result, vocabulary = ngram_run(frame, ngrams_size=3, minimum_word_length=3,
                                   maximum_word_length=4,
                                   minimum_ngram_document_absolute_frequency=1)
    assert vocabulary["NGram"].tolist() == ["big", "big_red", "big_red_cars", "cars", "fast",
                                            "red", "red_cars"]
    assert features(result).to_numpy().sum(axis=0).tolist() == [2, 2, 2, 2, 1, 2, 2]


def test_read_only_scores_new_rows_with_the_saved_vocabulary(notes):
    train, test = notes.iloc[:120], notes.iloc[120:].reset_index(drop=True)
    _, vocabulary = ngram_run(train, weighting_function="tf_idf")
    out = run("extract_ngram_features", {"dataset": test, "input_vocabulary": vocabulary},
              text_column="text", vocabulary_mode="ReadOnly", weighting_function="tf_idf")
    grams = vocabulary["NGram"].tolist()
    counts = CountVectorizer(token_pattern=r"(?u)\b\w{3,25}\b", vocabulary=grams
                             ).fit_transform(test["text"]).toarray()
    np.testing.assert_allclose(features(out["results_dataset"]).to_numpy(),
                               counts * vocabulary["IDF"].to_numpy(), rtol=1e-12)
    assert_frame_equal(out["result_vocabulary"], vocabulary)


def test_ngram_features_name_their_culprits(notes):
    with pytest.raises(ModuleError, match="ReadOnly vocabulary mode needs the Input vocabulary"):
        ngram_run(notes, vocabulary_mode="ReadOnly")
    with pytest.raises(ModuleError, match=r"Input vocabulary\): column 'IDF' not in"):
        run("extract_ngram_features", {"dataset": notes,
                                       "input_vocabulary": pd.DataFrame({"NGram": ["a"]})},
            text_column="text", vocabulary_mode="ReadOnly")
    with pytest.raises(ModuleError, match="IDF column holds 1 value\\(s\\) that are not numbers"):
        run("extract_ngram_features",
            {"dataset": notes, "input_vocabulary": pd.DataFrame({"NGram": ["a", "b"],
                                                                 "IDF": [0.5, "x"]})},
            text_column="text", vocabulary_mode="ReadOnly")
    with pytest.raises(ModuleError, match="repeats n-gram\\(s\\) data"):
        run("extract_ngram_features",
            {"dataset": notes, "input_vocabulary": pd.DataFrame({"NGram": ["data", "data"],
                                                                 "IDF": [0.5, 1.0]})},
            text_column="text", vocabulary_mode="ReadOnly")
    with pytest.raises(ModuleError, match="no n-gram of column 'text' is left"):
        ngram_run(notes, minimum_ngram_document_absolute_frequency=10_000)
    with pytest.raises(ModuleError, match=r"minimum word length \(9\) is above"):
        ngram_run(notes, minimum_word_length=9, maximum_word_length=4)
    with pytest.raises(ParamError, match="'ngrams_size' parameter .* range \\[1, 25\\]"):
        REGISTRY["extract_ngram_features"].resolve_params({"text_column": "t",
                                                           "ngrams_size": 0})


# Feature Hashing

def test_feature_hashing_equals_hashing_vectorizer(notes):
    out = run("feature_hashing", {"dataset": notes}, target_columns=["text"],
              hashing_bitsize=6, ngrams=2)["transformed_dataset"]
    hashed = HashingVectorizer(n_features=64, ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b",
                               alternate_sign=False, norm=None).transform(notes["text"])
    names = [f"text_HashingFeature.{i}" for i in range(64)]
    assert list(out.columns) == ["row", "text", *names]
    np.testing.assert_array_equal(out[names].to_numpy(), hashed.toarray())
    # Every word and bigram lands in exactly one column.
    words = notes["text"].str.lower().map(lambda t: len(re.findall(r"\w+", t)))
    np.testing.assert_array_equal(out[names].sum(axis=1), words + (words - 1).clip(lower=0))
    spec = REGISTRY["feature_hashing"]
    designed = spec.columns({"dataset": ["row", "text"]},
                            spec.resolve_params({"target_columns": ["text"],
                                                 "hashing_bitsize": 6}), None)
    assert designed == {"transformed_dataset": list(out.columns)}


def test_feature_hashing_names_its_culprits(notes):
    with pytest.raises(ModuleError, match="'nope' not in the data set"):
        run("feature_hashing", {"dataset": notes}, target_columns=["nope"])
    with pytest.raises(ParamError, match="'hashing_bitsize' parameter of Feature Hashing"):
        REGISTRY["feature_hashing"].resolve_params({"target_columns": ["text"],
                                                    "hashing_bitsize": 40})
