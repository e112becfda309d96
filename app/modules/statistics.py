"""Feature Selection and Statistical Functions: Filter Based Feature Selection, Summarize Data
and Compute Linear Correlation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import mutual_info_score

from app.engine.context import ModuleError
from app.engine.registry import module
from app.engine.spec import DATAFRAME, Choice, Columns, Int, Port

from .transform import is_numeric, require_columns

FEATURE_SELECTION = "Feature Selection"
STATISTICS = "Statistical Functions"
FILTER = "Filter Based Feature Selection"
CORRELATIONS = {"pearson_correlation": "pearson", "spearman_correlation": "spearman",
                "kendall_correlation": "kendall"}
SCORING_METHODS = [*CORRELATIONS, "chi_squared", "mutual_information"]
SCORE_COLUMNS = ["Feature", "Score"]
SUMMARY_COLUMNS = [
    "Feature", "Count", "Unique Value Count", "Missing Value Count", "Min", "Max", "Mean",
    "Mean Deviation", "1st Quartile", "Median", "3rd Quartile", "Mode", "Range",
    "Sample Variance", "Sample Standard Deviation", "Sample Skewness", "Sample Kurtosis",
    "P0.5", "P1", "P5", "P95", "P99.5",
]
PERCENTILES = {"1st Quartile": 25, "Median": 50, "3rd Quartile": 75, "P0.5": 0.5, "P1": 1,
               "P5": 5, "P95": 95, "P99.5": 99.5}


@module(
    "filter_based_feature_selection", label=FILTER, category=FEATURE_SELECTION,
    inputs=[Port("dataset", DATAFRAME)],
    outputs=[Port("filtered_dataset", DATAFRAME), Port("features", DATAFRAME)],
    columns=lambda fed, params, datastores: {"filtered_dataset": None,
                                             "features": SCORE_COLUMNS},
    params=[
        Choice("feature_scoring_method", options=SCORING_METHODS,
               default="pearson_correlation"),
        Columns("target_column", single=True),
        Int("number_of_desired_features", default=1, min=1, max=100_000),
    ],
)
def filter_based_feature_selection(dataset, *, feature_scoring_method, target_column,
                                   number_of_desired_features):
    """Score every feature against the target column and keep the best ones.

    Correlations (Pearson, Spearman, Kendall; pairwise-complete rows, score = absolute
    value) score numeric and true/false features; against a categorical target a feature is
    correlated with its mean within each target value, as Azure does. Chi-squared (the
    statistic of the feature-by-target contingency table) and mutual information (in nats)
    treat every value as a category and score every feature. The filtered data set has the
    target column, then the kept features by descending score; the features output lists
    every scored feature and its score, best first (ties keep the column order).
    """
    require_columns(dataset, [target_column], FILTER, "target column")
    target = dataset[target_column]
    features = [c for c in dataset.columns if c != target_column]
    method = CORRELATIONS.get(feature_scoring_method)
    if method:
        features = [c for c in features if _as_number(dataset[c])]
        scores = [correlation(dataset[c], target, method) for c in features]
    else:
        score = chi_squared if feature_scoring_method == "chi_squared" else mutual_information
        scores = [score(dataset[c], target) for c in features]
    table = pd.DataFrame({"Feature": features, "Score": np.asarray(scores, dtype="float64")})
    table = table.fillna({"Score": 0.0}).sort_values("Score", ascending=False, kind="stable")
    kept = table["Feature"].head(number_of_desired_features).tolist()
    return {"filtered_dataset": dataset[[target_column, *kept]].copy(),
            "features": table.reset_index(drop=True)}


def _as_number(series: pd.Series) -> bool:
    """Numbers and true/false (1/0) take part in correlations."""
    return is_numeric(series) or pd.api.types.is_bool_dtype(series.dtype)


def correlation(feature: pd.Series, target: pd.Series, method: str) -> float:
    """The absolute correlation of a feature with the target (a categorical target: with
    the feature's mean within each of its values)."""
    x = feature.astype("float64")
    y = (target.astype("float64") if _as_number(target)
         else x.groupby(target.astype("str").where(target.notna())).transform("mean"))
    return abs(x.corr(y, method=method))


def _codes(series: pd.Series) -> np.ndarray:
    """Each value's category code; missing values are a category of their own."""
    return pd.factorize(series, use_na_sentinel=False)[0]


def chi_squared(feature: pd.Series, target: pd.Series) -> float:
    """Pearson's chi-squared statistic of the feature-by-target contingency table."""
    observed = pd.crosstab(_codes(feature), _codes(target)).to_numpy(dtype="float64")
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    return float(((observed - expected) ** 2 / expected).sum())


def mutual_information(feature: pd.Series, target: pd.Series) -> float:
    """Mutual information (nats) of the feature's and the target's values."""
    return float(mutual_info_score(_codes(target), _codes(feature)))


@module(
    "summarize_data", label="Summarize Data", category=STATISTICS,
    inputs=[Port("dataset", DATAFRAME)], outputs=[Port("result_dataset", DATAFRAME)],
    columns=lambda fed, params, datastores: {"result_dataset": SUMMARY_COLUMNS},
)
def summarize_data(dataset):
    """One row of statistics per column of the data set.

    Every column gets its row count, unique value count and missing value count; numeric
    and true/false (1/0) columns also the minimum, maximum, range, mean, mean absolute
    deviation, quartiles, mode, sample variance, standard deviation, skewness and excess
    kurtosis (bias-corrected, as pandas computes them) and percentiles (linear
    interpolation), over the non-missing values. Other statistics of text columns are empty.
    """
    return {"result_dataset": pd.DataFrame([_summary(dataset[c]) for c in dataset.columns],
                                           columns=SUMMARY_COLUMNS)}


def _summary(series: pd.Series) -> dict:
    values = series.dropna()
    row = {"Feature": str(series.name), "Count": len(series),
           "Unique Value Count": values.nunique(), "Missing Value Count": int(series.isna().sum())}
    if not _as_number(series) or values.empty:
        return row
    x = values.astype("float64")
    row |= {"Min": x.min(), "Max": x.max(), "Mean": x.mean(), "Range": x.max() - x.min(),
            "Mean Deviation": (x - x.mean()).abs().mean(), "Mode": x.mode().iloc[0],
            "Sample Variance": x.var(), "Sample Standard Deviation": x.std(),
            "Sample Skewness": x.skew(), "Sample Kurtosis": x.kurt()}
    return row | dict(zip(PERCENTILES, np.percentile(x, list(PERCENTILES.values())),
                          strict=True))


@module(
    "compute_linear_correlation", label="Compute Linear Correlation", category=STATISTICS,
    inputs=[Port("dataset", DATAFRAME)], outputs=[Port("correlation_matrix", DATAFRAME)],
)
def compute_linear_correlation(dataset, *, ctx=None):
    """Pearson's correlation of every pair of numeric columns (pairwise-complete rows).

    The first column, "Column", names each row; text and other non-numeric columns are left
    out (the step log lists them).
    """
    numeric = [c for c in dataset.columns if is_numeric(dataset[c])]
    if not numeric:
        raise ModuleError("Compute Linear Correlation: the data set has no numeric column")
    skipped = [str(c) for c in dataset.columns if c not in numeric]
    if skipped and ctx is not None:
        ctx.log(f"left out non-numeric column(s): {', '.join(skipped)}")
    matrix = dataset[numeric].astype("float64").corr(method="pearson")
    matrix.insert(0, "Column", [str(c) for c in numeric])
    return {"correlation_matrix": matrix.reset_index(drop=True)}
