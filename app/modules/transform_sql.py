"""Data Transformation modules over several tables: Join Data, Apply SQL Transformation."""

from __future__ import annotations

import sqlite3
import sys
import time
from itertools import chain

import pandas as pd
from pandas.api import types as ptypes

from app.engine.context import Cancelled, Limits, ModuleError, StepContext
from app.engine.registry import module
from app.engine.spec import DATAFRAME, Bool, Choice, Columns, Port, Str

from .transform import CATEGORY, is_text, require_columns

JOIN_LABEL = "Join Data"
SQL_LABEL = "Apply SQL Transformation"
_HOW = {"inner": "inner", "left_outer": "left", "full_outer": "outer", "left_semi": "inner"}


def _right_names(left: list, right: list, right_keys: list, keep_right_keys: bool) -> dict:
    """{right column: its name in the join} for the right columns the join keeps.

    A name already taken gets " (2)" appended (" (3)" if that is taken too).
    """
    renamed, taken = {}, set(left)
    for col in right:
        if not keep_right_keys and col in right_keys:
            continue
        new, n = col, 1
        while new in taken:
            n += 1
            new = f"{col} ({n})"
        renamed[col] = new
        taken.add(new)
    return renamed


def _joined_columns(fed, params, datastores):
    """The left columns, then the right ones the join keeps (none for a left semi join)."""
    left, right = fed.get("left"), fed.get("right")
    if left is None or right is None:
        return {"dataset": None}
    if params["join_type"] == "left_semi":
        return {"dataset": list(left)}
    kept = _right_names(left, right, params["right_keys"], params["keep_right_keys"])
    return {"dataset": [*left, *kept.values()]}


@module(
    "join_data", label=JOIN_LABEL, category=CATEGORY,
    inputs=[Port("left", DATAFRAME), Port("right", DATAFRAME)],
    outputs=[Port("dataset", DATAFRAME)],
    columns=_joined_columns,
    params=[
        Columns("left_keys", input="left"),
        Columns("right_keys", input="right"),
        Bool("match_case", default=True),
        Choice("join_type", options=["inner", "left_outer", "full_outer", "left_semi"],
               option_labels={"inner": "Inner Join", "left_outer": "Left Outer Join",
                              "full_outer": "Full Outer Join", "left_semi": "Left Semi-Join"},
               default="inner"),
        Bool("keep_right_keys", default=False),
    ],
)
def join_data(left, right, *, left_keys, right_keys, match_case, join_type, keep_right_keys):
    """Join two data sets on key columns (inner, left outer, full outer or left semi).

    Left columns come first, in order, then the right ones. A right column whose name is
    already taken gets " (2)" appended (" (3)" if that is taken too). Missing keys never
    match. In a full outer join without the right keys, rows found only on the right take
    their key values into the left key columns, so no key is lost.
    """
    if len(left_keys) != len(right_keys):
        raise ModuleError(
            f"{JOIN_LABEL}: {len(left_keys)} left key(s) ({', '.join(left_keys)}) but "
            f"{len(right_keys)} right key(s) ({', '.join(right_keys)}); give one right key "
            "per left key"
        )
    require_columns(left, left_keys, JOIN_LABEL, "left key")
    require_columns(right, right_keys, JOIN_LABEL, "right key")

    left, right = left.reset_index(drop=True), right.reset_index(drop=True)
    temp = [f"__join_key_{i}__" for i in range(len(left_keys))]
    lhs = left.copy()
    for name, col in zip(temp, left_keys, strict=True):
        lhs[name] = _key(left[col], match_case)
    if join_type == "left_semi":
        rkeys = pd.DataFrame({n: _key(right[c], match_case) for n, c in
                              zip(temp, right_keys, strict=True)}).dropna().drop_duplicates()
        matched = _merge(lhs[temp].reset_index(), rkeys, temp, "inner", left_keys, right_keys)
        return {"dataset": left[left.index.isin(matched["index"])].reset_index(drop=True)}

    renamed = _right_names(list(left.columns), list(right.columns), right_keys, keep_right_keys)
    rhs = right[list(renamed)].rename(columns=renamed)
    originals = [f"__right_key_{i}__" for i in range(len(right_keys))]
    for name, original, col in zip(temp, originals, right_keys, strict=True):
        rhs[name] = _key(right[col], match_case)
        rhs[original] = right[col]
    lhs["__left_row__"] = True
    has_key = rhs[temp].notna().all(axis=1)
    out = _merge(lhs, rhs[has_key], temp, _HOW[join_type], left_keys, right_keys)
    if join_type == "full_outer":
        out = pd.concat([out, rhs[~has_key]], ignore_index=True)
        right_only = out["__left_row__"].isna()
        if not keep_right_keys and right_only.any():
            for lcol, original in zip(left_keys, originals, strict=True):
                out[lcol] = out[lcol].where(~right_only, out[original])
    out = out.drop(columns=[*temp, *originals, "__left_row__"])
    return {"dataset": out.reset_index(drop=True)}


def _key(series: pd.Series, match_case: bool) -> pd.Series:
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(series.cat.categories.dtype)
    if not match_case and is_text(series):
        return series.map(lambda v: str(v).lower(), na_action="ignore").astype("str")
    return series


def _merge(lhs, rhs, on, how, left_keys, right_keys) -> pd.DataFrame:
    try:
        return lhs.merge(rhs, on=on, how=how, sort=False)
    except (ValueError, TypeError) as exc:
        pairs = ", ".join(f"{a!r} ({lhs[t].dtype}) with {b!r} ({rhs[t].dtype})"
                          for a, b, t in zip(left_keys, right_keys, on, strict=True))
        raise ModuleError(f"{JOIN_LABEL}: cannot match keys {pairs}: {exc}") from None


@module(
    "apply_sql_transformation", label=SQL_LABEL, category=CATEGORY,
    inputs=[Port("t1", DATAFRAME), Port("t2", DATAFRAME, optional=True),
            Port("t3", DATAFRAME, optional=True)],
    outputs=[Port("dataset", DATAFRAME)],
    params=[Str("sql", default="select * from t1;", multiline=True)],
)
def apply_sql_transformation(t1, t2=None, t3=None, *, sql, ctx=None):
    """Run a SQLite script over the inputs (tables t1, t2, t3); the last SELECT is the output.

    The database lives in memory; ATTACH/DETACH (hence VACUUM INTO), extension loading and
    PRAGMA writes are refused, so a script cannot reach files. The script runs within the
    step's limits (``ctx.limits``): a time limit, a row limit and a size limit on its
    result, which also caps the tables it creates and the length of any one value. A
    canceled run or a spent time limit interrupts the query through SQLite's progress
    handler. SQLite has no boolean or date types: booleans arrive as 0/1, datetimes as ISO
    text.
    """
    ctx = ctx or StepContext("apply_sql_transformation")
    limits = ctx.limits
    conn = sqlite3.connect(":memory:")
    try:
        for name, frame in (("t1", t1), ("t2", t2), ("t3", t3)):
            if frame is not None:
                _load(conn, name, frame)
        _cap_memory(conn, limits.sql_max_bytes)
        _lock_down(conn)
        guard = _Guard(ctx, limits.sql_seconds)
        conn.set_progress_handler(guard.progress, 10_000)
        try:
            columns, rows = _run_script(conn, sql, guard, limits)
        except sqlite3.Error as exc:
            guard.raise_if_stopped()
            raise ModuleError(_message(exc, limits)) from None
    finally:
        conn.close()
    if columns is None:
        raise ModuleError(f"{SQL_LABEL}: the script returns no rows; end it with a SELECT")
    return {"dataset": _frame(columns, rows)}


class _Guard:
    """Stops the script (through the progress handler) on cancellation or past its deadline."""

    def __init__(self, ctx: StepContext, seconds: float):
        self.ctx, self.seconds = ctx, seconds
        self.deadline = time.monotonic() + seconds
        self.stopped: Exception | None = None

    def progress(self) -> int:
        """SQLite's progress handler: non-zero interrupts the running statement."""
        try:
            self.check()
        except (Cancelled, ModuleError) as exc:
            self.stopped = exc
            return 1
        return 0

    def check(self) -> None:
        """Raise Cancelled, or ModuleError once the time limit is spent."""
        self.ctx.check_cancelled()
        if time.monotonic() > self.deadline:
            raise ModuleError(
                f"{SQL_LABEL}: the script ran longer than the time limit of "
                f"{self.seconds:g} s (setting DESIGNER_SQL_SECONDS) and was stopped; an "
                "endless WITH RECURSIVE needs a WHERE or LIMIT that ends it")

    def raise_if_stopped(self) -> None:
        """Re-raise why the progress handler interrupted the script, if it did."""
        if self.stopped is not None:
            raise self.stopped from None


_DENIED_HINT = "; ATTACH, DETACH, VACUUM INTO, extension loading and PRAGMA writes are refused"


def _message(exc: sqlite3.Error, limits: Limits) -> str:
    """A SQLite error as the user should read it: the limit that was hit, or SQLite's words."""
    text = str(exc)
    if getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_TOOBIG) \
            or text in ("database or disk is full", "string or blob too big"):
        return (f"{SQL_LABEL}: the script's tables or values outgrew the size limit of "
                f"{_bytes(limits.sql_max_bytes)} (setting DESIGNER_SQL_MAX_BYTES)")
    hint = _DENIED_HINT if "authoriz" in text else ""
    statement = " ".join(getattr(exc, "statement", "").split())
    if len(statement) > 200:
        statement = statement[:200] + "..."
    return f"{SQL_LABEL}: {exc}{hint} (in statement: {statement})"


def _bytes(n: int) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


def _load(conn: sqlite3.Connection, name: str, frame: pd.DataFrame) -> None:
    try:
        frame.to_sql(name, conn, index=False)
    except (sqlite3.Error, ValueError) as exc:
        raise ModuleError(f"{SQL_LABEL}: cannot load input {name} into SQLite: {exc}") from None


# Pragmas whose argument names a table or index to describe: reads, not settings.
_INTROSPECTION_PRAGMAS = frozenset({
    "table_info", "table_xinfo", "index_list", "index_info", "index_xinfo",
    "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check", "table_list",
})


def _cap_memory(conn: sqlite3.Connection, max_bytes: int) -> None:
    """Bound what the script can add to memory, per connection.

    PRAGMA hard_heap_limit would be process-wide (capping the app's own database too) and can
    only be lowered from SQL, so the caps are per connection instead: the tables the script
    creates (main and temp databases) may grow by ``max_bytes``, no one value may be longer,
    and SQLite's scratch b-trees (sorts, recursive queues) spill to temporary files.
    """
    # First: changing temp_store reopens the temp database, dropping its page limit.
    conn.execute("PRAGMA temp_store = FILE")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = max(1, max_bytes // page_size)
    used = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA main.max_page_count = {used + pages}")
    conn.execute(f"PRAGMA temp.max_page_count = {pages}")
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max(1, min(max_bytes, 1_000_000_000)))


def _lock_down(conn: sqlite3.Connection) -> None:
    if hasattr(conn, "enable_load_extension"):
        conn.enable_load_extension(False)
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)

    def authorize(action, arg1, arg2, _db, _trigger):
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_PRAGMA and arg2 is not None \
                and (arg1 or "").lower() not in _INTROSPECTION_PRAGMAS:
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() == "load_extension":
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    conn.set_authorizer(authorize)


def _run_script(conn: sqlite3.Connection, script: str, guard: _Guard, limits: Limits):
    """Execute each statement in turn; return the last result set (columns, rows)."""
    columns, rows, buffer = None, [], ""
    pieces = script.split(";")
    for i, piece in enumerate(pieces):
        buffer += piece + (";" if i < len(pieces) - 1 else "")
        # A ';' inside a string literal or a trigger body does not end the statement.
        if not sqlite3.complete_statement(buffer) and i < len(pieces) - 1:
            continue
        if buffer.strip().strip(";").strip():
            try:
                cursor = conn.execute(buffer)
                if cursor.description is not None:
                    columns = [d[0] for d in cursor.description]
                    rows = None  # the previous result set can go before this one is fetched
                    rows = _fetch(cursor, len(columns), guard, limits)
            except sqlite3.Error as exc:
                exc.statement = buffer.strip()
                raise
        buffer = ""
    return columns, rows


_BATCH = 10_000


def _fetch(cursor: sqlite3.Cursor, width: int, guard: _Guard, limits: Limits) -> list[tuple]:
    """All rows of a result set, fetched in batches and refused as soon as one limit is passed.

    The size is Python's own footprint of the fetched rows (what the server holds), counted
    batch by batch, so memory stays near the limit before the check fires.
    """
    rows: list[tuple] = []
    size, row_size = 0, sys.getsizeof((0,) * width)
    while True:
        batch = cursor.fetchmany(min(_BATCH, limits.sql_max_rows + 1 - len(rows)))
        if not batch:
            return rows
        rows.extend(batch)
        if len(rows) > limits.sql_max_rows:
            raise ModuleError(
                f"{SQL_LABEL}: the result has more than {limits.sql_max_rows:,} rows, the row "
                "limit (setting DESIGNER_SQL_MAX_ROWS); filter or aggregate in the query")
        size += len(batch) * row_size + sum(map(sys.getsizeof, chain.from_iterable(batch)))
        if size > limits.sql_max_bytes:
            raise ModuleError(
                f"{SQL_LABEL}: the result is larger than {_bytes(limits.sql_max_bytes)}, the "
                f"size limit (setting DESIGNER_SQL_MAX_BYTES), after {len(rows):,} rows; "
                "select fewer columns or rows")
        guard.check()


def _frame(columns: list[str], rows: list[tuple]) -> pd.DataFrame:
    """The result as a DataFrame that survives Parquet: unique names, one type per column."""
    names, seen = [], set()
    for col in columns:
        new, n = col, 1
        while new in seen:
            n += 1
            new = f"{col} ({n})"
        names.append(new)
        seen.add(new)
    df = pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame(
        {n: pd.Series(dtype="object") for n in names})
    for col in df.columns:
        if ptypes.is_object_dtype(df[col].dtype):
            kinds = {type(v) for v in df[col] if v is not None}
            # SQLite columns can mix types per row; Parquet cannot.
            if len(kinds) > 1 and kinds != {int, float}:
                df[col] = df[col].map(str, na_action="ignore").astype("str")
            elif kinds == {int, float}:
                df[col] = df[col].astype("float64")
    return df
