"""Import Data, Enter Data Manually and Export Data against their pandas equivalents."""

import io
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pandas as pd
import pytest

from app.engine.context import Cancelled, ModuleError, StepContext
from app.engine.datastores import Datastores
from app.engine.outbound import OutboundPolicy
from app.engine.registry import REGISTRY
from app.engine.spec import ParamError
from app.modules import data as data_module
from app.modules.data import fingerprint
from tests.conftest import ADULT_COLUMNS

CSV = "name, age, city\nann, 31, Oslo\nbob, ?, n/a\ncid, 45, Lima\n"


@pytest.fixture
def store(tmp_path):
    """An empty datastore root called 'samples'."""
    root = tmp_path / "store"
    root.mkdir()
    return root


def run(name, params, store=None, inputs=None, ctx=None):
    """Call a module exactly as the engine does; return (outputs, context)."""
    spec = REGISTRY[name]
    ctx = ctx or StepContext("n1", datastores=Datastores({"samples": store} if store else {}))
    return spec.call(inputs or {}, spec.resolve_params(params), ctx=ctx), ctx


def imported(store, path, **params):
    """The data set Import Data reads from ``samples:path``."""
    out, _ = run("import_data", {"path": f"samples:{path}", **params}, store)
    return out["dataset"]


def test_specs_are_declared_as_documented():
    imp, man, exp = (REGISTRY[n] for n in ("import_data", "enter_data_manually", "export_data"))
    assert [m.label for m in (imp, man, exp)] == ["Import Data", "Enter Data Manually",
                                                   "Export Data"]
    assert {m.category for m in (imp, man, exp)} == {"Data Input and Output"}
    assert [p.name for p in imp.outputs] == ["dataset"] and imp.inputs == []
    assert [p.name for p in exp.inputs] == ["dataset"] and exp.outputs == []
    assert imp.resolve_params({"source": "url", "url": "http://x.test/a.csv"}) == {
        "source": "url", "path": None, "url": "http://x.test/a.csv", "format": "csv",
        "header": True, "column_names": "", "na_values": "",
    }
    assert man.resolve_params({}) == {"data_format": "csv", "has_header": True, "data": ""}
    assert imp.deterministic and man.deterministic and not exp.deterministic
    with pytest.raises(ParamError, match="The 'path' parameter of Export Data is required"):
        exp.resolve_params({})


# --- Import Data from a datastore ------------------------------------------------------------

def test_csv_matches_pandas(store):
    (store / "people.csv").write_text(CSV)
    expected = pd.read_csv(store / "people.csv", skipinitialspace=True)
    pd.testing.assert_frame_equal(imported(store, "people.csv"), expected)


def test_tsv_and_extra_na_values_match_pandas(store):
    (store / "people.tsv").write_text(CSV.replace(", ", "\t"))
    expected = pd.read_csv(store / "people.tsv", sep="\t", na_values=["?", "n/a"])
    got = imported(store, "people.tsv", format="tsv", na_values=" ?, n/a ,")
    pd.testing.assert_frame_equal(got, expected)
    assert got["age"].dtype == "float64" and got["city"].isna().sum() == 1


def test_no_header_names_columns_col1_to_coln(store):
    (store / "raw.csv").write_text("1,x\n2,y\n")
    expected = pd.read_csv(store / "raw.csv", header=None, names=["Col1", "Col2"])
    pd.testing.assert_frame_equal(imported(store, "raw.csv", header=False), expected)


def test_no_header_with_column_names(store):
    (store / "raw.csv").write_text("1, x\n2, y\n")
    expected = pd.read_csv(store / "raw.csv", header=None, names=["id", "tag"],
                           skipinitialspace=True)
    got = imported(store, "raw.csv", header=False, column_names="id, tag")
    pd.testing.assert_frame_equal(got, expected)


def test_header_plus_column_names_keeps_the_header_and_says_so(store):
    (store / "people.csv").write_text(CSV)
    out, ctx = run("import_data", {"path": "samples:people.csv", "column_names": "a,b,c"}, store)
    assert list(out["dataset"].columns) == ["name", "age", "city"]
    assert any("column_names ignored" in line for line in ctx.lines)


def test_parquet_round_trip(store):
    frame = pd.DataFrame({"x": [1.5, None, 3.0], "s": ["a", None, "c"], "n": [1, 2, 3]})
    frame.to_parquet(store / "f.parquet", index=False)
    got = imported(store, "f.parquet", format="parquet")
    pd.testing.assert_frame_equal(got, pd.read_parquet(store / "f.parquet"))
    pd.testing.assert_frame_equal(got, frame, check_dtype=False)


def test_real_adult_data_matches_the_reference_frame(shared_data, adult):
    out, ctx = run("import_data", {
        "path": {"datastore": "samples", "path": "adult.data"}, "header": False,
        "column_names": ",".join(ADULT_COLUMNS), "na_values": "?",
    }, shared_data)
    pd.testing.assert_frame_equal(out["dataset"], adult)
    assert any("Read 32561 rows, 15 columns" in line for line in ctx.lines)


def test_log_names_rows_columns_size_and_mtime(store):
    file = store / "people.csv"
    file.write_text(CSV)
    _, ctx = run("import_data", {"path": "samples:people.csv"}, store)
    stat = file.stat()
    log = "\n".join(ctx.lines)
    assert f"{stat.st_size} bytes, mtime_ns {stat.st_mtime_ns}" in log
    assert "Read 3 rows, 3 columns" in log


def test_cancelled_run_stops_before_parsing(store):
    (store / "people.csv").write_text(CSV)
    ctx = StepContext("n1", datastores=Datastores({"samples": store}))
    ctx.token.cancel()
    with pytest.raises(Cancelled):
        run("import_data", {"path": "samples:people.csv"}, ctx=ctx)


@pytest.mark.parametrize(
    ("name", "content", "params", "message"),
    [
        ("e.csv", "", {}, r"the file 'e\.csv' in datastore 'samples' is empty"),
        ("blank.csv", "\n\n  \n", {}, r"'blank\.csv' in datastore 'samples' is empty"),
        ("ragged.csv", "a,b\n1,2\n3,4,5\n", {},
         r"'ragged\.csv' .* is not a valid CSV file: .*Expected 2 fields in line 3, saw 3"),
        ("shifted.csv", "a,b\n1,2,3\n", {}, r"rows have more fields than its header"),
        ("bin.csv", b"a,b\n\xff\xfe\x00,1\n", {}, r"'bin\.csv' .* is not UTF-8 text"),
        ("t.csv", "a,b\n1,2\n", {"format": "parquet"}, r"'t\.csv' .* is not a Parquet file"),
        ("t.csv", "1,2\n", {"header": False, "column_names": "a,b,c"},
         r"'column_names' has 3 names but 't\.csv' .* has 2 columns"),
        ("t.csv", "1,2\n", {"header": False, "column_names": "a,a"},
         r"'column_names' repeats a"),
    ],
)
def test_bad_files_raise_clear_errors(store, name, content, params, message):
    file = store / name
    file.write_bytes(content) if isinstance(content, bytes) else file.write_text(content)
    with pytest.raises(ModuleError, match=f"^Import Data: .*{message}") as info:
        run("import_data", {"path": f"samples:{name}", **params}, store)
    assert str(store) not in str(info.value)  # server folders stay private


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"path": "samples:nope.csv"}, r"file not found: 'nope\.csv' in datastore 'samples'"),
        ({"path": "samples:sub"}, r"'sub' in datastore 'samples' is a folder"),
        ({"path": "other:x.csv"}, r"Unknown datastore 'other' \(registered: samples\)"),
        ({"path": "samples:../x.csv"}, r"'\.\./x\.csv' contains '\.\.'"),
        ({"path": "samples:%2e%2e/x.csv"}, r"contains '\.\.'"),
    ],
)
def test_bad_paths_raise_clear_errors(store, params, message):
    (store / "sub").mkdir()
    with pytest.raises(ModuleError, match=message):
        run("import_data", params, store)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, r"^The 'path' parameter of Import Data is required when source is 'datastore'\. "),
        ({"source": "url", "url": "  "},
         r"^The 'url' parameter of Import Data is required when source is 'url'\. "),
    ],
)
def test_a_field_is_required_only_while_it_applies(params, message):
    spec = REGISTRY["import_data"]
    with pytest.raises(ParamError, match=message):
        spec.resolve_params(params)
    # the other source's field does not apply: left empty, it is no error
    assert spec.resolve_params({"source": "url", "url": "http://x.test/a.csv"})["path"] is None
    assert spec.resolve_params({"path": "samples:a.csv"})["url"] == ""


def test_fingerprint_follows_the_file(store):
    file = store / "people.csv"
    file.write_text(CSV)
    stores = Datastores({"samples": store})
    params = REGISTRY["import_data"].resolve_params({"path": "samples:people.csv"})
    first = fingerprint(params, stores)
    assert first and "people.csv" in first
    assert fingerprint(params, stores) == first
    stat = file.stat()
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    touched = fingerprint(params, stores)
    assert touched != first
    file.write_text(CSV + "dan, 50, Rome\n")
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert fingerprint(params, stores) not in (first, touched)  # same mtime, new size
    (store / "copy.csv").write_bytes(file.read_bytes())
    os.utime(store / "copy.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    other = dict(params, path={"datastore": "samples", "path": "copy.csv"})
    assert fingerprint(other, stores) != fingerprint(params, stores)


@pytest.mark.parametrize(
    "params",
    [
        {"source": "url", "url": "http://127.0.0.1/x.csv"},
        {"path": "samples:missing.csv"},
        {"path": "samples:../escape.csv"},
        {"path": "elsewhere:x.csv"},
    ],
)
def test_fingerprint_is_none_when_not_reusable(store, params):
    resolved = REGISTRY["import_data"].resolve_params(params)
    assert fingerprint(resolved, Datastores({"samples": store})) is None


# --- Import Data from a URL --------------------------------------------------------------------

@pytest.fixture
def web(tmp_path, monkeypatch):
    """A local HTTP server (never the internet) serving tmp_path/web, plus a few oddities."""
    for var in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.upper(), raising=False)
    root = tmp_path / "web"
    root.mkdir()
    release = threading.Event()

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802 - http.server's naming
            targets = {"/to-ftp": "ftp://127.0.0.1/x.csv", "/to-file": "file:///etc/passwd",
                       "/to-csv": "/people.csv"}
            if self.path in targets:
                self.send_response(302)
                self.send_header("Location", targets[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path == "/endless":  # no Content-Length: only the streamed count can stop it
                self.send_response(200)
                self.end_headers()
                try:
                    for _ in range(64):
                        self.wfile.write(b"a,b\n" * 1024)
                except OSError:
                    pass
            elif self.path == "/slow":
                release.wait(10)
            else:
                super().do_GET()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield SimpleNamespace(root=root, url=f"http://127.0.0.1:{server.server_address[1]}")
    release.set()
    server.shutdown()
    server.server_close()
    thread.join()


LOCAL = OutboundPolicy.from_settings("127.0.0.1")  # the test server, named on the allow-list


def from_url(url, policy=LOCAL, **params):
    """Run Import Data on ``url`` under ``policy``; return (data set, context)."""
    ctx = StepContext("n1", datastores=Datastores({}, outbound=policy))
    out, ctx = run("import_data", {"source": "url", "url": url, **params}, ctx=ctx)
    return out["dataset"], ctx


def test_url_csv_matches_pandas(web):
    (web.root / "people.csv").write_text(CSV)
    got, ctx = from_url(f"{web.url}/people.csv?sig=SECRET-TOKEN", na_values="?")
    expected = pd.read_csv(io.StringIO(CSV), skipinitialspace=True, na_values=["?"])
    pd.testing.assert_frame_equal(got, expected)
    log = "\n".join(ctx.lines)
    assert "Read 3 rows, 3 columns" in log and f"{len(CSV)} bytes" in log
    assert "SECRET-TOKEN" not in log  # query strings often carry access tokens


def test_url_parquet_and_http_redirect(web):
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    frame.to_parquet(web.root / "f.parquet", index=False)
    pd.testing.assert_frame_equal(from_url(f"{web.url}/f.parquet", format="parquet")[0], frame)
    (web.root / "people.csv").write_text(CSV)
    assert from_url(f"{web.url}/to-csv")[0].shape == (3, 3)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", r"must be an http:// or https:// address \(got scheme file://\)"),
        ("ftp://127.0.0.1/x.csv", r"must be an http:// or https:// address \(got scheme ftp://\)"),
        ("FILE:///etc/passwd", r"must be an http:// or https:// address"),
        ("/etc/passwd", r"must be an http:// or https:// address \(got scheme none\)"),
        ("http:///no-host.csv", r"must be an http:// or https:// address"),
        ("http://[::1/x.csv", r"is not a valid URL"),
    ],
)
def test_url_schemes_other_than_http_are_refused(url, message):
    with pytest.raises(ModuleError, match=message):
        from_url(url)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing.csv?sig=SECRET-TOKEN", r"/missing\.csv answered HTTP 404"),
        ("/to-ftp", r"/to-ftp redirects to a non-http\(s\) address"),
        ("/to-file", r"/to-file redirects to a non-http\(s\) address"),
        ("/empty.csv", r"/empty\.csv returned an empty file"),
        ("/people.csv", r"/people\.csv is larger than 64 bytes"),
        ("/endless", r"/endless is larger than 64 bytes"),
    ],
)
def test_url_failures_raise_clear_errors(web, path, message):
    (web.root / "empty.csv").write_text("")
    (web.root / "people.csv").write_text(CSV * 2)
    small = OutboundPolicy.from_settings("127.0.0.1", max_bytes=64)
    with pytest.raises(ModuleError, match=f"^Import Data: {web.url}{message}") as info:
        from_url(web.url + path, small)
    assert "SECRET-TOKEN" not in str(info.value)


def test_url_timeout(web):
    quick = OutboundPolicy.from_settings("127.0.0.1", timeout=0.3)
    with pytest.raises(ModuleError, match=r"/slow did not answer within 0\.3 seconds"):
        from_url(f"{web.url}/slow", quick)


def test_unreachable_url():
    with ThreadingHTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler) as closed:
        port = closed.server_address[1]
    with pytest.raises(ModuleError, match=rf"^Import Data: could not fetch http://127\.0\.0\.1:"
                                          rf"{port}/x\.csv\.$"):
        from_url(f"http://127.0.0.1:{port}/x.csv")


def test_local_addresses_are_refused_without_an_allow_list(web):
    (web.root / "people.csv").write_text(CSV)
    with pytest.raises(ModuleError, match=r"people\.csv is refused: 127\.0\.0\.1 resolves to a "
                                          r"loopback address"):
        from_url(f"{web.url}/people.csv", OutboundPolicy())


# --- Enter Data Manually -----------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "sep"), [("csv", ","), ("tsv", "\t")])
@pytest.mark.parametrize("has_header", [True, False])
def test_manual_data_matches_pandas(fmt, sep, has_header):
    text = CSV.replace(", ", sep)
    out, ctx = run("enter_data_manually",
                   {"data_format": fmt, "has_header": has_header, "data": text})
    expected = pd.read_csv(io.StringIO(text), sep=sep, header=0 if has_header else None,
                           skipinitialspace=True)
    if not has_header:
        expected.columns = ["Col1", "Col2", "Col3"]
    pd.testing.assert_frame_equal(out["dataset"], expected)
    assert any(f"Parsed {len(expected)} rows, 3 columns" in line for line in ctx.lines)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"^Enter Data Manually: the 'data' parameter is empty"),
        (" \n\t\n", r"^Enter Data Manually: the 'data' parameter is empty"),
        ("a,b\n1,2\n3,4,5\n", r"^Enter Data Manually: the typed data is not a valid CSV file"),
    ],
)
def test_manual_data_errors(text, message):
    with pytest.raises(ModuleError, match=message):
        run("enter_data_manually", {"data": text})


# --- Export Data -------------------------------------------------------------------------------

FRAME = pd.DataFrame({"name": ["ann", None, "cid"], "age": [31.0, None, 45.0], "n": [1, 2, 3]})


def export(store, path, frame=FRAME, **params):
    """Run Export Data on ``frame`` to ``samples:path``; return the context."""
    out, ctx = run("export_data", {"path": f"samples:{path}", **params}, store,
                   inputs={"dataset": frame})
    assert out == {}
    return ctx


@pytest.mark.parametrize(("fmt", "read"), [
    ("csv", pd.read_csv),
    ("tsv", lambda f: pd.read_csv(f, sep="\t")),
    ("parquet", pd.read_parquet),
])
def test_export_writes_what_pandas_reads_back(store, fmt, read):
    ctx = export(store, f"out/deep/f.{fmt}", format=fmt)
    pd.testing.assert_frame_equal(read(store / "out" / "deep" / f"f.{fmt}"), FRAME)
    assert any("Wrote 3 rows, 3 columns" in line for line in ctx.lines)
    assert sorted(p.name for p in (store / "out" / "deep").iterdir()) == [f"f.{fmt}"]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "parquet"])
def test_export_then_import_gives_the_same_frame(store, adult, fmt):
    export(store, f"adult.{fmt}", frame=adult, format=fmt)
    pd.testing.assert_frame_equal(imported(store, f"adult.{fmt}", format=fmt), adult)


def test_export_refuses_to_overwrite_unless_asked(store):
    (store / "f.csv").write_text("keep me\n")
    with pytest.raises(ModuleError, match=r"'f\.csv' in datastore 'samples' already exists; "
                                          r"set 'overwrite' to replace it"):
        export(store, "f.csv")
    assert (store / "f.csv").read_text() == "keep me\n"
    export(store, "f.csv", overwrite=True)
    pd.testing.assert_frame_equal(pd.read_csv(store / "f.csv"), FRAME)


def test_export_never_clobbers_a_file_that_appears_during_the_write(store):
    target, temp = store / "f.csv", store / ".f.csv.tmp"
    target.write_text("arrived meanwhile\n")
    temp.write_text("new\n")
    with pytest.raises(ModuleError, match="already exists"):
        data_module._publish(temp, target, False, "'f.csv'")
    assert target.read_text() == "arrived meanwhile\n"


def test_failed_export_leaves_the_old_file_and_no_temp_file(store):
    (store / "f.parquet").write_text("old\n")
    mixed = pd.DataFrame({"m": pd.Series([1, "a"], dtype=object)})
    with pytest.raises(ModuleError, match=r"^Export Data: could not write 'f\.parquet'"):
        export(store, "f.parquet", frame=mixed, format="parquet", overwrite=True)
    assert [p.name for p in store.iterdir()] == ["f.parquet"]
    assert (store / "f.parquet").read_text() == "old\n"


def test_export_path_errors(store, tmp_path):
    (store / "folder").mkdir()
    (store / "out").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(ModuleError, match=r"'folder' in datastore 'samples' is a folder"):
        export(store, "folder")
    with pytest.raises(ModuleError, match=r"^Export Data: The path '\.\./x\.csv' contains"):
        export(store, "../x.csv")
    with pytest.raises(ModuleError, match=r"'out/x\.csv' leads outside the datastore"):
        export(store, "out/x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_export_under_a_file_fails_without_revealing_server_folders(store):
    (store / "f.csv").write_text("a\n")
    with pytest.raises(ModuleError, match=r"cannot create the folder for 'f\.csv/x\.csv' in "
                                          r"datastore 'samples': File exists$") as info:
        export(store, "f.csv/x.csv")
    assert str(store) not in str(info.value)
