"""Data Transformation modules: column selection, missing values, metadata, normalization.

Split Data lives in transform_split.py; Join Data and Apply SQL Transformation in
transform_sql.py. The helpers here (column kinds, column checks) are shared by all three.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from scipy import special, stats

from app.engine.column_rules import is_numeric, is_text
from app.engine.columns import Typed, kept, passed_through
from app.engine.context import ModuleError
from app.engine.registry import module
from app.engine.spec import (
    DATAFRAME,
    TRANSFORMATION,
    Bool,
    Choice,
    Columns,
    Float,
    Port,
    Str,
    bool_word,
)

CATEGORY = "Data Transformation"
CLEANING_MODES = ("custom_substitution_value", "mean", "median", "mode", "remove_entire_row",
                  "remove_entire_column")
NORMALIZERS = ("zscore", "minmax", "logistic", "lognormal", "tanh")
COLUMN_KINDS = ["any", "numeric", "string", "boolean", "datetime", "categorical"]


def column_list(columns, limit: int = 30) -> str:
    """Comma-separated column names for messages, shortened past ``limit`` names."""
    names = [str(c) for c in columns]
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f", ... ({len(names) - limit} more)"


def require_columns(df: pd.DataFrame, names, label: str, what: str = "column") -> None:
    """Raise ModuleError naming every name in ``names`` that ``df`` lacks."""
    missing = [n for n in names if n not in df.columns]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise ModuleError(
            f"{label}: {what}{plural} {', '.join(repr(m) for m in missing)} not in the data set "
            f"(columns: {column_list(df.columns)})"
        )


def column_kind_matches(series: pd.Series, kind: str) -> bool:
    """Whether a column is of ``kind`` (one of COLUMN_KINDS).

    "categorical" follows the rest of the app (Train Model encodes them as categories):
    pandas category columns and text columns alike.
    """
    dtype = series.dtype
    if kind == "any":
        return True
    if kind == "numeric":
        return is_numeric(series)
    if kind == "boolean":
        return ptypes.is_bool_dtype(dtype)
    if kind == "datetime":
        return ptypes.is_datetime64_any_dtype(dtype)
    if kind == "string":
        return is_text(series)
    if kind == "categorical":
        return isinstance(dtype, pd.CategoricalDtype) or is_text(series)
    raise ValueError(f"unknown column kind {kind!r}")


def _kept(names: list, chosen: set, mode: str) -> list:
    """The names Select Columns keeps: the chosen ones (include) or the others (exclude)."""
    return [c for c in names if (c in chosen) == (mode == "include")]


def _selected_columns(fed, params, datastores):
    """Known from the names, and when columns are also chosen by their type, from the types
    the names carry (unknown without them)."""
    names = fed.get("dataset")
    kind = params["column_type"]
    if names is None or (kind != "any" and not isinstance(names, Typed)):
        return {"dataset": None}
    chosen = set(params["columns"] or [])
    if params["mode"] == "include" and not chosen and kind == "any":
        return {"dataset": kept(names, names)}
    if kind != "any":
        chosen |= {n for n in names if column_kind_matches(names.empty(n), kind)}
    return {"dataset": kept(names, _kept(names, chosen, params["mode"]))}


@module(
    "select_columns", label="Select Columns in Dataset", category=CATEGORY,
    inputs=[Port("dataset", DATAFRAME)], outputs=[Port("dataset", DATAFRAME)],
    columns=_selected_columns,
    params=[
        Choice("mode", options=["include", "exclude"], default="include"),
        Columns("columns", optional=True, default=None),
        Choice("column_type", options=COLUMN_KINDS, default="any"),
    ],
)
def select_columns(dataset, *, mode, columns, column_type):
    """Keep (include) or drop (exclude) columns chosen by name and/or by type."""
    label = "Select Columns in Dataset"
    names = columns or []
    require_columns(dataset, names, label)
    chosen = set(names)
    if column_type != "any":
        chosen |= {c for c in dataset.columns if column_kind_matches(dataset[c], column_type)}
    if mode == "include" and not names and column_type == "any":
        return {"dataset": dataset.copy()}
    return {"dataset": dataset[_kept(list(dataset.columns), chosen, mode)].copy()}


def _substitute_value(series: pd.Series, text: str, label: str):
    """``text`` converted to the dtype of ``series`` so fillna keeps the column's type."""
    dtype = series.dtype
    name = series.name
    try:
        if ptypes.is_bool_dtype(dtype):
            if bool_word(text) is None:
                raise ValueError(text)
            return bool_word(text)
        if ptypes.is_integer_dtype(dtype):
            return int(text.strip())
        if is_numeric(series):
            return float(text.strip())
        if ptypes.is_datetime64_any_dtype(dtype):
            return pd.Timestamp(text.strip())
    except ValueError:
        kind = "boolean" if ptypes.is_bool_dtype(dtype) else str(dtype)
        raise ModuleError(
            f"{label}: the replacement value {text!r} does not fit column {name!r} "
            f"of type {kind}"
        ) from None
    return text


def _cleaned_columns(fed, params, datastores):
    """The input's columns; with indicators, which columns get one depends on the data."""
    names = fed.get("dataset")
    return {"cleaned_dataset": None if params["generate_indicator"] else names}


@module(
    "clean_missing_data", label="Clean Missing Data", category=CATEGORY, version="2",
    inputs=[Port("dataset", DATAFRAME)],
    outputs=[Port("cleaned_dataset", DATAFRAME),
             Port("cleaning_transformation", TRANSFORMATION)],
    columns=_cleaned_columns,
    params=[
        Columns("columns", optional=True),
        Float("min_missing_ratio", default=0.0, min=0.0, max=1.0,
              description="Clean only columns missing at least this share of values."),
        Float("max_missing_ratio", default=1.0, min=0.0, max=1.0,
              description="Clean only columns missing at most this share of values."),
        Choice("mode", options=list(CLEANING_MODES), default="custom_substitution_value",
               label="Cleaning mode",
               option_labels={"mean": "Replace with mean", "median": "Replace with median",
                              "mode": "Replace with mode"}),
        Str("replacement_value", default="0", when={"mode": "custom_substitution_value"}),
        Bool("generate_indicator", default=False),
    ],
)
def clean_missing_data(dataset, *, columns, min_missing_ratio, max_missing_ratio, mode,
                       replacement_value, generate_indicator, ctx=None):
    """Replace or remove missing values in columns whose missing ratio is within [min, max].

    Indicator columns ("<col>_IsMissing", appended at the end) are added for every cleaned
    column in the substitution modes; the remove modes ignore the option. The cleaning
    transformation output cleans new data the same way (Apply Transformation): the same
    columns, with the mean, median or mode learned from this data set.
    """
    label = "Clean Missing Data"
    if min_missing_ratio > max_missing_ratio:
        raise ModuleError(
            f"{label}: min_missing_ratio ({min_missing_ratio}) is greater than "
            f"max_missing_ratio ({max_missing_ratio})"
        )
    names = columns or list(dataset.columns)
    require_columns(dataset, names, label)
    missing = dataset[names].isna()
    ratios = missing.mean() if len(dataset) else pd.Series(0.0, index=names)
    targets = [c for c in names if min_missing_ratio <= ratios[c] <= max_missing_ratio]
    _log(ctx, f"cleaning {len(targets)} of {len(names)} selected columns ({mode})")
    if mode in ("mean", "median"):
        bad = [c for c in targets if not is_numeric(dataset[c])]
        if bad:
            raise ModuleError(
                f"{label}: the {mode} needs numeric columns; column(s) "
                f"{', '.join(repr(b) for b in bad)} are not numeric"
            )
    learned = CleaningTransformation(
        mode=mode, targets=targets, replacement_value=replacement_value,
        generate_indicator=generate_indicator,
        fills={c: _learned_fill(dataset[c], mode) for c in targets},
        drop=[c for c in targets if ratios[c] > 0] if mode == "remove_entire_column" else [])
    return {"cleaned_dataset": learned.apply(dataset, label, ctx),
            "cleaning_transformation": learned}


def _learned_fill(series: pd.Series, mode: str):
    """The value a learned mode fills a column with (None: nothing to learn it from)."""
    if mode not in ("mean", "median", "mode") or series.notna().sum() == 0:
        return None
    if mode == "mode":
        return series.mode().iloc[0]
    numbers = series.astype("float64")
    return numbers.mean() if mode == "mean" else numbers.median()


@dataclass
class CleaningTransformation:
    """What Clean Missing Data learned from its data set, to clean new data the same way."""

    mode: str
    targets: list
    replacement_value: str
    generate_indicator: bool
    fills: dict = field(default_factory=dict)  # column: learned mean, median or mode
    drop: list = field(default_factory=list)   # remove_entire_column: the columns removed

    def describe(self) -> str:
        """One line for logs."""
        return (f"Clean Missing Data ({self.mode}) of {len(self.targets)} column(s): "
                f"{column_list(self.targets) or 'none'}")

    def apply(self, dataset: pd.DataFrame, label: str, ctx=None) -> pd.DataFrame:
        """Clean ``dataset``: the learned columns, modes and values."""
        require_columns(dataset, self.targets, label)
        df = dataset.copy()
        missing = df[self.targets].isna()
        if self.mode == "remove_entire_row":
            out = df[~missing.any(axis=1)] if self.targets else df
            _log(ctx, f"removed {len(df) - len(out)} rows")
            return out.reset_index(drop=True)
        if self.mode == "remove_entire_column":
            _log(ctx, f"removed columns: {column_list(self.drop) or 'none'}")
            return df.drop(columns=self.drop)
        indicators = {}
        for col in self.targets:
            if self.generate_indicator:
                indicators[f"{col}_IsMissing"] = missing[col].to_numpy(dtype=bool)
            if missing[col].any():
                df[col] = self._fill(df[col], label)
        clash = [n for n in indicators if n in df.columns]
        if clash:
            raise ModuleError(f"{label}: indicator column(s) {', '.join(map(repr, clash))} exist")
        if indicators:
            df = pd.concat([df, pd.DataFrame(indicators, index=df.index)], axis=1)
        return df

    def _fill(self, series: pd.Series, label: str) -> pd.Series:
        if self.mode == "custom_substitution_value":
            value = _substitute_value(series, self.replacement_value, label)
            if isinstance(series.dtype, pd.CategoricalDtype) and \
                    value not in series.cat.categories:
                series = series.cat.add_categories([value])
            return series.fillna(value)
        value = self.fills.get(series.name)
        if value is None:
            raise ModuleError(f"{label}: column {series.name!r} has no values to compute the "
                              f"{self.mode} from")
        if self.mode == "mode":
            return series.fillna(value)
        if not is_numeric(series):
            raise ModuleError(f"{label}: the {self.mode} needs numeric columns; column "
                              f"{series.name!r} is not numeric")
        return series.astype("float64").fillna(value)


def _log(ctx, message: str) -> None:
    if ctx is not None:
        ctx.log(message)


def _new_names(text: str) -> list[str]:
    """Edit Metadata's comma-separated new names (none when the text is blank)."""
    return [n.strip() for n in text.split(",")] if text.strip() else []


def _edited_columns(fed, params, datastores):
    """The input's columns with the selected ones renamed."""
    names, new = fed.get("dataset"), _new_names(params["new_names"])
    if names is None or not new:
        return {"dataset": names}
    renames = dict(zip(params["columns"], new, strict=False))
    return {"dataset": [renames.get(c, c) for c in names]}


@module(
    "edit_metadata", label="Edit Metadata", category=CATEGORY,
    inputs=[Port("dataset", DATAFRAME)], outputs=[Port("dataset", DATAFRAME)],
    columns=_edited_columns,
    params=[
        Columns("columns"),
        Choice("data_type", options=["unchanged", "string", "integer", "float", "boolean",
                                     "datetime"], default="unchanged"),
        Choice("categorical", options=["unchanged", "make_categorical", "make_non_categorical"],
               default="unchanged"),
        Str("new_names", default=""),
    ],
)
def edit_metadata(dataset, *, columns, data_type, categorical, new_names):
    """Change the type, categorical flag and/or names of the selected columns."""
    label = "Edit Metadata"
    require_columns(dataset, columns, label)
    df = dataset.copy()
    for col in columns:
        series = df[col]
        if data_type != "unchanged":
            series = _convert(series, data_type, label)
        if categorical == "make_categorical" and not isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype("category")
        elif categorical == "make_non_categorical" and isinstance(
            series.dtype, pd.CategoricalDtype
        ):
            series = series.astype(series.cat.categories.dtype)
        df[col] = series
    if names := _new_names(new_names):
        if len(names) != len(columns) or not all(names):
            raise ModuleError(
                f"{label}: new_names gives {len(names)} name(s) for {len(columns)} column(s) "
                f"({', '.join(columns)}); give one non-empty name per column, comma-separated"
            )
        mapping = dict(zip(columns, names, strict=True))
        result = [mapping.get(c, c) for c in df.columns]
        dupes = sorted({n for n in result if result.count(n) > 1})
        if dupes:
            raise ModuleError(f"{label}: renaming would duplicate column(s) {', '.join(dupes)}")
        df.columns = result
    return {"dataset": df}


def _convert(series: pd.Series, data_type: str, label: str) -> pd.Series:
    """``series`` converted to ``data_type``; failures name the column and a bad value."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(series.cat.categories.dtype)
    present = series.notna()
    if data_type == "string":
        return series.astype("str")
    if data_type == "boolean":
        if ptypes.is_bool_dtype(series.dtype):
            return series
        converted = series.map(_to_bool, na_action="ignore")
        bad = present & converted.isna()
    elif data_type == "datetime":
        if ptypes.is_datetime64_any_dtype(series.dtype):
            return series
        converted = pd.to_datetime(series, errors="coerce", format="mixed")
        bad = present & converted.isna()
    else:
        converted = pd.to_numeric(series, errors="coerce")
        bad = present & converted.isna()
        if data_type == "integer" and not bad.any():
            bad = present & (converted != np.round(converted))
    if bad.any():
        sample = series[bad].iloc[0]
        sample = sample.item() if hasattr(sample, "item") else sample  # numpy scalar -> Python
        raise ModuleError(
            f"{label}: column {series.name!r} cannot be converted to {data_type}: "
            f"{int(bad.sum())} value(s) such as {sample!r} do not fit"
        )
    if data_type == "boolean":
        return converted.astype("boolean" if not present.all() else "bool")
    if data_type == "integer":
        return converted.astype("Int64" if not present.all() else "int64")
    if data_type == "float":
        return converted.astype("float64")
    return converted


def _to_bool(value):
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.number) and value in (0, 1):
        return bool(value)
    return bool_word(str(value))


@module(
    "normalize_data", label="Normalize Data", category=CATEGORY, version="2",
    inputs=[Port("dataset", DATAFRAME)],
    outputs=[Port("transformed_dataset", DATAFRAME),
             Port("transformation_function", TRANSFORMATION)],
    columns=passed_through("dataset", "transformed_dataset"),
    params=[
        Choice("transformation", options=list(NORMALIZERS), default="zscore",
               label="Transformation method",
               option_labels={"zscore": "ZScore", "minmax": "MinMax", "logistic": "Logistic",
                              "lognormal": "LogNormal", "tanh": "TanH"}),
        Columns("columns", optional=True),
        Bool("use_zero_for_constant", default=True),
    ],
)
def normalize_data(dataset, *, transformation, columns, use_zero_for_constant):
    """Rescale numeric columns; missing values stay missing.

    Formulas (statistics over the column's non-missing values):
    zscore  (x - mean) / std, population std (ddof=0);
    minmax  (x - min) / (max - min);
    logistic  1 / (1 + exp(-x));
    lognormal  CDF of the log-normal fitted to the column:
        scipy.stats.lognorm.cdf(x, s=std(log x), scale=exp(mean(log x))), x must be > 0;
    tanh  tanh(x).
    With use_zero_for_constant a column holding a single value becomes 0 whatever the
    transformation; without it zscore/minmax/lognormal give NaN for such columns. The
    transformation function output rescales new data with the statistics of this data set
    (Apply Transformation).
    """
    label = "Normalize Data"
    if columns:
        _require_numeric(dataset, columns, label)
        names = list(columns)
    else:
        names = [c for c in dataset.columns if is_numeric(dataset[c])]
    learned = NormalizeTransformation(
        how=transformation, zero_for_constant=use_zero_for_constant,
        statistics={c: _statistics(dataset[c].astype("float64"), transformation, label)
                    for c in names})
    return {"transformed_dataset": learned.apply(dataset, label),
            "transformation_function": learned}


def _require_numeric(dataset: pd.DataFrame, columns, label: str) -> None:
    require_columns(dataset, columns, label)
    bad = [c for c in columns if not is_numeric(dataset[c])]
    if bad:
        raise ModuleError(
            f"{label}: column(s) {', '.join(repr(b) for b in bad)} are not numeric; "
            "only numeric columns can be normalized"
        )


def _statistics(x: pd.Series, how: str, label: str) -> dict:
    """What a normalization learns of one column (over its non-missing values)."""
    learned = {"constant": bool(x.nunique(dropna=True) <= 1)}
    if how == "zscore":
        learned |= {"mean": x.mean(), "std": x.std(ddof=0)}
    elif how == "minmax":
        learned |= {"min": x.min(), "max": x.max()}
    elif how == "lognormal":
        _require_positive(x, label)
        logs = np.log(x)
        learned |= {"log_mean": logs.mean(), "log_std": logs.std(ddof=0)}
    return learned


def _require_positive(x: pd.Series, label: str) -> None:
    if (x <= 0).any():
        raise ModuleError(
            f"{label}: lognormal needs positive values; column {x.name!r} has "
            f"{int((x <= 0).sum())} value(s) <= 0"
        )


@dataclass
class NormalizeTransformation:
    """What Normalize Data learned of each column, to rescale new data the same way."""

    how: str
    zero_for_constant: bool
    statistics: dict  # column: its learned statistics (see _statistics)

    def describe(self) -> str:
        """One line for logs."""
        return (f"Normalize Data ({self.how}) of {len(self.statistics)} column(s): "
                f"{column_list(self.statistics) or 'none'}")

    def apply(self, dataset: pd.DataFrame, label: str, ctx=None) -> pd.DataFrame:
        """Rescale the learned columns of ``dataset``."""
        _require_numeric(dataset, list(self.statistics), label)
        df = dataset.copy()
        for col, learned in self.statistics.items():
            df[col] = self._rescale(df[col].astype("float64"), learned, label)
        return df

    def _rescale(self, x: pd.Series, learned: dict, label: str) -> pd.Series:
        if learned["constant"] and self.zero_for_constant:
            return x.where(x.isna(), 0.0)
        values = x.to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.how == "zscore":
                out = (values - learned["mean"]) / learned["std"]
            elif self.how == "minmax":
                out = (values - learned["min"]) / (learned["max"] - learned["min"])
            elif self.how == "logistic":
                out = special.expit(values)
            elif self.how == "tanh":
                out = np.tanh(values)
            else:
                _require_positive(x, label)
                sigma = learned["log_std"]
                out = stats.lognorm.cdf(values, sigma, scale=np.exp(learned["log_mean"])) \
                    if sigma > 0 else np.full(len(values), np.nan)
                out = np.where(np.isnan(values), np.nan, out)
        return pd.Series(out, index=x.index, name=x.name, dtype="float64")

