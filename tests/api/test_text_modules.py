"""The Text Analytics modules over HTTP: design-time columns, a run from typed reviews to
n-gram features scored with a saved vocabulary, and bad values refused by name."""

import io

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer

from tests.api.test_catalogue import SOURCE
from tests.api.test_runs import finished_run, submit
from tests.conftest import ROOT

REVIEWS = "\n".join([
    "id,review",
    "1,The engine runs great and the seats are great",
    "2,Terrible engine. Awful gearbox!!!",
    "3,Great seats; great price",
    "4,The price was terrible",
    "5,Seats were comfortable and the engine great",
    "6,Engine noise was terrible and the price high",
])
TEXT = "Preprocessed review"


def wire(a, p, b, q):
    return {"from": {"node": a, "port": p}, "to": {"node": b, "port": q}}


DOCUMENT = {
    "name": "Reviews",
    "nodes": [
        {"id": "data", "module": "enter_data_manually", "params": {"data": REVIEWS}},
        {"id": "clean", "module": "preprocess_text", "params": {"text_column": "review"}},
        {"id": "split", "module": "split_data", "params": {"fraction": 0.5, "randomized": False}},
        {"id": "create", "module": "extract_ngram_features",
         "params": {"text_column": TEXT, "ngrams_size": 2, "weighting_function": "tf_idf",
                    "minimum_ngram_document_absolute_frequency": 1}},
        {"id": "reuse", "module": "extract_ngram_features",
         "params": {"text_column": TEXT, "ngrams_size": 2, "weighting_function": "tf_idf",
                    "vocabulary_mode": "ReadOnly"}},
        {"id": "hash", "module": "feature_hashing",
         "params": {"target_columns": [TEXT], "hashing_bitsize": 3, "ngrams": 1}},
    ],
    "edges": [wire("data", "dataset", "clean", "dataset"),
              wire("clean", "results_dataset", "split", "dataset"),
              wire("split", "results1", "create", "dataset"),
              wire("split", "results2", "reuse", "dataset"),
              wire("create", "result_vocabulary", "reuse", "input_vocabulary"),
              wire("clean", "results_dataset", "hash", "dataset")],
}


def output(client, run, node, port):
    answer = client.get(f"/api/v1/runs/{run['id']}/steps/{node}/outputs/{port}")
    assert answer.status_code == 200, (node, port)
    return pd.read_csv(io.BytesIO(answer.data), keep_default_na=False)


def test_a_run_from_reviews_to_ngram_features_equals_scikit_learn(client, run_queued):
    run = finished_run(client, run_queued, document=DOCUMENT)
    assert run["status"] == "Finished", run
    cleaned = output(client, run, "clean", "results_dataset")
    assert cleaned[TEXT].tolist() == [
        "engine run great seat great", "terrible engine ||| awful gearbox",
        "great seat great price", "price terrible", "seat comfortable engine great",
        "engine noise terrible price high"]

    train, test = cleaned[TEXT].iloc[:3], cleaned[TEXT].iloc[3:]
    # Each sentence on its own: the sentence mark ends an n-gram, no bigram spans it.
    analyze = CountVectorizer(token_pattern=r"(?u)\b\w{3,25}\b", ngram_range=(1, 2)
                              ).build_analyzer()
    per_row = [{g.replace(" ", "_") for part in text.split("|||") for g in analyze(part)}
               for text in train]
    grams = sorted(set().union(*per_row))
    vocabulary = output(client, run, "create", "result_vocabulary")
    assert vocabulary["NGram"].tolist() == grams
    assert "awful_gearbox" in grams and "engine_awful" not in grams
    assert vocabulary["DF"].tolist() == [sum(g in row for row in per_row) for g in grams]
    idf = np.log(3 / vocabulary["DF"].to_numpy())
    np.testing.assert_allclose(vocabulary["IDF"], idf, rtol=1e-12)

    reused = output(client, run, "reuse", "results_dataset")
    assert list(reused.columns) == ["id", "review", *(f"{TEXT}.{g}" for g in vocabulary["NGram"])]
    new_counts = CountVectorizer(token_pattern=r"(?u)\b\w{3,25}\b", ngram_range=(1, 2),
                                 vocabulary=[g.replace("_", " ") for g in vocabulary["NGram"]]
                                 ).fit_transform(test).toarray()
    np.testing.assert_allclose(reused.iloc[:, 2:].to_numpy(), new_counts * idf,
                               rtol=1e-12)

    hashed = output(client, run, "hash", "transformed_dataset")
    assert list(hashed.columns[-8:]) == [f"{TEXT}_HashingFeature.{i}" for i in range(8)]
    words = cleaned[TEXT].str.count(r"\w+")
    assert hashed.iloc[:, -8:].sum(axis=1).tolist() == words.tolist()


def income_text(text_params):
    """The sample income file, its occupation column preprocessed and hashed."""
    return {"name": "Occupations", "nodes": [
        {"id": "data", "module": "import_data", "params": SOURCE},
        {"id": "clean", "module": "preprocess_text", "params": text_params},
        {"id": "hash", "module": "feature_hashing",
         "params": {"target_columns": ["Preprocessed occupation"], "hashing_bitsize": 2}},
        {"id": "ngrams", "module": "extract_ngram_features",
         "params": {"text_column": "Preprocessed occupation"}},
        {"id": "summary", "module": "summarize_data", "params": {}},
    ], "edges": [wire("data", "dataset", "clean", "dataset"),
                 wire("clean", "results_dataset", "hash", "dataset"),
                 wire("hash", "transformed_dataset", "ngrams", "dataset"),
                 wire("ngrams", "result_vocabulary", "summary", "dataset")]}


def test_design_time_columns_of_the_text_modules(client):
    doc = income_text({"text_column": "occupation"})
    columns = client.post("/api/v1/pipelines/columns", json={"document": doc}).get_json()
    names = list(pd.read_csv(ROOT / "sample_data/income/us.csv", nrows=1).columns)
    columns = columns["columns"]
    assert columns["hash"]["dataset"] == [*names, "Preprocessed occupation"]
    assert columns["ngrams"]["dataset"] == [
        *names, "Preprocessed occupation",
        *(f"Preprocessed occupation_HashingFeature.{i}" for i in range(4))]
    assert columns["summary"]["dataset"] == ["Id", "NGram", "DF", "IDF"]


def test_bad_text_module_values_are_refused_by_node_and_field(client):
    doc = {**DOCUMENT, "nodes": [dict(n) for n in DOCUMENT["nodes"]]}
    doc["nodes"][3] = {**doc["nodes"][3], "params": {**doc["nodes"][3]["params"],
                                                     "ngrams_size": 0}}
    answer = submit(client, document=doc)
    assert answer.status_code == 422
    assert answer.get_json()["node_errors"]["create"] == [
        "The 'ngrams_size' parameter of Extract N-Gram Features from Text must be an int in "
        "the range [1, 25]. Got 0 instead."]
    answer = client.post("/api/v1/pipelines/validate",
                         json={"document": income_text({"text_column": "job"})}).get_json()
    assert "'job'" in answer["field_errors"]["clean"]["text_column"][0]
