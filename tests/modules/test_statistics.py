"""Filter Based Feature Selection, Summarize Data and Compute Linear Correlation against
scipy / scikit-learn / numpy on the real Automobile and Adult data."""

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from scipy import stats
from sklearn.metrics import mutual_info_score

from app.engine.context import ModuleError
from app.engine.registry import REGISTRY
from app.engine.spec import ParamError
from tests.modules.test_transform import run

NUMBERS = ["wheel-base", "length", "width", "curb-weight", "engine-size", "horsepower",
           "city-mpg", "price"]


@pytest.fixture
def cars(automobile):
    return automobile[["make", "fuel-type", *NUMBERS]]


def expected_correlation(x: pd.Series, y: pd.Series, method: str) -> float:
    both = x.notna() & y.notna()
    test = {"pearson": stats.pearsonr, "spearman": stats.spearmanr,
            "kendall": stats.kendalltau}[method]
    return abs(test(x[both], y[both])[0])


@pytest.mark.parametrize("method", ["pearson", "spearman", "kendall"])
def test_correlation_scores_match_scipy(cars, method):
    out = run("filter_based_feature_selection", {"dataset": cars}, target_column="price",
              feature_scoring_method=f"{method}_correlation", number_of_desired_features=3)
    features = out["features"]
    expected = {c: expected_correlation(cars[c], cars["price"], method)
                for c in NUMBERS if c != "price"}
    assert sorted(features["Feature"]) == sorted(expected)  # text columns are not scored
    for name, score in zip(features["Feature"], features["Score"], strict=True):
        assert score == pytest.approx(expected[name], rel=1e-12)
    best = sorted(expected, key=expected.get, reverse=True)[:3]
    assert list(features["Feature"][:3]) == best
    assert_frame_equal(out["filtered_dataset"], cars[["price", *best]])


@pytest.mark.parametrize("method", ["pearson", "kendall"])
def test_a_categorical_target_correlates_with_the_features_means_per_value(adult, method):
    data = adult[["age", "hours-per-week", "education-num", "workclass", "income"]].head(3000)
    out = run("filter_based_feature_selection", {"dataset": data}, target_column="income",
              feature_scoring_method=f"{method}_correlation", number_of_desired_features=2)
    scores = dict(zip(out["features"]["Feature"], out["features"]["Score"], strict=True))
    assert sorted(scores) == ["age", "education-num", "hours-per-week"]
    for col in scores:
        means = data.groupby("income")[col].transform("mean")
        assert scores[col] == pytest.approx(expected_correlation(data[col], means, method))


def test_chi_squared_matches_scipy_on_adult(adult):
    data = adult[["workclass", "education", "sex", "race", "income"]]
    out = run("filter_based_feature_selection", {"dataset": data}, target_column="income",
              feature_scoring_method="chi_squared", number_of_desired_features=2)
    scores = dict(zip(out["features"]["Feature"], out["features"]["Score"], strict=True))
    for col in ["workclass", "education", "sex", "race"]:
        table = pd.crosstab(data[col].fillna("(missing)"), data["income"])
        expected = stats.chi2_contingency(table, correction=False)[0]
        assert scores[col] == pytest.approx(expected, rel=1e-9)
    assert list(out["filtered_dataset"].columns) == ["income", "education", "sex"]


def test_mutual_information_matches_scikit_learn(adult):
    data = adult[["occupation", "relationship", "age", "income"]]
    out = run("filter_based_feature_selection", {"dataset": data}, target_column="income",
              feature_scoring_method="mutual_information", number_of_desired_features=1)
    scores = dict(zip(out["features"]["Feature"], out["features"]["Score"], strict=True))
    for col in ["occupation", "relationship", "age"]:
        expected = mutual_info_score(data["income"], data[col].fillna("(missing)").astype(str))
        assert scores[col] == pytest.approx(expected, rel=1e-9)
    assert list(out["filtered_dataset"].columns) == ["income", "relationship"]


def test_feature_selection_errors_name_the_column(cars):
    with pytest.raises(ModuleError, match="Filter Based Feature Selection: target column 'cost' "
                                          "not in"):
        run("filter_based_feature_selection", {"dataset": cars}, target_column="cost")
    with pytest.raises(ParamError, match="'number_of_desired_features' parameter of Filter Based "
                                         "Feature Selection must be an int"):
        REGISTRY["filter_based_feature_selection"].resolve_params(
            {"target_column": "price", "number_of_desired_features": 0})


def test_summarize_data_matches_numpy_and_scipy(automobile):
    out = run("summarize_data", {"dataset": automobile})["result_dataset"]
    assert list(out["Feature"]) == list(automobile.columns)
    rows = out.set_index("Feature")
    price = automobile["price"].dropna().to_numpy()
    row = rows.loc["price"]
    assert row["Count"] == 205 and row["Missing Value Count"] == 4
    assert row["Unique Value Count"] == len(np.unique(price))
    assert row["Mean"] == pytest.approx(np.mean(price))
    assert row["Mean Deviation"] == pytest.approx(np.mean(np.abs(price - price.mean())))
    assert row["Sample Variance"] == pytest.approx(np.var(price, ddof=1))
    assert row["Sample Standard Deviation"] == pytest.approx(np.std(price, ddof=1))
    assert row["Sample Skewness"] == pytest.approx(stats.skew(price, bias=False))
    assert row["Sample Kurtosis"] == pytest.approx(stats.kurtosis(price, bias=False))
    assert row["Range"] == price.max() - price.min()
    for name, q in [("1st Quartile", 25), ("Median", 50), ("P0.5", 0.5), ("P99.5", 99.5)]:
        assert row[name] == pytest.approx(np.percentile(price, q))
    assert row["Mode"] == pd.Series(price).mode().iloc[0]
    make = rows.loc["make"]
    assert make["Count"] == 205 and make["Unique Value Count"] == 22
    assert np.isnan(make["Mean"]) and np.isnan(make["Mode"])
    assert REGISTRY["summarize_data"].columns({}, {}, None) == {
        "result_dataset": list(out.columns)}


def test_linear_correlation_matches_numpy(cars):
    complete = cars.dropna()
    out = run("compute_linear_correlation", {"dataset": complete})["correlation_matrix"]
    assert list(out.columns) == ["Column", *NUMBERS] and list(out["Column"]) == NUMBERS
    expected = np.corrcoef(complete[NUMBERS].to_numpy(dtype="float64"), rowvar=False)
    np.testing.assert_allclose(out[NUMBERS].to_numpy(), expected, rtol=1e-12)


def test_linear_correlation_uses_pairwise_complete_rows(cars):
    out = run("compute_linear_correlation", {"dataset": cars})["correlation_matrix"]
    row = out.set_index("Column").loc["horsepower", "price"]
    assert row == pytest.approx(expected_correlation(cars["horsepower"], cars["price"],
                                                     "pearson"))


def test_linear_correlation_needs_a_numeric_column(cars):
    with pytest.raises(ModuleError, match="Compute Linear Correlation: .*no numeric column"):
        run("compute_linear_correlation", {"dataset": cars[["make"]]})
