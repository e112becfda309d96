"""Table-shaping modules (Data Transformation): Add Columns, Add Rows, Remove Duplicate Rows,
Partition and Sample, Select Columns Transform and Convert to CSV.

Column arithmetic and binning (Apply Math Operation, Clip Values, Convert to Indicator
Values, Group Data into Bins) live in transform_values.py.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold

from app.engine.columns import kept, passed_through
from app.engine.context import ModuleError
from app.engine.registry import module
from app.engine.spec import (
    DATAFRAME,
    MAX_SEED,
    TRANSFORMATION,
    Bool,
    Choice,
    Columns,
    Float,
    Int,
    Port,
    Str,
)

from .transform import CATEGORY, column_list, is_numeric, require_columns

FOLD_COLUMN = "Fold"  # Assign to Folds writes it, Pick Fold reads it
MAX_ROWS = 1_000_000_000
MAX_FOLDS = 1000
PARTITION = "Partition and Sample"
SHARE_TOLERANCE = 1e-9  # proportions as typed (.1, .2, .7) do not add up to 1 exactly


def combined_names(left: list, right: list) -> tuple[list, list]:
    """Add Columns' output names: a name both inputs have becomes name_1 (left) and name_2
    (right)."""
    both = set(left) & set(right)
    return ([f"{n}_1" if n in both else n for n in left],
            [f"{n}_2" if n in both else n for n in right])


def _added_columns(fed, params, datastores):
    left, right = fed.get("left_dataset"), fed.get("right_dataset")
    if left is None or right is None:
        return {"combined_dataset": None}
    return {"combined_dataset": sum(combined_names(left, right), [])}


@module(
    "add_columns", label="Add Columns", category=CATEGORY,
    inputs=[Port("left_dataset", DATAFRAME), Port("right_dataset", DATAFRAME)],
    outputs=[Port("combined_dataset", DATAFRAME)],
    columns=_added_columns,
)
def add_columns(left_dataset, right_dataset):
    """Put the right data set's columns beside the left's, row by row.

    Rows are matched by position, not by a key (Join Data does that); the shorter input is
    padded with missing values. A name both inputs have becomes "name_1" on the left and
    "name_2" on the right.
    """
    left_names, right_names = combined_names([str(c) for c in left_dataset.columns],
                                             [str(c) for c in right_dataset.columns])
    names = left_names + right_names
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise ModuleError(f"Add Columns: the combined data set would have column(s) "
                          f"{', '.join(map(repr, clash))} twice; rename them first "
                          "(Edit Metadata)")
    combined = pd.concat([left_dataset.reset_index(drop=True),
                          right_dataset.reset_index(drop=True)], axis=1, ignore_index=True)
    combined.columns = names
    return {"combined_dataset": combined}


@module(
    "add_rows", label="Add Rows", category=CATEGORY,
    inputs=[Port("dataset1", DATAFRAME), Port("dataset2", DATAFRAME)],
    outputs=[Port("results_dataset", DATAFRAME)],
    columns=passed_through("dataset1", "results_dataset"),
)
def add_rows(dataset1, dataset2):
    """Append the rows of dataset2 below those of dataset1.

    Both must have the same column names (in any order); the result keeps dataset1's order.
    """
    only1 = [c for c in dataset1.columns if c not in dataset2.columns]
    only2 = [c for c in dataset2.columns if c not in dataset1.columns]
    if only1 or only2:
        raise ModuleError(
            "Add Rows: the inputs must have the same columns; "
            f"only in dataset1: {column_list(only1) or 'none'}; "
            f"only in dataset2: {column_list(only2) or 'none'}")
    mixed = [c for c in dataset1.columns if len(dataset1) and len(dataset2)
             and is_numeric(dataset1[c]) != is_numeric(dataset2[c])]
    if mixed:
        raise ModuleError(f"Add Rows: column(s) {column_list(mixed)} hold numbers in one input "
                          "and not in the other; convert them first (Edit Metadata)")
    rows = pd.concat([dataset1, dataset2[list(dataset1.columns)]], ignore_index=True)
    return {"results_dataset": rows}


@module(
    "remove_duplicate_rows", label="Remove Duplicate Rows", category=CATEGORY,
    inputs=[Port("dataset", DATAFRAME)], outputs=[Port("results_dataset", DATAFRAME)],
    columns=passed_through("dataset", "results_dataset", keeps_types=True),
    params=[
        Columns("key_columns", optional=True,
                description="Rows with equal values in these columns are duplicates "
                            "(empty: all columns)."),
        Bool("retain_first_duplicate_row", default=True,
             description="Keep the first row of each duplicate group (else the last)."),
    ],
)
def remove_duplicate_rows(dataset, *, key_columns, retain_first_duplicate_row):
    """Keep one row of each group of rows equal in all the key columns.

    A row missing a key value is never a duplicate (as in Azure): it is always kept.
    """
    require_columns(dataset, key_columns, "Remove Duplicate Rows", "key column")
    keys = key_columns or list(dataset.columns)
    keep = "first" if retain_first_duplicate_row else "last"
    complete = dataset[keys].notna().all(axis=1)
    duplicate = dataset.duplicated(subset=keys, keep=keep) & complete
    return {"results_dataset": dataset[~duplicate].reset_index(drop=True)}


def _partitioned_columns(fed, params, datastores):
    names = fed.get("dataset")
    if names is not None and params["mode"] == "assign_to_folds":
        names = [*names, FOLD_COLUMN]
    elif names is not None:  # rows picked, the columns (and types) as they were
        names = kept(names, [n for n in names
                             if n != FOLD_COLUMN or params["mode"] != "pick_fold"])
    return {"results_dataset": names}


@module(
    "partition_and_sample", label=PARTITION, category=CATEGORY,
    inputs=[Port("dataset", DATAFRAME)], outputs=[Port("results_dataset", DATAFRAME)],
    columns=_partitioned_columns,
    params=[
        Choice("mode", options=["sampling", "head", "assign_to_folds", "pick_fold"],
               default="sampling", label="Partition or sample mode"),
        Float("rate_of_sampling", default=0.01, min=0.0, max=1.0,
              description="Sampling: the share of rows kept."),
        Int("number_of_rows", default=10, min=0, max=MAX_ROWS,
            description="Head: how many of the first rows to keep."),
        Int("seed", default=0, min=0, max=MAX_SEED, label="Random seed"),
        Bool("randomized_split", default=True,
             description="Assign to Folds: shuffle the rows (else round-robin)."),
        Choice("partitioner_method",
               options=["partition_evenly", "partition_with_customized_proportions"],
               default="partition_evenly"),
        Int("number_of_folds", default=5, min=2, max=MAX_FOLDS,
            description="Assign to Folds: how many folds to split evenly into."),
        Str("proportions", default="",
            description="Assign to Folds with customized proportions: comma-separated "
                        "shares, e.g. .5, .25, .25; less than 1 in all adds a fold for the "
                        "rest."),
        Bool("stratified_split", default=False),
        Columns("stratification_key_column", single=True, optional=True),
        Int("fold", default=1, min=1, max=MAX_FOLDS,
            description="Pick Fold: the fold to return (1 is the first)."),
        Bool("pick_complement", default=False,
             description="Pick Fold: return every row except the fold's."),
    ],
)
def partition_and_sample(dataset, *, mode, rate_of_sampling, number_of_rows, seed,
                         randomized_split, partitioner_method, number_of_folds, proportions,
                         stratified_split, stratification_key_column, fold, pick_complement):
    """Sample rows, keep the first rows, or split rows into folds and pick one.

    Sampling keeps a random share of the rows (per value of the stratification key column
    when stratified). Head keeps the first rows. Assign to Folds appends a "Fold" column
    (1, 2, ...): evenly, as scikit-learn's shuffled KFold / StratifiedKFold when randomized
    and round-robin (row i to fold i mod k + 1) when not; or in customized proportions (a
    seeded permutation cut at the cumulative shares; shares summing to less than 1 get one
    more fold for the rest). Pick Fold reads that column: the rows of one fold (or all but
    them), without the column.
    """
    strata = None
    if stratified_split and mode in ("sampling", "assign_to_folds"):
        if not stratification_key_column:
            raise ModuleError(f"{PARTITION}: a stratified split needs a stratification key "
                              "column")
        require_columns(dataset, [stratification_key_column], PARTITION)
        strata = stratification_key_column
    if mode == "head":
        out = dataset.head(number_of_rows)
    elif mode == "sampling":
        rows = dataset.groupby(strata, sort=False, dropna=False) if strata else dataset
        out = rows.sample(frac=rate_of_sampling, random_state=seed)
    elif mode == "assign_to_folds":
        out = dataset.assign(**{FOLD_COLUMN: _folds(
            dataset, strata, randomized_split, seed, partitioner_method, number_of_folds,
            proportions)})
    else:
        out = _pick_fold(dataset, fold, pick_complement)
    return {"results_dataset": out.reset_index(drop=True)}


def _folds(dataset, strata, randomized, seed, method, k, proportions) -> np.ndarray:
    """The 1-based fold of every row."""
    if FOLD_COLUMN in dataset.columns:
        raise ModuleError(f"{PARTITION}: the data set already has a '{FOLD_COLUMN}' column")
    n = len(dataset)
    folds = np.zeros(n, dtype="int64")
    if method == "partition_with_customized_proportions":
        shares = _shares(proportions)
        order = np.random.default_rng(seed).permutation(n) if randomized else np.arange(n)
        cuts = np.round(np.cumsum(shares) * n).astype(int)
        folds[order] = np.searchsorted(cuts, np.arange(n), side="right") + 1
        return folds
    if n < k:
        raise ModuleError(f"{PARTITION}: {k} folds need at least {k} rows; the data set has {n}")
    if not randomized and not strata:
        return np.arange(n, dtype="int64") % k + 1
    state = seed if randomized else None
    if strata:
        splitter = StratifiedKFold(k, shuffle=randomized, random_state=state)
        parts = splitter.split(dataset, dataset[strata].astype("str"))
    else:
        parts = KFold(k, shuffle=randomized, random_state=state).split(dataset)
    for number, (_, held) in enumerate(parts, start=1):
        folds[held] = number
    return folds


def _shares(text: str) -> np.ndarray:
    """Customized proportions as shares summing to 1 (a last share takes the rest)."""
    try:
        shares = np.array([float(p) for p in text.split(",") if p.strip()])
    except ValueError:
        shares = np.array([])
    if len(shares) == 0 or (shares <= 0).any() or not np.isfinite(shares).all():
        raise ModuleError(f"{PARTITION}: proportions must be positive numbers separated by "
                          f"commas, e.g. 0.2, 0.3, 0.5; got {text!r}")
    rest = 1.0 - shares.sum()
    if rest < -SHARE_TOLERANCE:
        raise ModuleError(f"{PARTITION}: proportions must add up to at most 1; "
                          f"{text!r} adds up to {shares.sum():g}")
    return np.append(shares, rest) if rest > SHARE_TOLERANCE else shares


def _pick_fold(dataset, fold, complement) -> pd.DataFrame:
    if FOLD_COLUMN not in dataset.columns:
        raise ModuleError(f"{PARTITION}: Pick Fold needs a data set from Assign to Folds "
                          f"(column '{FOLD_COLUMN}' is missing)")
    folds = dataset[FOLD_COLUMN]
    if fold > folds.max():
        raise ModuleError(f"{PARTITION}: fold {fold} does not exist; the data set has "
                          f"{int(folds.max())} fold(s)")
    chosen = (folds != fold) if complement else (folds == fold)
    return dataset[chosen].drop(columns=FOLD_COLUMN)


@dataclass
class ColumnSelection:
    """The columns Select Columns Transform saw, to select them from other data sets."""

    columns: list

    def describe(self) -> str:
        """One line for logs."""
        return f"Select Columns Transform of {len(self.columns)} column(s)"

    def apply(self, dataset: pd.DataFrame, label: str, ctx=None) -> pd.DataFrame:
        """``dataset`` reduced to the learned columns, in their order."""
        require_columns(dataset, self.columns, label)
        return dataset[self.columns].copy()


@module(
    "select_columns_transform", label="Select Columns Transform", category=CATEGORY,
    inputs=[Port("dataset", DATAFRAME, label="Dataset with desired columns")],
    outputs=[Port("column_selection_transformation", TRANSFORMATION)],
)
def select_columns_transform(dataset):
    """Remember the columns of a data set, so Apply Transformation selects the same columns,
    in the same order, from another (e.g. new data to score)."""
    return {"column_selection_transformation": ColumnSelection([str(c) for c in
                                                                dataset.columns])}


@module(
    "convert_to_csv", label="Convert to CSV", category=CATEGORY,
    inputs=[Port("dataset", DATAFRAME)], outputs=[Port("results_dataset", DATAFRAME)],
    columns=passed_through("dataset", "results_dataset"),
)
def convert_to_csv(dataset):
    """The data set as a CSV file holds it: every value as its CSV text (missing: empty).

    Download the output as CSV to get the file; downstream modules see text columns.
    """
    text = dataset.to_csv(index=False)
    frame = pd.read_csv(io.StringIO(text), dtype="str", keep_default_na=False)
    frame.columns = [str(c) for c in dataset.columns]
    return {"results_dataset": frame}
