"""Text Analytics: Extract N-Gram Features from Text and Feature Hashing (scikit-learn)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer

from app.engine.context import ModuleError
from app.engine.registry import module
from app.engine.spec import DATAFRAME, Bool, Choice, Columns, Float, Int, Port

from .text import CATEGORY, SENTENCE_MARK
from .transform import column_list, require_columns

NGRAM_LABEL = "Extract N-Gram Features from Text"
HASHING_LABEL = "Feature Hashing"
VOCABULARY_COLUMNS = ["Id", "NGram", "DF", "IDF"]
WEIGHTS = {"binary": "Binary Weight", "tf": "TF Weight", "idf": "IDF Weight",
           "tf_idf": "TF-IDF Weight"}
WORD = re.compile(r"\w+")
WORD_PATTERN = r"(?u)\b\w+\b"  # the same words, as scikit-learn's vectorizers read them
MAX_CELLS = 50_000_000  # rows x features of a dense output (400 MB of float64)


def ngrams(text: str, size: int, min_length: int, max_length: int) -> list[str]:
    """The 1- to ``size``-grams of ``text`` joined by "_", lowercased; sentences ('|||')
    are never crossed, and an n-gram is kept only if each of its words has between
    ``min_length`` and ``max_length`` characters."""
    grams = []
    for sentence in text.lower().split(SENTENCE_MARK):
        words = WORD.findall(sentence)
        fits = [min_length <= len(w) <= max_length for w in words]
        for n in range(1, size + 1):
            for start in range(len(words) - n + 1):
                if all(fits[start:start + n]):
                    grams.append("_".join(words[start:start + n]))
    return grams


def _texts(dataset: pd.DataFrame, column: str) -> list[str]:
    """The column as text, missing values as ""."""
    values = dataset[column].astype(object)
    return ["" if pd.isna(v) else str(v) for v in values]


def _check_size(rows: int, features: int, label: str) -> None:
    if rows * features > MAX_CELLS:
        raise ModuleError(f"{label}: {rows} rows x {features} features is more than "
                          f"{MAX_CELLS:,} values; raise the minimum frequency or lower the size")


def _vocabulary_input(vocabulary: pd.DataFrame | None) -> pd.DataFrame:
    """The ReadOnly vocabulary, checked: NGram and IDF columns, no repeated n-gram."""
    if vocabulary is None:
        raise ModuleError(f"{NGRAM_LABEL}: the ReadOnly vocabulary mode needs the Input "
                          "vocabulary port wired (the Result vocabulary of an earlier run)")
    require_columns(vocabulary, ["NGram", "IDF"], f"{NGRAM_LABEL} (Input vocabulary)")
    idf = pd.to_numeric(vocabulary["IDF"], errors="coerce")
    if idf.isna().any():
        raise ModuleError(f"{NGRAM_LABEL}: the input vocabulary's IDF column holds "
                          f"{int(idf.isna().sum())} value(s) that are not numbers")
    grams = vocabulary["NGram"].astype(str)
    repeated = sorted(set(grams[grams.duplicated()]))
    if repeated:
        raise ModuleError(f"{NGRAM_LABEL}: the input vocabulary repeats n-gram(s) "
                          f"{column_list(repeated, 10)}")
    return vocabulary


def _weights(counts, weighting: str, idf: np.ndarray, normalize: bool) -> np.ndarray:
    """Dense weights of a document x n-gram count matrix."""
    tf = counts.toarray().astype("float64")
    present = (tf > 0).astype("float64")
    values = {"binary": present, "tf": tf, "idf": present * idf, "tf_idf": tf * idf}[weighting]
    if normalize:
        norms = np.sqrt((values ** 2).sum(axis=1, keepdims=True))
        values = np.divide(values, norms, out=np.zeros_like(values), where=norms > 0)
    return values


def _ngram_columns(fed, params, datastores):
    """The vocabulary's columns are fixed; the n-gram columns depend on the data."""
    return {"results_dataset": None, "result_vocabulary": VOCABULARY_COLUMNS}


@module(
    "extract_ngram_features", label=NGRAM_LABEL, category=CATEGORY,
    inputs=[Port("dataset", DATAFRAME), Port("input_vocabulary", DATAFRAME, optional=True)],
    outputs=[Port("results_dataset", DATAFRAME), Port("result_vocabulary", DATAFRAME)],
    columns=_ngram_columns,
    params=[
        Columns("text_column", single=True, description="The column of text to analyze."),
        Choice("vocabulary_mode", options=["Create", "ReadOnly"], default="Create",
               description="Create: build the vocabulary from this data set. ReadOnly: use "
                           "the Input vocabulary (n-grams and IDF) unchanged."),
        Int("ngrams_size", default=1, min=1, max=25, label="N-Grams size",
            description="The longest n-gram: 3 gives unigrams, bigrams and trigrams."),
        Choice("weighting_function", options=list(WEIGHTS), default="binary",
               option_labels=WEIGHTS,
               description="Binary: 1 when present; TF: the count; IDF: log(rows / rows "
                           "containing it) when present; TF-IDF: count x IDF."),
        Int("minimum_word_length", default=3, min=1, max=1000,
            description="Shorter words make no n-gram."),
        Int("maximum_word_length", default=25, min=2, max=1000,
            description="Longer words make no n-gram."),
        Int("minimum_ngram_document_absolute_frequency", default=5, min=1, max=10**9,
            label="Minimum n-gram document absolute frequency",
            when={"vocabulary_mode": "Create"},
            description="Keep n-grams found in at least this many rows."),
        Float("maximum_ngram_document_ratio", default=1.0, min=0.0, max=1.0,
              label="Maximum n-gram document ratio", when={"vocabulary_mode": "Create"},
              description="Drop n-grams found in more than this share of the rows."),
        Bool("normalize_ngram_feature_vectors", default=False,
             label="Normalize n-gram feature vectors",
             description="Divide each row's n-gram weights by their L2 norm."),
    ],
)
def extract_ngram_features(dataset, input_vocabulary=None, *, text_column, vocabulary_mode,
                           ngrams_size, weighting_function, minimum_word_length,
                           maximum_word_length, minimum_ngram_document_absolute_frequency,
                           maximum_ngram_document_ratio, normalize_ngram_feature_vectors):
    """Turn a text column into one weighted column per n-gram, "<column>.<n-gram>".

    Words are runs of letters and digits, lowercased; an n-gram joins them with "_". The
    text column is replaced by the n-gram columns (the other columns pass through); the
    Result vocabulary lists each n-gram's Id, NGram, DF (rows containing it) and IDF
    (natural log of rows / DF). ReadOnly scores new data with a saved vocabulary, its IDF
    included. Azure's Update and Merge modes and its built-in feature selection are not
    offered (Filter Based Feature Selection does the latter).
    """
    require_columns(dataset, [text_column], NGRAM_LABEL)
    if minimum_word_length > maximum_word_length:
        raise ModuleError(f"{NGRAM_LABEL}: the minimum word length ({minimum_word_length}) is "
                          f"above the maximum word length ({maximum_word_length})")

    def analyzer(text):
        return ngrams(text, ngrams_size, minimum_word_length, maximum_word_length)

    texts = _texts(dataset, text_column)
    if vocabulary_mode == "ReadOnly":
        vocabulary = _vocabulary_input(input_vocabulary)
        grams = list(vocabulary["NGram"].astype(str))
        counts = CountVectorizer(analyzer=analyzer, vocabulary=grams).fit_transform(texts)
        idf = vocabulary["IDF"].to_numpy(dtype="float64")
        result_vocabulary = vocabulary.reset_index(drop=True)
    else:
        vectorizer = CountVectorizer(
            analyzer=analyzer, min_df=minimum_ngram_document_absolute_frequency,
            max_df=maximum_ngram_document_ratio)
        try:
            counts = vectorizer.fit_transform(texts)
        except ValueError as exc:  # no n-gram left after the frequency limits
            raise ModuleError(f"{NGRAM_LABEL}: no n-gram of column {text_column!r} is left "
                              f"({exc}); lower the minimum n-gram document frequency or "
                              "raise the maximum ratio") from None
        grams = list(vectorizer.get_feature_names_out())
        df = np.asarray((counts > 0).sum(axis=0)).ravel()
        idf = np.log(len(texts) / df)
        result_vocabulary = pd.DataFrame({"Id": np.arange(len(grams)), "NGram": grams,
                                          "DF": df.astype("int64"), "IDF": idf})
    _check_size(len(texts), len(grams), NGRAM_LABEL)
    values = _weights(counts, weighting_function, idf, normalize_ngram_feature_vectors)
    names = [f"{text_column}.{g}" for g in grams]
    clash = sorted(set(names) & set(dataset.columns))
    if clash:
        raise ModuleError(f"{NGRAM_LABEL}: the data set already has column(s) "
                          f"{column_list(clash, 10)}")
    features = pd.DataFrame(values, columns=names, index=dataset.index)
    out = pd.concat([dataset.drop(columns=[text_column]), features], axis=1)
    return {"results_dataset": out, "result_vocabulary": result_vocabulary}


def hashing_names(columns, bitsize: int) -> list[str]:
    """The appended columns: "<column>_HashingFeature.<i>" for i below 2 ** bitsize."""
    return [f"{c}_HashingFeature.{i}" for c in columns for i in range(2 ** bitsize)]


def _hashed_columns(fed, params, datastores):
    names = fed.get("dataset")
    if names is None:
        return {"transformed_dataset": None}
    return {"transformed_dataset": [
        *names, *hashing_names(params["target_columns"], params["hashing_bitsize"])]}


@module(
    "feature_hashing", label=HASHING_LABEL, category=CATEGORY,
    inputs=[Port("dataset", DATAFRAME)], outputs=[Port("transformed_dataset", DATAFRAME)],
    columns=_hashed_columns,
    params=[
        Columns("target_columns", description="The text columns to hash."),
        Int("hashing_bitsize", default=10, min=1, max=16,
            description="2 ** bitsize columns per text column."),
        Int("ngrams", default=2, min=0, max=10, label="N-grams",
            description="The longest n-gram hashed (0 or 1: words only)."),
    ],
)
def feature_hashing(dataset, *, target_columns, hashing_bitsize, ngrams):
    """Hash the words and n-grams of text columns into 2 ** bitsize count columns each.

    Words are runs of letters and digits, lowercased; each 1- to N-gram adds 1 to the column
    its MurmurHash3 (scikit-learn's HashingVectorizer, no sign flipping, no normalization)
    points at. The columns are appended as "<column>_HashingFeature.<i>"; Azure hashes
    with Vowpal Wabbit, so its buckets differ.
    """
    require_columns(dataset, target_columns, HASHING_LABEL)
    if not target_columns:
        raise ModuleError(f"{HASHING_LABEL}: choose at least one target column")
    width = 2 ** hashing_bitsize
    _check_size(len(dataset), width * len(target_columns), HASHING_LABEL)
    clash = sorted(set(hashing_names(target_columns, hashing_bitsize)) & set(dataset.columns))
    if clash:
        raise ModuleError(f"{HASHING_LABEL}: the data set already has column(s) "
                          f"{column_list(clash, 10)}")
    vectorizer = HashingVectorizer(n_features=width, ngram_range=(1, max(ngrams, 1)),
                                   token_pattern=WORD_PATTERN, alternate_sign=False,
                                   norm=None)
    blocks = [dataset]
    for column in target_columns:
        hashed = vectorizer.transform(_texts(dataset, column)).toarray()
        blocks.append(pd.DataFrame(hashed, index=dataset.index,
                                   columns=hashing_names([column], hashing_bitsize)))
    return {"transformed_dataset": pd.concat(blocks, axis=1)}
