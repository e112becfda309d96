"""Apply Math Operation, Clip Values, Convert to Indicator Values and Group Data into Bins
against plain numpy / pandas on the real Automobile data."""

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from app.engine.context import ModuleError
from app.engine.registry import REGISTRY
from app.engine.spec import ParamError
from tests.modules.test_transform import run

NUMBERS = ["horsepower", "price", "bore"]


@pytest.fixture
def cars(automobile):
    return automobile[["make", "body-style", "num-of-doors", *NUMBERS]]


# Apply Math Operation

def half_up(x: pd.Series, digits: int) -> pd.Series:
    """The 4/5 rule as a person rounds the decimal text of each value."""
    step = Decimal(1).scaleb(-digits)
    return x.map(lambda v: float(Decimal(repr(v)).quantize(step, ROUND_HALF_UP)),
                 na_action="ignore")


@pytest.mark.parametrize(("params", "name", "expected"), [
    ({"basic_function": "Sqrt"}, "Sqrt({})", np.sqrt),
    ({"basic_function": "Ln"}, "Ln({})", np.log),
    ({"basic_function": "Pow", "constant": 3}, "Pow({}_$3)", lambda x: x**3),
    ({"basic_function": "Exp2", "constant": 0.5}, "Exp2({}_$0.5)",  # overflow: missing
     lambda x: (0.5 * 2**x).replace(np.inf, np.nan)),
    ({"category": "operations", "operation": "Divide", "constant": 2.5}, "Divide({}_$2.5)",
     lambda x: x / 2.5),
    ({"category": "operations", "operation": "Subtract", "constant": -1}, "Subtract({}_$-1)",
     lambda x: x + 1),
    ({"category": "rounding", "rounding_operation": "RoundDigits", "precision": 1},
     "RoundDigits({}_$1)", lambda x: half_up(x, 1)),
    ({"category": "rounding", "rounding_operation": "RoundUp", "precision": 1},
     "RoundUp({}_$1)", lambda x: np.ceil(x * 10) / 10),
    ({"category": "compare", "comparison": "PairMax", "constant": 100}, "PairMax({}_$100)",
     lambda x: x.clip(lower=100)),
    ({"category": "special", "special_function": "GammaLn"}, "GammaLn({})",
     lambda x: x.map(math.lgamma, na_action="ignore")),
    ({"category": "trigonometric", "trigonometric_function": "Tanh"}, "Tanh({})", np.tanh),
])
def test_apply_math_operation_appends_what_numpy_computes(cars, params, name, expected):
    out = run("apply_math_operation", {"dataset": cars}, columns=NUMBERS, **params)
    result = out["results_dataset"]
    assert list(result.columns) == [*cars.columns, *(name.format(c) for c in NUMBERS)]
    for col in NUMBERS:
        assert_series_equal(result[name.format(col)], expected(cars[col].astype("float64")),
                            check_names=False)
    spec = REGISTRY["apply_math_operation"]
    designed = spec.columns({"dataset": list(cars.columns)},
                            spec.resolve_params({"columns": NUMBERS, **params}), None)
    assert designed == {"results_dataset": list(result.columns)}


@pytest.mark.parametrize(("mode", "columns"), [
    ("inplace", ["make", "body-style", "num-of-doors", *NUMBERS]),
    ("result_only", ["Abs(price)"]),
])
def test_apply_math_operation_output_modes(cars, mode, columns):
    out = run("apply_math_operation", {"dataset": cars}, columns=["price"],
              output_mode=mode)["results_dataset"]
    assert list(out.columns) == columns
    assert_series_equal(out[columns[-1] if mode == "result_only" else "price"],
                        cars["price"].abs(), check_names=False)


def test_comparisons_give_true_false_and_keep_missing_values(cars):
    out = run("apply_math_operation", {"dataset": cars}, columns=["price"], category="compare",
              comparison="GreaterThanOrEqualTo", constant=16500)["results_dataset"]
    result = out["GreaterThanOrEqualTo(price_$16500)"]
    assert str(result.dtype) == "boolean"
    expected = (cars["price"] >= 16500).astype("boolean").mask(cars["price"].isna())
    assert_series_equal(result, expected, check_names=False)


def test_round_digits_rounds_halves_away_from_zero():
    frame = pd.DataFrame({"x": [0.5, 1.5, 2.5, -2.5, 2.45]})
    out = run("apply_math_operation", {"dataset": frame}, columns=["x"], category="rounding",
              rounding_operation="RoundDigits", output_mode="inplace")["results_dataset"]
    assert out["x"].tolist() == [1.0, 2.0, 3.0, -3.0, 2.0]


def test_apply_math_operation_gives_missing_values_where_undefined():
    frame = pd.DataFrame({"x": [4.0, -1.0, 0.0]})
    out = run("apply_math_operation", {"dataset": frame}, columns=["x"],
              basic_function="Ln")["results_dataset"]
    assert out["Ln(x)"].isna().tolist() == [False, True, True]


def test_apply_math_operation_names_text_and_missing_columns(cars):
    with pytest.raises(ModuleError, match="Apply Math Operation: column.*'make' are not numeric"):
        run("apply_math_operation", {"dataset": cars}, columns=["make"])
    with pytest.raises(ModuleError, match="Apply Math Operation: column 'weight' not in"):
        run("apply_math_operation", {"dataset": cars}, columns=["weight"])


# Clip Values

@pytest.mark.parametrize(("params", "clip"), [
    ({"upper_threshold": 20000}, lambda x: x.mask(x > 20000, 20000)),
    ({"set_of_thresholds": "clip_subpeaks", "lower_threshold": 8000,
      "substitute_value_for_subpeaks": "missing"}, lambda x: x.mask(x < 8000)),
    ({"set_of_thresholds": "clip_peaks_and_subpeaks", "threshold": "percentile",
      "upper_percentile": 90, "lower_percentile": 10, "substitute_value_for_peaks": "median",
      "substitute_value_for_subpeaks": "mean"},
     lambda x: x.mask(x > x.quantile(0.9), x.median()).mask(x < x.quantile(0.1), x.mean())),
])
def test_clip_values_matches_pandas(cars, params, clip):
    out = run("clip_values", {"dataset": cars}, columns=["price"],
              **params)["results_dataset"]
    assert_series_equal(out["price"], clip(cars["price"]))
    assert_frame_equal(out.drop(columns="price"), cars.drop(columns="price"))


def test_clip_values_can_append_and_flag(cars):
    out = run("clip_values", {"dataset": cars}, columns=["price", "horsepower"],
              upper_threshold=150, overwrite=False, add_indicator_columns=True)
    result = out["results_dataset"]
    names = ["price_clipped", "horsepower_clipped", "price_IsClipped", "horsepower_IsClipped"]
    assert list(result.columns) == [*cars.columns, *names]
    assert_series_equal(result["horsepower_clipped"], cars["horsepower"].clip(upper=150),
                        check_names=False)
    assert result["horsepower_IsClipped"].tolist() == (cars["horsepower"] > 150).tolist()
    assert result.loc[cars["price"].notna(), "price_IsClipped"].all()  # all above 150
    spec = REGISTRY["clip_values"]
    params = spec.resolve_params({"columns": ["price", "horsepower"], "overwrite": False,
                                  "add_indicator_columns": True})
    assert spec.columns({"dataset": list(cars.columns)}, params, None) == {
        "results_dataset": list(result.columns)}


def test_clip_values_refuses_crossed_thresholds(cars):
    with pytest.raises(ModuleError, match="Clip Values: the lower threshold \\(500\\) of column "
                                          "'price' is above its upper threshold \\(100\\)"):
        run("clip_values", {"dataset": cars}, columns=["price"], upper_threshold=100,
            lower_threshold=500, set_of_thresholds="clip_peaks_and_subpeaks")


def test_clip_values_refuses_a_percentile_above_100():
    with pytest.raises(ParamError, match="'upper_percentile' parameter of Clip Values"):
        REGISTRY["clip_values"].resolve_params({"columns": ["a"], "upper_percentile": 101})


# Convert to Indicator Values

def dummies(frame, columns):
    """pandas' get_dummies per column, plus "column-Missing" where the column has gaps."""
    parts = []
    for col in columns:
        parts.append(pd.get_dummies(frame[col], prefix=col, prefix_sep="-", dtype="int64"))
        if frame[col].isna().any():
            parts.append(frame[col].isna().astype("int64").rename(f"{col}-Missing"))
    return pd.concat(parts, axis=1)


@pytest.mark.parametrize("overwrite", [False, True])
def test_indicator_values_match_get_dummies(cars, overwrite):
    columns = ["body-style", "num-of-doors"]
    out = run("convert_to_indicator_values", {"dataset": cars}, columns=columns,
              overwrite_categorical_columns=overwrite)["results_dataset"]
    kept = cars.drop(columns=columns) if overwrite else cars
    assert_frame_equal(out, pd.concat([kept, dummies(cars, columns)], axis=1))
    assert "num-of-doors-Missing" in out.columns and "body-style-Missing" not in out.columns


def test_indicator_transformation_converts_new_data_alike(cars):
    learned = run("convert_to_indicator_values", {"dataset": cars.head(100)},
                  columns=["make"])["indicator_values_transformation"]
    applied = run("apply_transformation", {"transformation": learned,
                                           "dataset": cars.tail(105)})["transformed_dataset"]
    seen = sorted(cars["make"].head(100).unique())
    new = cars["make"].tail(105)
    expected = pd.DataFrame({f"make-{m}": (new == m).astype("int64") for m in seen})
    assert_frame_equal(applied[[f"make-{m}" for m in seen]], expected)
    unseen = ~cars["make"].tail(105).isin(seen)
    assert unseen.any() and (applied.loc[unseen, expected.columns] == 0).all().all()


def test_indicator_values_refuse_numeric_columns(cars):
    with pytest.raises(ModuleError, match="Convert to Indicator Values: column.*'price'.*not "
                                          "categorical"):
        run("convert_to_indicator_values", {"dataset": cars}, columns=["price"])


# Group Data into Bins

def test_quantile_bins_match_qcut(cars):
    out = run("group_data_into_bins", {"dataset": cars}, columns=NUMBERS, number_of_bins=4,
              quantile_normalization="quantile_index", tag_columns_as_categorical=False)
    result = out["quantized_dataset"]
    for col in NUMBERS:
        expected = pd.qcut(cars[col], 4, labels=False) + 1
        assert_series_equal(result[f"{col}_quantized"], expected.astype("float64"),
                            check_names=False)


@pytest.mark.parametrize(("normalization", "scale"), [("percent", 100.0), ("pquantile", 1.0)])
def test_quantile_normalizations(cars, normalization, scale):
    # Numeric categories come back from Parquet by the artifact store's reader only.
    out = run("group_data_into_bins", {"dataset": cars}, roundtrip=False, columns=["horsepower"],
              number_of_bins=5, quantile_normalization=normalization)["quantized_dataset"]
    expected = (pd.qcut(cars["horsepower"], 5, labels=False) / 4 * scale).astype("category")
    assert_series_equal(out["horsepower_quantized"], expected, check_names=False)


def test_equal_width_bins_match_cut(automobile):
    out = run("group_data_into_bins", {"dataset": automobile}, columns=["curb-weight"],
              binning_mode="equal_width", number_of_bins=6, output_mode="inplace",
              tag_columns_as_categorical=False)["quantized_dataset"]
    expected = pd.cut(automobile["curb-weight"], 6, labels=False) + 1
    assert_series_equal(out["curb-weight"], expected.astype("int64"))


def test_custom_edges_and_the_transformation_bin_new_data_alike(cars):
    out = run("group_data_into_bins", {"dataset": cars.head(100)}, columns=["price"],
              binning_mode="custom_edges", custom_edges="10000, 20000", output_mode="result_only",
              tag_columns_as_categorical=False)
    bins = [-np.inf, 10000, 20000, np.inf]
    expected = pd.cut(cars["price"].head(100), bins, labels=False) + 1
    assert_series_equal(out["quantized_dataset"]["price_quantized"], expected, check_names=False)
    applied = run("apply_transformation", {"transformation": out["binning_transformation"],
                                           "dataset": cars.tail(105)})["transformed_dataset"]
    assert_series_equal(applied["price_quantized"].reset_index(drop=True),
                        (pd.cut(cars["price"].tail(105), bins, labels=False) + 1)
                        .reset_index(drop=True), check_names=False)


def test_learned_quantile_edges_are_reused_on_new_data(cars):
    first = cars.head(120)
    out = run("group_data_into_bins", {"dataset": first}, columns=["horsepower"],
              number_of_bins=3, quantile_normalization="quantile_index",
              tag_columns_as_categorical=False)
    applied = run("apply_transformation", {"transformation": out["binning_transformation"],
                                           "dataset": cars.tail(85)})["transformed_dataset"]
    _, edges = pd.qcut(first["horsepower"], 3, retbins=True)
    edges[0], edges[-1] = -np.inf, np.inf
    expected = pd.cut(cars["horsepower"].tail(85), edges, labels=False) + 1
    assert_series_equal(applied["horsepower_quantized"], expected.astype("float64"),
                        check_names=False)


@pytest.mark.parametrize(("params", "message"), [
    ({"binning_mode": "custom_edges", "custom_edges": "5, 3"}, "custom_edges must be increasing"),
    ({"columns": ["make"]}, "'make' are not numeric"),
])
def test_group_data_into_bins_errors(cars, params, message):
    with pytest.raises(ModuleError, match=f"Group Data into Bins: .*{message}"):
        run("group_data_into_bins", {"dataset": cars}, **{"columns": ["price"], **params})
