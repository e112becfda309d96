"""Join Data against pandas merges; Apply SQL Transformation against pandas and its guards."""

import threading
import time

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from app.engine.context import Cancelled, CancelToken, Limits, ModuleError, StepContext
from app.engine.registry import REGISTRY
from tests.modules.test_transform import run


@pytest.fixture
def left():
    return pd.DataFrame({"id": [1, 2, 3, 4], "name": ["Ann", "bob", "Cy", "Dee"],
                         "v": [0.1, 0.2, 0.3, 0.4]})


@pytest.fixture
def right():
    return pd.DataFrame({"key": [2, 3, 3, 9], "who": ["BOB", "cy", "CY", "zed"],
                         "v": ["x", "y", "z", "w"]})


def join(left, right, **params):
    return run("join_data", {"left": left, "right": right}, **params)["dataset"]


@pytest.mark.parametrize(("join_type", "how"), [("inner", "inner"), ("left_outer", "left")])
def test_join_matches_pandas_merge(left, right, join_type, how):
    out = join(left, right, left_keys="id", right_keys="key", join_type=join_type)
    expected = left.merge(right.rename(columns={"v": "v (2)"}), left_on="id", right_on="key",
                          how=how).drop(columns="key")
    assert_frame_equal(out, expected)
    out = join(left, right, left_keys="id", right_keys="key", join_type=join_type,
               keep_right_keys=True)
    expected = left.merge(right.rename(columns={"v": "v (2)"}), left_on="id", right_on="key",
                          how=how)
    assert_frame_equal(out, expected)


def test_join_full_outer(left, right):
    out = join(left, right, left_keys="id", right_keys="key", join_type="full_outer")
    expected = left.merge(right.rename(columns={"v": "v (2)"}), left_on="id", right_on="key",
                          how="outer")
    expected["id"] = expected["id"].fillna(expected["key"])
    expected = expected.drop(columns="key")
    assert_frame_equal(out.sort_values(["id", "who"], ignore_index=True),
                       expected.sort_values(["id", "who"], ignore_index=True))
    assert out["id"].tolist() == [1, 2, 3, 3, 4, 9]
    kept = join(left, right, left_keys="id", right_keys="key", join_type="full_outer",
                keep_right_keys=True)
    assert kept["id"].isna().tolist() == [False] * 5 + [True]
    assert kept["key"].tolist()[-1] == 9


def test_join_left_semi(left, right):
    out = join(left, right, left_keys="id", right_keys="key", join_type="left_semi")
    assert_frame_equal(out, left[left["id"].isin(right["key"])].reset_index(drop=True))


def test_join_match_case(left, right):
    out = join(left, right, left_keys="name", right_keys="who")
    assert len(out) == 0
    out = join(left, right, left_keys="name", right_keys="who", match_case=False)
    expected = (left.assign(k=left["name"].str.lower())
                .merge(right.assign(k=right["who"].str.lower()).rename(columns={"v": "v (2)"}),
                       on="k").drop(columns=["k", "who"]))
    assert_frame_equal(out, expected)
    assert out["name"].tolist() == ["bob", "Cy", "Cy"]


def test_join_several_keys_and_name_clashes():
    a = pd.DataFrame({"k1": ["a", "a", "b"], "k2": [1, 2, 1], "v": [1, 2, 3], "v (2)": [0, 0, 0]})
    b = pd.DataFrame({"k1": ["a", "b", "b"], "k2": [2, 1, 2], "v": [10, 30, 40]})
    out = join(a, b, left_keys="k1,k2", right_keys="k1,k2", keep_right_keys=True)
    assert list(out.columns) == ["k1", "k2", "v", "v (2)", "k1 (2)", "k2 (2)", "v (3)"]
    assert out[["k1", "k2", "v", "v (3)"]].values.tolist() == [["a", 2, 2, 10], ["b", 1, 3, 30]]


def test_join_missing_keys_never_match():
    a = pd.DataFrame({"k": ["x", None, "y"], "a": [1, 2, 3]})
    b = pd.DataFrame({"k": [None, "y"], "b": [8, 9]})
    assert join(a, b, left_keys="k", right_keys="k")["a"].tolist() == [3]
    out = join(a, b, left_keys="k", right_keys="k", join_type="full_outer")
    assert len(out) == 4
    assert out["b"].tolist()[-1] == 8
    semi = join(a, b, left_keys="k", right_keys="k", join_type="left_semi")
    assert semi["a"].tolist() == [3]


@pytest.mark.parametrize(("params", "message"), [
    ({"left_keys": "id,name", "right_keys": "key"},
     r"2 left key\(s\) \(id, name\) but 1 right key\(s\) \(key\)"),
    ({"left_keys": "idd", "right_keys": "key"},
     r"Join Data: left key 'idd' not in the data set \(columns: id, name, v\)"),
    ({"left_keys": "id", "right_keys": "kee"}, r"right key 'kee' not in the data set"),
    ({"left_keys": "id", "right_keys": "who"},
     r"cannot match keys 'id' \(int64\) with 'who' \(str\)"),
    ({"left_keys": "id", "right_keys": "who", "join_type": "left_semi"},
     r"cannot match keys 'id' \(int64\) with 'who' \(str\)"),
])
def test_join_errors(left, right, params, message):
    with pytest.raises(ModuleError, match=message):
        join(left, right, **params)


def test_join_requires_keys():
    with pytest.raises(ValueError, match=r"'left_keys' parameter of Join Data is required"):
        REGISTRY["join_data"].resolve_params({"right_keys": "a"})


# Apply SQL Transformation

def sql(script, t1, t2=None, t3=None, ctx=None):
    spec = REGISTRY["apply_sql_transformation"]
    if ctx is not None:
        return spec.call({"t1": t1, "t2": t2, "t3": t3}, spec.resolve_params({"sql": script}),
                         ctx=ctx)["dataset"]
    return run("apply_sql_transformation", {"t1": t1, "t2": t2, "t3": t3}, sql=script)["dataset"]


def test_sql_default_returns_t1(left):
    assert_frame_equal(run("apply_sql_transformation", {"t1": left})["dataset"], left)


def test_sql_joins_three_tables(left, right):
    t3 = pd.DataFrame({"id": [2, 3], "extra": ["e2", "e3"]})
    out = sql("select t1.id, t1.name, t2.v, t3.extra from t1 join t2 on t1.id = t2.key "
              "left join t3 on t3.id = t1.id order by t1.id, t2.v", left, right, t3)
    expected = (left.merge(right, left_on="id", right_on="key")
                .merge(t3, on="id", how="left")[["id", "name", "v_y", "extra"]]
                .rename(columns={"v_y": "v"}).sort_values(["id", "v"], ignore_index=True))
    assert_frame_equal(out, expected)


def test_sql_script_last_select_wins(left):
    out = sql("""
        create table big as select id, v * 10 as v10, 'a;b' as s from t1 where id > 1;
        select 1 as ignored;
        update big set v10 = -1 where id = 4;
        select * from big order by id;
        -- a trailing comment
    """, left)
    expected = pd.DataFrame({"id": [2, 3, 4], "v10": [2.0, 3.0, -1.0], "s": ["a;b"] * 3})
    assert_frame_equal(out, expected)


def test_sql_adult_group_by(adult):
    out = sql('select sex, count(*) as n, avg(age) as mean_age, sum("capital-gain") as gain '
              "from t1 group by sex order by sex", adult)
    expected = (adult.groupby("sex").agg(n=("age", "size"), mean_age=("age", "mean"),
                                          gain=("capital-gain", "sum")).reset_index())
    assert_frame_equal(out, expected)


def test_sql_result_columns_fit_parquet(left):
    out = sql("select id, name, id from t1 union all select 'x', 2.5, null", left)
    assert list(out.columns) == ["id", "name", "id (2)"]
    assert out["id"].tolist() == ["1", "2", "3", "4", "x"]
    assert out["name"].tolist() == ["Ann", "bob", "Cy", "Dee", "2.5"]
    assert out["id (2)"].tolist()[:4] == [1, 2, 3, 4] and np.isnan(out["id (2)"].iloc[4])
    empty = sql("select id, name from t1 where id > 100", left)
    assert list(empty.columns) == ["id", "name"] and len(empty) == 0


def test_sql_input_that_sqlite_cannot_hold():
    df = pd.DataFrame({"Age": [1], "age": [2]})
    with pytest.raises(ModuleError, match=r"cannot load input t1 into SQLite: .*duplicate column"):
        sql("select 1", df)


def test_sql_booleans_and_datetimes():
    df = pd.DataFrame({"b": [True, False], "d": pd.to_datetime(["2020-01-02", "2021-03-04"])})
    out = sql("select b, d, date(d) as day from t1 where b = 1", df)
    assert out.values.tolist() == [[1, "2020-01-02 00:00:00", "2020-01-02"]]


def test_sql_pragma_reads_are_allowed(left):
    out = sql("pragma table_info(t1)", left)
    assert out["name"].tolist() == ["id", "name", "v"]


@pytest.mark.parametrize(("script", "message"), [
    ("attach database ':memory:' as other; select 1",
     r"not authorized; ATTACH, DETACH, VACUUM INTO, extension loading and PRAGMA writes are "
     r"refused \(in statement: attach database ':memory:' as other;\)"),
    ("detach database main", r"not authorized"),
    ("vacuum into 'copy.db'", r"not authorized|authorization denied"),
    ("pragma journal_mode = off", r"not authorized"),
    ("pragma cache_size(10)", r"not authorized"),
    ("select load_extension('mod_spatialite')", r"not authorized"),
    ("select * from t2", r"no such table: t2 \(in statement: select \* from t2\)"),
    ("select id from t1;\nselec 2", r"near \"selec\": syntax error \(in statement: selec 2\)"),
    ("create table x(a)", r"the script returns no rows; end it with a SELECT"),
    ("select nope from t1", r"no such column: nope"),
])
def test_sql_errors_and_refusals(left, script, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModuleError, match=message):
        sql(script, left)
    assert list(tmp_path.iterdir()) == []


LONG_QUERY = ("with recursive c(x) as (select 1 union all select x + 1 from c "
              "where x < 500000000) select count(*) from c")


def test_sql_already_cancelled_run_interrupts_query(left):
    token = CancelToken()
    token.cancel()
    start = time.monotonic()
    with pytest.raises(Cancelled, match="step n7 canceled"):
        sql(LONG_QUERY, left, ctx=StepContext("n7", token=token))
    assert time.monotonic() - start < 5


def test_sql_cancel_during_query(left):
    token = CancelToken()
    timer = threading.Timer(0.3, token.cancel)
    timer.start()
    start = time.monotonic()
    try:
        with pytest.raises(Cancelled):
            sql(LONG_QUERY, left, ctx=StepContext("n7", token=token))
    finally:
        timer.cancel()
    assert 0.25 < time.monotonic() - start < 10


def test_sql_runs_without_context(left):
    spec = REGISTRY["apply_sql_transformation"]
    out = spec.call({"t1": left}, spec.resolve_params({"sql": "select count(*) as n from t1"}))
    assert out["dataset"]["n"].tolist() == [4]


# Limits: time, result rows, result size (and what the script may create)

ENDLESS = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"


def limited(**limits) -> StepContext:
    return StepContext("n7", limits=Limits(**limits))


def test_sql_endless_query_stops_at_the_time_limit(left):
    with pytest.raises(ModuleError, match=r"ran longer than the time limit of 0\.5 s "
                                          r"\(setting DESIGNER_SQL_SECONDS\) and was stopped"):
        sql(ENDLESS, left, ctx=limited(sql_seconds=0.5))


def test_sql_endless_stream_of_rows_stops_at_the_time_limit_while_fetching(left):
    endless_rows = "with recursive c(x) as (select 1 union all select x + 1 from c) select x from c"
    with pytest.raises(ModuleError, match=r"time limit of 0\.5 s"):
        sql(endless_rows, left, ctx=limited(sql_seconds=0.5, sql_max_rows=10**12,
                                            sql_max_bytes=10**12))


def test_sql_cancel_wins_over_the_time_limit(left):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        sql(ENDLESS, left, ctx=StepContext("n7", token=token, limits=Limits(sql_seconds=0)))


def test_sql_cross_join_past_the_row_limit_is_refused(left):
    cross = "select a.id, b.id, c.id from t1 a, t1 b, t1 c"  # 64 rows
    assert len(sql(cross, left, ctx=limited(sql_max_rows=64))) == 64
    with pytest.raises(ModuleError, match=r"the result has more than 63 rows, the row limit "
                                          r"\(setting DESIGNER_SQL_MAX_ROWS\)"):
        sql(cross, left, ctx=limited(sql_max_rows=63))


def test_sql_row_limit_fetches_no_more_than_one_row_past_it(left):
    # An endless result: only the row limit can end it before the time limit.
    endless_rows = "with recursive c(x) as (select 1 union all select x + 1 from c) select x from c"
    with pytest.raises(ModuleError, match=r"more than 25,000 rows"):
        sql(endless_rows, left, ctx=limited(sql_max_rows=25_000, sql_seconds=600))


def test_sql_wide_result_past_the_size_limit_is_refused(left):
    wide = "select id, printf('%.5000c', 'x') as wide from t1"
    assert len(sql(wide, left, ctx=limited(sql_max_bytes=100_000))) == 4
    with pytest.raises(ModuleError, match=r"the result is larger than 19\.5 KiB, the size "
                                          r"limit \(setting DESIGNER_SQL_MAX_BYTES\), after 4 "
                                          r"rows"):
        sql(wide, left, ctx=limited(sql_max_bytes=20_000))


@pytest.mark.parametrize("script", [
    # A table the script fills, in the main and in the temp database.
    "create table z as with recursive c(x) as (select 1 union all select x + 1 from c "
    "where x < 100000) select x, printf('%.100c', 'y') as y from c; select count(*) from z",
    "create temp table z as with recursive c(x) as (select 1 union all select x + 1 from c "
    "where x < 100000) select x, printf('%.100c', 'y') as y from c; select count(*) from z",
    # One value longer than the limit.
    "select length(hex(zeroblob(600000))) as n",
])
def test_sql_tables_and_values_are_capped_by_the_size_limit(left, script):
    assert len(sql(script, left, ctx=limited(sql_max_bytes=10**9))) == 1
    with pytest.raises(ModuleError, match=r"outgrew the size limit of 1 MiB "
                                          r"\(setting DESIGNER_SQL_MAX_BYTES\)"):
        sql(script, left, ctx=limited(sql_max_bytes=1024**2))
