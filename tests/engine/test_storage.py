"""Storage URLs: which are refused and why, and the artifact store on a remote file system."""

import pickle
from datetime import UTC, datetime

import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from app.engine.artifacts import ArtifactStore, digest
from app.engine.storage import (
    StorageError,
    _Stat,
    filesystem,
    local_path,
    scheme_of,
)


@pytest.mark.parametrize("location, scheme", [
    ("/data/x", None), ("relative/x", None), ("file:///data/x", None), ("s3://b/p", "s3"),
    ("memory://x", "memory"), ("GS://b", "gs")])
def test_scheme_of_tells_local_folders_from_urls(location, scheme):
    assert scheme_of(location) == scheme


def test_a_file_url_is_its_folder():
    assert str(local_path("file:///data/x")) == "/data/x"


@pytest.mark.parametrize("url, match", [
    ("nosuch://bucket/x", "unknown scheme 'nosuch'"),
    ("s3://key:secret@bucket/x", "carries credentials"),
])
def test_unusable_urls_are_refused_naming_the_culprit(url, match):
    with pytest.raises(StorageError, match=match) as caught:
        filesystem(url)
    assert "secret" not in str(caught.value).replace("credentials", "")


def test_the_artifact_store_on_s3_keeps_every_kind(s3):
    store = ArtifactStore(f"s3://{s3.bucket}/artifacts", s3.options)
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": pd.Categorical(["a", "b", "a"])})
    frame.attrs = {"label": "x"}
    model = LinearRegression().fit(frame[["x"]], [2.0, 4.0, 6.0])
    refs = {name: store.put(digest(name), value)
            for name, value in {"frame": frame, "model": model, "metrics": {"r2": 1.0}}.items()}

    assert s3.fs.exists(f"{s3.bucket}/artifacts/{refs['frame'].key[:2]}/"
                        f"{refs['frame'].key}.arrow")
    pd.testing.assert_frame_equal(store.get(refs["frame"]), frame)
    assert store.get(refs["frame"]).attrs == {"label": "x"}
    assert store.get(refs["model"]).predict(pd.DataFrame({"x": [4.0]})) == pytest.approx([8.0])
    assert store.get(refs["metrics"]) == {"r2": 1.0}
    assert store.describe(refs["frame"]) == {
        "type": "dataframe", "rows": 3, "columns": 2, "dtypes": {"x": "float64", "c": "category"}}

    store.put_manifest(digest("step"), {"outputs": {p: r.as_dict() for p, r in refs.items()}})
    elsewhere = pickle.loads(pickle.dumps(store))  # as a worker process receives it
    assert elsewhere.get_manifest(digest("step"))["outputs"]["model"] == refs["model"].as_dict()
    s3.fs.rm_file(store.path(refs["model"]))
    assert elsewhere.get_manifest(digest("step")) is None  # an output is gone: not reusable


def test_a_local_store_stays_on_plain_paths(tmp_path):
    store = ArtifactStore(f"file://{tmp_path}/artifacts")
    ref = store.put(digest("x"), pd.DataFrame({"a": [1]}))
    assert not store.remote and store.path(ref).is_file()
    assert store.path(ref).parent.parent == tmp_path / "artifacts"


def test_a_remote_folder_answers_as_a_path_does(s3):
    from app.engine.storage import RemotePath

    for name in ("in/a.csv", "in/b.parquet", "in/deep/c.csv"):
        s3.fs.pipe_file(f"{s3.bucket}/{name}", b"a\n1\n")
    folder = RemotePath(*filesystem(f"s3://{s3.bucket}/in", s3.options), f"s3://{s3.bucket}/in")
    assert folder.is_dir() and not folder.is_file()
    assert sorted(p.name for p in folder.iterdir()) == ["a.csv", "b.parquet", "deep"]
    assert [p.relative_to(folder).as_posix() for p in sorted(folder.glob("**/*.csv"))] == [
        "a.csv", "deep/c.csv"]
    file = folder / "a.csv"
    assert file.is_file() and file.suffix == ".csv" and str(file) == f"s3://{s3.bucket}/in/a.csv"
    assert file.stat().st_size == 4 and file.stat().st_mtime_ns > 0
    assert file.read_bytes() == b"a\n1\n" and not (folder / "nothing.csv").exists()


STAMP = 1_790_000_000.5  # 2026-09-21T14:13:20.5Z


@pytest.mark.parametrize("info", [
    {"LastModified": datetime.fromtimestamp(STAMP, UTC)},  # s3fs
    {"last_modified": datetime.fromtimestamp(STAMP, UTC)},  # adlfs (az://)
    {"updated": "2026-09-21T14:13:20.500Z"},  # gcsfs
    {"mtime": STAMP},  # local, SFTP
    {"modified": datetime.fromtimestamp(STAMP, UTC).replace(tzinfo=None)},  # FTP, naive UTC
    {"created": datetime.fromtimestamp(STAMP, UTC)},  # memory
])
def test_a_remote_files_modification_time_is_read_from_each_file_systems_info(info):
    stat = _Stat({"size": 12, **info})
    assert (stat.st_size, stat.st_mtime) == (12, STAMP)


def test_a_modification_time_nobody_tells_is_zero():
    assert _Stat({"size": 3, "updated": "yesterday"}).st_mtime == 0.0
