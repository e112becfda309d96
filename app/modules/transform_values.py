"""Value-changing modules (Data Transformation): Clip Values, Convert to Indicator Values and
Group Data into Bins; the helpers they share with Apply Math Operation (transform_math.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.engine.context import ModuleError
from app.engine.registry import module
from app.engine.spec import DATAFRAME, TRANSFORMATION, Bool, Choice, Columns, Float, Int, Port, Str

from .transform import CATEGORY, column_kind_matches, is_numeric, require_columns

BIG = 1e15  # the bounds of a free constant
OUTPUT_MODES = ["append", "inplace", "result_only"]


def require_numeric(dataset: pd.DataFrame, columns, label: str) -> None:
    """Raise ModuleError naming the selected columns that are missing or not numeric."""
    require_columns(dataset, columns, label)
    bad = [c for c in columns if not is_numeric(dataset[c])]
    if bad:
        raise ModuleError(f"{label}: column(s) {', '.join(map(repr, bad))} are not numeric; "
                          "select numeric columns (Edit Metadata converts text to numbers)")


def with_results(dataset: pd.DataFrame, results: dict, mode: str, label: str) -> pd.DataFrame:
    """Combine computed columns with the input: append new names, replace in place, or
    return the results only. ``results`` maps input column -> (new name, values)."""
    if mode == "result_only":
        return pd.DataFrame({name: values for name, values in results.values()},
                            index=dataset.index)
    out = dataset.copy()
    if mode == "inplace":
        for col, (_, values) in results.items():
            out[col] = values
        return out
    clash = [name for name, _ in results.values() if name in out.columns]
    if clash:
        raise ModuleError(f"{label}: output column(s) {', '.join(map(repr, clash))} already "
                          "exist; choose the inplace output mode or rename them")
    return pd.concat([out, pd.DataFrame(dict(results.values()), index=out.index)], axis=1)


def result_names(names, results: dict, mode: str) -> list:
    """Design-time counterpart of with_results: ``results`` maps input column -> new name."""
    if mode == "result_only":
        return list(results.values())
    if mode == "inplace":
        return list(names)
    return [*names, *results.values()]


def _clip_columns(fed, params, datastores):
    names = fed.get("dataset")
    if names is None:
        return {"results_dataset": None}
    cols = params["columns"]
    new = [] if params["overwrite"] else [f"{c}_clipped" for c in cols]
    flags = [f"{c}_IsClipped" for c in cols] if params["add_indicator_columns"] else []
    return {"results_dataset": [*names, *new, *flags]}


SUBSTITUTES = ["threshold", "mean", "median", "missing"]


@module(
    "clip_values", label="Clip Values", category=CATEGORY,
    inputs=[Port("dataset", DATAFRAME)], outputs=[Port("results_dataset", DATAFRAME)],
    columns=_clip_columns,
    params=[
        Choice("set_of_thresholds",
               options=["clip_peaks", "clip_subpeaks", "clip_peaks_and_subpeaks"],
               default="clip_peaks"),
        Choice("threshold", options=["constant", "percentile"], default="constant"),
        Float("upper_threshold", default=99.0, min=-BIG, max=BIG,
              description="Constant: values above it are peaks."),
        Float("lower_threshold", default=0.0, min=-BIG, max=BIG,
              description="Constant: values below it are subpeaks."),
        Float("upper_percentile", default=99.0, min=0.0, max=100.0,
              description="Percentile: values above this percentile are peaks."),
        Float("lower_percentile", default=1.0, min=0.0, max=100.0,
              description="Percentile: values below this percentile are subpeaks."),
        Choice("substitute_value_for_peaks", options=SUBSTITUTES, default="threshold"),
        Choice("substitute_value_for_subpeaks", options=SUBSTITUTES, default="threshold"),
        Columns("columns", label="List of columns"),
        Bool("overwrite", default=True, label="Overwrite flag",
             description="Replace the column; else append '<column>_clipped'."),
        Bool("add_indicator_columns", default=False,
             description="Append '<column>_IsClipped': whether the row's value was clipped."),
    ],
)
def clip_values(dataset, *, set_of_thresholds, threshold, upper_threshold, lower_threshold,
                upper_percentile, lower_percentile, substitute_value_for_peaks,
                substitute_value_for_subpeaks, columns, overwrite, add_indicator_columns):
    """Replace values above an upper threshold (peaks) and/or below a lower one (subpeaks).

    Thresholds are constants or percentiles of the column (linear interpolation, missing
    values ignored); values equal to a threshold stay. The substitute is the threshold, the
    column's mean or median (over its values before clipping), or a missing value.
    """
    label = "Clip Values"
    require_numeric(dataset, columns, label)
    peaks = set_of_thresholds in ("clip_peaks", "clip_peaks_and_subpeaks")
    subpeaks = set_of_thresholds in ("clip_subpeaks", "clip_peaks_and_subpeaks")
    out = dataset.copy()
    flags = {}
    for col in columns:
        x = dataset[col].astype("float64")
        hi, lo = ((np.nanpercentile(x, upper_percentile), np.nanpercentile(x, lower_percentile))
                  if threshold == "percentile" and x.notna().any()
                  else (upper_threshold, lower_threshold))
        if peaks and subpeaks and lo > hi:
            raise ModuleError(f"{label}: the lower threshold ({lo:g}) of column {col!r} is "
                              f"above its upper threshold ({hi:g})")
        above = (x > hi) if peaks else pd.Series(False, index=x.index)
        below = (x < lo) if subpeaks else pd.Series(False, index=x.index)
        y = x.mask(above, _substitute(x, substitute_value_for_peaks, hi))
        y = y.mask(below, _substitute(x, substitute_value_for_subpeaks, lo))
        out[col if overwrite else f"{col}_clipped"] = y
        flags[f"{col}_IsClipped"] = (above | below).to_numpy()
    if add_indicator_columns:
        out = pd.concat([out, pd.DataFrame(flags, index=out.index)], axis=1)
    return {"results_dataset": out}


def _substitute(x: pd.Series, how: str, limit: float) -> float:
    return {"threshold": limit, "mean": x.mean(), "median": x.median(), "missing": np.nan}[how]


@module(
    "convert_to_indicator_values", label="Convert to Indicator Values", category=CATEGORY,
    inputs=[Port("dataset", DATAFRAME)],
    outputs=[Port("results_dataset", DATAFRAME),
             Port("indicator_values_transformation", TRANSFORMATION)],
    params=[
        Columns("columns", description="Categorical columns to convert."),
        Bool("overwrite_categorical_columns", default=False,
             description="Drop each converted column, keeping only its indicators."),
    ],
)
def convert_to_indicator_values(dataset, *, columns, overwrite_categorical_columns):
    """One 0/1 column per value of each selected categorical column, named "column-value".

    Values are taken in sorted order; a column with missing values also gets a
    "column-Missing" indicator. The indicators are appended after the data set's columns.
    The transformation output converts new data the same way (Apply Transformation): the
    same indicator columns, all 0 for a value this data set did not have.
    """
    label = "Convert to Indicator Values"
    require_categorical(dataset, columns, label)
    learned = Indicators(
        levels={c: sorted(dataset[c].dropna().unique(), key=str) for c in columns},
        missing=[c for c in columns if dataset[c].isna().any()],
        overwrite=overwrite_categorical_columns)
    return {"results_dataset": learned.apply(dataset, label),
            "indicator_values_transformation": learned}


def require_categorical(dataset: pd.DataFrame, columns, label: str) -> None:
    """Raise ModuleError naming the selected columns that are missing or not categorical."""
    require_columns(dataset, columns, label)
    bad = [c for c in columns if not (column_kind_matches(dataset[c], "categorical")
                                      or column_kind_matches(dataset[c], "boolean"))]
    if bad:
        raise ModuleError(f"{label}: column(s) {', '.join(map(repr, bad))} are not "
                          "categorical; make them categorical with Edit Metadata first")


@dataclass
class Indicators:
    """The values Convert to Indicator Values saw in each column, to convert new data alike."""

    levels: dict  # column: its values, sorted
    missing: list  # the columns that get a "column-Missing" indicator
    overwrite: bool

    def describe(self) -> str:
        """One line for logs."""
        return f"Convert to Indicator Values of {len(self.levels)} column(s)"

    def apply(self, dataset: pd.DataFrame, label: str, ctx=None) -> pd.DataFrame:
        """``dataset`` with the learned indicator columns appended."""
        require_categorical(dataset, list(self.levels), label)
        kept = dataset.drop(columns=list(self.levels)) if self.overwrite else dataset
        parts = [kept]
        for col, levels in self.levels.items():
            values = dataset[col]
            flags = {f"{col}-{level}": (values == level).fillna(False).to_numpy(dtype="int64")
                     for level in levels}
            if col in self.missing:
                flags[f"{col}-Missing"] = values.isna().to_numpy(dtype="int64")
            parts.append(pd.DataFrame(flags, index=dataset.index))
        out = pd.concat(parts, axis=1)
        dupes = sorted({c for c in out.columns if list(out.columns).count(c) > 1})
        if dupes:
            raise ModuleError(f"{label}: indicator column(s) {', '.join(map(repr, dupes))} "
                              "already exist")
        return out


BINNING_MODES = ["quantiles", "equal_width", "custom_edges"]


def _binned_columns(fed, params, datastores):
    names = fed.get("dataset")
    if names is None:
        return {"quantized_dataset": None}
    results = {c: f"{c}_quantized" for c in params["columns"]}
    return {"quantized_dataset": result_names(names, results, params["output_mode"])}


@module(
    "group_data_into_bins", label="Group Data into Bins", category=CATEGORY,
    inputs=[Port("dataset", DATAFRAME)],
    outputs=[Port("quantized_dataset", DATAFRAME),
             Port("binning_transformation", TRANSFORMATION)],
    columns=_binned_columns,
    params=[
        Choice("binning_mode", options=BINNING_MODES, default="quantiles"),
        Columns("columns", label="Columns to bin"),
        Choice("output_mode", options=OUTPUT_MODES, default="append"),
        Bool("tag_columns_as_categorical", default=True),
        Int("number_of_bins", default=10, min=1, max=1000,
            description="Quantiles and equal width: how many bins."),
        Choice("quantile_normalization", options=["percent", "pquantile", "quantile_index"],
               default="percent",
               description="Quantiles: the bin as a percent (0-100), a fraction (0-1) or its "
                           "number (1, 2, ...)."),
        Str("custom_edges", default="",
            description="Custom edges: comma-separated increasing bin edges, e.g. 20, 40, 60."),
    ],
)
def group_data_into_bins(dataset, *, binning_mode, columns, output_mode,
                         tag_columns_as_categorical, number_of_bins, quantile_normalization,
                         custom_edges):
    """Replace numbers by the bin they fall in; missing values stay missing.

    Bins are right-closed intervals (a, b], the lowest value going to the first bin, as
    pandas' qcut and cut: quantile edges of the column, equal-width edges between its
    minimum and maximum, or the custom edges (below the first edge: bin 1; above the last:
    the last bin). Appended columns are named "<column>_quantized". The binning
    transformation bins new data with the same edges (Apply Transformation).
    """
    label = "Group Data into Bins"
    require_numeric(dataset, columns, label)
    fixed = _edges(custom_edges, label) if binning_mode == "custom_edges" else None
    edges = {c: fixed if fixed is not None else _learned_edges(
        dataset[c].astype("float64"), binning_mode, number_of_bins) for c in columns}
    learned = Binning(edges=edges, output_mode=output_mode,
                      normalization=quantile_normalization if binning_mode == "quantiles"
                      else "quantile_index",
                      categorical=tag_columns_as_categorical, custom=fixed is not None)
    return {"quantized_dataset": learned.apply(dataset, label), "binning_transformation": learned}


def _edges(text: str, label: str) -> np.ndarray:
    try:
        edges = np.array([float(p) for p in text.split(",") if p.strip()])
    except ValueError:
        edges = np.array([])
    if len(edges) == 0 or not np.isfinite(edges).all() or (np.diff(edges) <= 0).any():
        raise ModuleError(f"{label}: custom_edges must be increasing numbers separated by "
                          f"commas, e.g. 20, 40, 60; got {text!r}")
    return edges


def _learned_edges(x: pd.Series, mode: str, bins: int) -> np.ndarray:
    """The edges of ``bins`` bins over the column's values (both ends included)."""
    values = x.dropna().to_numpy()
    if len(values) == 0:
        return np.zeros(bins + 1)
    if mode == "quantiles":
        return np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)))
    return np.linspace(values.min(), values.max(), bins + 1)


@dataclass
class Binning:
    """The bin edges Group Data into Bins learned, to bin new data the same way."""

    edges: dict  # column: its edges (learned: both ends; custom: the inner edges only)
    output_mode: str
    normalization: str
    categorical: bool
    custom: bool = False

    def describe(self) -> str:
        """One line for logs."""
        return f"Group Data into Bins of {len(self.edges)} column(s)"

    def apply(self, dataset: pd.DataFrame, label: str, ctx=None) -> pd.DataFrame:
        """Bin the learned columns of ``dataset``."""
        require_numeric(dataset, list(self.edges), label)
        results = {c: (f"{c}_quantized", self._bin(dataset[c].astype("float64"), edges))
                   for c, edges in self.edges.items()}
        return with_results(dataset, results, self.output_mode, label)

    def _bin(self, x: pd.Series, edges: np.ndarray) -> pd.Series:
        inner = edges if self.custom else edges[1:-1]
        count = len(inner) + 1
        index = np.searchsorted(inner, x.to_numpy(), side="left")
        if self.normalization == "quantile_index":
            out = (index + 1).astype("float64")
        else:
            out = index / (count - 1) if count > 1 else np.zeros(len(index))
            out = out * 100.0 if self.normalization == "percent" else out
        out = pd.Series(out, index=x.index).where(x.notna())
        if self.normalization == "quantile_index" and out.notna().all():
            out = out.astype("int64")
        return out.astype("category") if self.categorical else out
