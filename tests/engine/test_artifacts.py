"""The artifact store: kinds, round trips, key checks, manifests."""

import numpy as np
import pandas as pd
import pytest

from app.engine.artifacts import ArtifactRef, ArtifactStore, digest


@pytest.fixture
def store(tmp_path):
    return ArtifactStore(tmp_path)


def test_frames_round_trip_with_categories_and_attrs(store):
    frame = pd.DataFrame({"n": pd.Categorical([1, 2, 1]), "t": pd.Categorical(["a", "b", "a"]),
                          "x": [0.5, np.nan, 2.0], "s": ["p", None, "q"]})
    frame.attrs["label_column"] = "x"
    ref = store.put(digest("frame"), frame)
    assert ref.kind == "arrow"
    assert store.path(ref).read_bytes()[:6] == b"ARROW1"
    back = store.get(ref)
    pd.testing.assert_frame_equal(back, frame)
    assert back.attrs == {"label_column": "x"}


def stored_as_parquet(store, key, frame):
    """A data set as an earlier version stored it: Parquet under kind 'parquet'."""
    ref = ArtifactRef(key, "parquet")
    store.path(ref).parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(store.path(ref), index=False)
    return ref


def test_data_sets_stored_as_parquet_before_are_still_read(store):
    frame = pd.DataFrame({"n": pd.Categorical([1, 2, 1]), "s": ["p", None, "q"]})
    frame.attrs["task"] = "binary"
    back = store.get(stored_as_parquet(store, digest("old"), frame))
    pd.testing.assert_frame_equal(back, frame)
    assert back.attrs == {"task": "binary"}


@pytest.mark.parametrize("stored", ["arrow", "parquet"])
def test_a_data_set_is_described_from_its_schema(store, stored):
    frame = pd.DataFrame({"n": pd.Categorical([1, 2, 1]), "x": [0.5, 1.0, 2.0], "s": list("abc")})
    ref = store.put(digest("d"), frame) if stored == "arrow" else \
        stored_as_parquet(store, digest("d"), frame)
    assert store.describe(ref) == {"type": "dataframe", "rows": 3, "columns": 3,
                                   "dtypes": {"n": "category", "x": "float64", "s": "str"}}
    assert store.describe(store.put(digest("m"), [1])) == {"type": "joblib"}


def test_json_and_joblib(store):
    metrics = store.put(digest("m"), {"metrics": {"auc": 0.9}})
    model = store.put(digest("o"), [1, 2, 3])
    assert (metrics.kind, model.kind) == ("json", "joblib")
    assert store.get(metrics) == {"metrics": {"auc": 0.9}}
    assert store.get(model) == [1, 2, 3]


def test_put_is_idempotent_and_leaves_no_temporary_files(store, tmp_path):
    key = digest("same")
    store.put(key, {"a": 1})
    store.put(key, {"a": 2})  # the key identifies the computation: the first write stands
    assert store.get(ArtifactRef(key, "json")) == {"a": 1}
    assert not [p for p in tmp_path.rglob(".tmp-*")]


def test_nan_metrics_are_refused_rather_than_written_as_invalid_json(store):
    with pytest.raises(ValueError):
        store.put(digest("nan"), {"auc": float("nan")})


@pytest.mark.parametrize("ref", [
    ArtifactRef("../../etc/passwd", "json"), ArtifactRef("ab" * 32, "pickle"),
    ArtifactRef("AB" * 32, "json"),
])
def test_only_well_formed_keys_are_addressable(store, ref):
    with pytest.raises(ValueError, match="not an artifact reference"):
        store.path(ref)


def test_manifest_needs_every_output_present(store):
    ref = store.put(digest("out"), {"v": 1})
    store.put_manifest(digest("step"), {"outputs": {"o": ref.as_dict()}, "run_id": "r1"})
    assert store.get_manifest(digest("step"))["run_id"] == "r1"
    store.path(ref).unlink()
    assert store.get_manifest(digest("step")) is None
    assert store.get_manifest("not-a-key") is None


@pytest.mark.parametrize("compress", [0, 3])
def test_models_joblib_dump_wrote_in_earlier_versions_are_still_read(store, compress):
    import joblib
    from sklearn.ensemble import HistGradientBoostingClassifier

    rows = np.random.default_rng(0).normal(size=(200, 3))
    model = HistGradientBoostingClassifier(max_iter=5).fit(rows, rows[:, 0] > 0)
    ref = ArtifactRef(digest(f"old model {compress}"), "joblib")
    store.path(ref).parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, store.path(ref), compress=compress)  # numpy arrays in joblib's format
    np.testing.assert_array_equal(store.get(ref).predict_proba(rows), model.predict_proba(rows))
    new = store.put(digest("new model"), model)  # the standard pickler's file
    np.testing.assert_array_equal(store.get(new).predict_proba(rows), model.predict_proba(rows))
