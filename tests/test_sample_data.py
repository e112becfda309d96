"""The shipped sample data: reproducible from its script, shaped like UCI Adult, learnable."""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.datasets import load_diabetes
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

SAMPLES = Path(__file__).resolve().parents[1] / "sample_data"
FILES = ["income/us.csv", "income/non_us.csv", "diabetes/diabetes.csv",
         "automobile/automobile.csv", "iris/iris.csv"]
HEADER = (
    "age,workclass,fnlwgt,education,education-num,marital-status,occupation,relationship,"
    "race,sex,capital-gain,capital-loss,hours-per-week,native-country,income"
)
EDUCATION_NUM = {
    "Preschool": 1, "1st-4th": 2, "5th-6th": 3, "7th-8th": 4, "9th": 5, "10th": 6, "11th": 7,
    "12th": 8, "HS-grad": 9, "Some-college": 10, "Assoc-voc": 11, "Assoc-acdm": 12,
    "Bachelors": 13, "Masters": 14, "Prof-school": 15, "Doctorate": 16,
}
CATEGORICAL = [
    "workclass", "education", "marital-status", "occupation", "relationship", "race", "sex",
    "native-country",
]


def _load_generator():
    """Import sample_data/generate.py, which is a script rather than a package module."""
    spec = importlib.util.spec_from_file_location("sample_data_generate", SAMPLES / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _positive_rate(df: pd.DataFrame) -> float:
    """Share of rows earning more than 50K."""
    return float((df["income"] == ">50K").mean())


@pytest.fixture(scope="module")
def us() -> pd.DataFrame:
    """The US income sample."""
    return pd.read_csv(SAMPLES / "income" / "us.csv")


@pytest.fixture(scope="module")
def non_us() -> pd.DataFrame:
    """The non-US income sample."""
    return pd.read_csv(SAMPLES / "income" / "non_us.csv")


def test_regenerating_gives_identical_bytes(tmp_path):
    """Running the seeded script again reproduces every committed file byte for byte."""
    _load_generator().generate(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name


@pytest.mark.parametrize("name", FILES)
def test_files_are_small_plain_csv(name):
    """Each file is under 400 KB, with Unix line endings, no index and no spaces after commas."""
    data = (SAMPLES / name).read_bytes()
    assert len(data) < 400_000
    assert b"\r" not in data
    assert b", " not in data
    assert not data.splitlines()[0].startswith(b",")


@pytest.mark.parametrize("name, rows", [("us.csv", 3000), ("non_us.csv", 1000)])
def test_income_header_and_size(name, rows):
    """The income files have exactly the UCI Adult header and the promised row counts."""
    text = (SAMPLES / "income" / name).read_text()
    lines = text.splitlines()
    assert lines[0] == HEADER
    assert len(lines) - 1 == rows


@pytest.mark.parametrize("which", ["us", "non_us"])
def test_income_values_are_plausible(which, request):
    """Labels, ranges and cross-column consistency look like census data."""
    df = request.getfixturevalue(which)
    assert set(df["income"]) == {"<=50K", ">50K"}
    assert df["age"].between(17, 90).all()
    assert df["hours-per-week"].between(1, 99).all()
    assert (df["education"].map(EDUCATION_NUM) == df["education-num"]).all()
    assert (df.loc[df["relationship"] == "Husband", "sex"] == "Male").all()
    assert (df.loc[df["relationship"] == "Wife", "sex"] == "Female").all()
    married = df["marital-status"].isin(["Married-civ-spouse", "Married-AF-spouse"])
    assert df.loc[married, "relationship"].isin(["Husband", "Wife"]).mean() > 0.95
    assert 0.85 < (df["capital-gain"] == 0).mean() < 0.97
    assert not ((df["capital-gain"] > 0) & (df["capital-loss"] > 0)).any()
    assert 30 < df["age"].median() < 45


def test_countries_split_between_files(us, non_us):
    """us.csv holds only United-States (or blank); non_us.csv holds other countries."""
    assert set(us["native-country"].dropna()) == {"United-States"}
    countries = set(non_us["native-country"].dropna())
    assert "United-States" not in countries
    assert {"Mexico", "Philippines", "Germany", "Canada", "India"} <= countries


@pytest.mark.parametrize("which", ["us", "non_us"])
@pytest.mark.parametrize(
    "column, low, high",
    [("workclass", 0.035, 0.08), ("occupation", 0.035, 0.08), ("native-country", 0.005, 0.035)],
)
def test_missing_rates(which, column, low, high, request):
    """Only workclass, occupation and native-country have blanks, near the real rates."""
    df = request.getfixturevalue(which)
    assert low < df[column].isna().mean() < high
    others = df.drop(columns=["workclass", "occupation", "native-country"])
    assert not others.isna().any().any()


def test_categories_come_from_the_adult_description(us, non_us, shared_data):
    """Every category value is one listed in adult.names."""
    listed = {}
    for line in (shared_data / "adult.names").read_text().splitlines():
        name, sep, values = line.partition(":")
        if sep and values.strip() != "continuous." and name in CATEGORICAL:
            listed[name] = {v.strip() for v in values.strip().rstrip(".").split(",")}
    assert set(listed) == set(CATEGORICAL)
    for df in (us, non_us):
        for column, values in listed.items():
            assert set(df[column].dropna()) <= values, column


def test_no_row_is_copied_from_the_real_data(us, non_us, adult):
    """The synthetic rows share no complete row with the real Adult training split."""
    both = pd.concat([us, non_us])
    common = both.merge(adult, on=list(both.columns))
    assert common.empty


def test_boosted_trees_learn_us_income(us):
    """Boosted trees on a 70/30 split of us.csv reach a test AUC above 0.8."""
    X, y = us.drop(columns="income"), (us["income"] == ">50K").astype(int)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y)
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_exclude="number")),
        remainder="passthrough", sparse_threshold=0,
    )
    model = make_pipeline(encode, HistGradientBoostingClassifier(random_state=0))
    model.fit(X_train, y_train)
    assert roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]) > 0.8


def test_positive_rates_differ(us, non_us):
    """US has about 24% positives and non-US at least 3 points fewer."""
    assert 0.2 < _positive_rate(us) < 0.28
    assert _positive_rate(us) - _positive_rate(non_us) >= 0.03


def test_diabetes_matches_scikit_learn():
    """diabetes.csv is scikit-learn's unscaled diabetes data with a target column."""
    df = pd.read_csv(SAMPLES / "diabetes" / "diabetes.csv")
    expected = load_diabetes(as_frame=True, scaled=False).frame
    assert list(df.columns) == ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6",
                                "target"]
    assert df.shape == (442, 11)
    np.testing.assert_allclose(df.to_numpy(dtype=float), expected.to_numpy(dtype=float))
