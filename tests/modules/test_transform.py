"""Select Columns, Clean Missing Data, Edit Metadata and Normalize Data against pandas."""

import io

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal
from scipy import stats

from app.engine.context import ModuleError, StepContext
from app.engine.datastores import Datastores
from app.engine.registry import REGISTRY


def run(name, inputs, roundtrip=True, **params):
    """Call a module exactly as the engine does; check every data set output survives
    Parquet."""
    spec = REGISTRY[name]
    out = spec.call(inputs, spec.resolve_params(params),
                    ctx=StepContext("n1", datastores=Datastores({})))
    frames = [v for v in out.values() if isinstance(v, pd.DataFrame)]
    for value in frames if roundtrip else ():
        buffer = io.BytesIO()
        value.to_parquet(buffer)
        assert_frame_equal(pd.read_parquet(buffer), value)
    return out


@pytest.fixture
def frame():
    return pd.DataFrame({
        "age": [25, 40, 61, 33],
        "income": [1.5, np.nan, 3.0, 4.5],
        "city": ["Oslo", None, "Rome", "Oslo"],
        "flag": [True, False, True, True],
        "when": pd.to_datetime(["2020-01-01", "2021-06-01", "2022-01-01", "2023-03-03"]),
        "grade": pd.Categorical(["a", "b", "a", None]),
    })


# Select Columns in Dataset

@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["age", "income", "city", "flag", "when", "grade"]),
    ({"columns": "city, age"}, ["age", "city"]),
    ({"columns": ["flag"], "column_type": "numeric"}, ["age", "income", "flag"]),
    ({"column_type": "numeric"}, ["age", "income"]),
    ({"column_type": "string"}, ["city"]),
    ({"column_type": "boolean"}, ["flag"]),
    ({"column_type": "datetime"}, ["when"]),
    ({"column_type": "categorical"}, ["city", "grade"]),
    ({"mode": "exclude", "columns": "age,when"}, ["income", "city", "flag", "grade"]),
    ({"mode": "exclude", "column_type": "numeric"}, ["city", "flag", "when", "grade"]),
    ({"mode": "exclude", "columns": "city", "column_type": "boolean"},
     ["age", "income", "when", "grade"]),
    ({"mode": "exclude"}, ["age", "income", "city", "flag", "when", "grade"]),
])
def test_select_columns_by_name_and_type(frame, params, expected):
    out = run("select_columns", {"dataset": frame}, **params)["dataset"]
    assert_frame_equal(out, frame[expected])


def test_select_columns_unknown_names_listed(frame):
    with pytest.raises(ModuleError, match=r"'incme', 'zip' not in the data set "
                                          r"\(columns: age, income, city, flag, when, grade\)"):
        run("select_columns", {"dataset": frame}, columns="incme,age,zip")


def test_select_columns_adult(adult):
    out = run("select_columns", {"dataset": adult}, column_type="categorical")["dataset"]
    numeric = list(adult.select_dtypes("number").columns)
    assert_frame_equal(out, adult[[c for c in adult.columns if c not in numeric]])
    assert list(out.columns) == ["workclass", "education", "marital-status", "occupation",
                                 "relationship", "race", "sex", "native-country", "income"]
    out = run("select_columns", {"dataset": adult}, mode="exclude", columns="income",
              column_type="numeric")["dataset"]
    assert_frame_equal(out, adult.drop(columns=["income", *numeric]))


# Clean Missing Data

@pytest.mark.parametrize(("mode", "fill"), [
    ("mean", lambda s: s.fillna(s.mean())),
    ("median", lambda s: s.fillna(s.median())),
    ("mode", lambda s: s.fillna(s.mode()[0])),
    ("custom_substitution_value", lambda s: s.fillna(7.25)),
])
def test_clean_missing_numeric(mode, fill):
    df = pd.DataFrame({"x": [1.0, np.nan, 4.0, 4.0, np.nan], "y": [1, 2, 3, 4, 5]})
    out = run("clean_missing_data", {"dataset": df}, columns="x", mode=mode,
              replacement_value="7.25")["cleaned_dataset"]
    assert_frame_equal(out, df.assign(x=fill(df["x"])))


def test_clean_missing_custom_value_takes_column_type(frame):
    df = pd.DataFrame({
        "n": [1.0, None], "s": ["a", None], "i": pd.array([1, None], dtype="Int64"),
        "b": pd.array([True, None], dtype="boolean"),
        "d": pd.to_datetime(["2020-01-01", None]), "c": pd.Categorical(["u", None]),
    })
    out = run("clean_missing_data", {"dataset": df[["n", "s", "i"]]})["cleaned_dataset"]
    expected = pd.DataFrame({"n": [1.0, 0.0], "s": ["a", "0"],
                             "i": pd.array([1, 0], dtype="Int64")})
    assert_frame_equal(out, expected)
    assert out["n"].iloc[1] == 0
    out = run("clean_missing_data", {"dataset": df}, columns="b", replacement_value="false")
    assert out["cleaned_dataset"]["b"].tolist() == [True, False]
    out = run("clean_missing_data", {"dataset": df}, columns="d,c", replacement_value="2024-05-01")
    cleaned = out["cleaned_dataset"]
    assert cleaned["d"].tolist() == pd.to_datetime(["2020-01-01", "2024-05-01"]).tolist()
    assert cleaned["c"].tolist() == ["u", "2024-05-01"]
    assert isinstance(cleaned["c"].dtype, pd.CategoricalDtype)


@pytest.mark.parametrize(("column", "value", "message"), [
    ("n", "abc", r"replacement value 'abc' does not fit column 'n' of type float64"),
    ("i", "1.5", r"replacement value '1.5' does not fit column 'i' of type Int64"),
    ("b", "maybe", r"replacement value 'maybe' does not fit column 'b' of type boolean"),
    ("d", "someday", r"replacement value 'someday' does not fit column 'd'"),
])
def test_clean_missing_bad_replacement(column, value, message):
    df = pd.DataFrame({
        "n": [1.0, None], "i": pd.array([1, None], dtype="Int64"),
        "b": pd.array([True, None], dtype="boolean"), "d": pd.to_datetime(["2020-01-01", None]),
    })
    with pytest.raises(ModuleError, match=message):
        run("clean_missing_data", {"dataset": df}, columns=column, replacement_value=value)


def test_clean_missing_ratio_window_and_indicator():
    df = pd.DataFrame({
        "a": [np.nan, 1.0, 2.0, 3.0],           # 25 % missing
        "b": [np.nan, np.nan, np.nan, 3.0],     # 75 % missing
        "c": [1.0, 2.0, 3.0, 4.0],              # none missing
    })
    out = run("clean_missing_data", {"dataset": df}, min_missing_ratio=0.2,
              max_missing_ratio=0.5, replacement_value="-1",
              generate_indicator=True)["cleaned_dataset"]
    expected = df.assign(a=df["a"].fillna(-1.0), a_IsMissing=df["a"].isna())
    assert_frame_equal(out, expected)
    out = run("clean_missing_data", {"dataset": df}, generate_indicator=True)["cleaned_dataset"]
    assert list(out.columns) == ["a", "b", "c", "a_IsMissing", "b_IsMissing", "c_IsMissing"]
    assert_frame_equal(out[["a", "b", "c"]], df.fillna(0.0))
    assert out["b_IsMissing"].tolist() == [True, True, True, False]


def test_clean_missing_remove_rows_and_columns():
    df = pd.DataFrame({"a": [np.nan, 1.0, 2.0, 3.0], "b": [np.nan, np.nan, 5.0, 6.0],
                       "c": ["x", None, "y", "z"]})
    out = run("clean_missing_data", {"dataset": df}, mode="remove_entire_row")["cleaned_dataset"]
    assert_frame_equal(out, df.dropna().reset_index(drop=True))
    out = run("clean_missing_data", {"dataset": df}, mode="remove_entire_row",
              columns="a")["cleaned_dataset"]
    assert_frame_equal(out, df.dropna(subset=["a"]).reset_index(drop=True))
    out = run("clean_missing_data", {"dataset": df}, mode="remove_entire_row",
              max_missing_ratio=0.3)["cleaned_dataset"]
    assert_frame_equal(out, df.dropna(subset=["a", "c"]).reset_index(drop=True))
    out = run("clean_missing_data", {"dataset": df}, mode="remove_entire_column",
              min_missing_ratio=0.5)["cleaned_dataset"]
    assert_frame_equal(out, df.drop(columns=["b"]))
    # Every column has a missing value: nothing is left (Parquet drops the row count).
    out = run("clean_missing_data", {"dataset": df}, roundtrip=False, mode="remove_entire_column")
    assert list(out["cleaned_dataset"].columns) == []


@pytest.mark.parametrize(("params", "message"), [
    ({"mode": "mean"}, r"the mean needs numeric columns; column\(s\) 'c' are not numeric"),
    ({"mode": "median", "columns": "c,a"}, r"median needs numeric columns; column\(s\) 'c'"),
    ({"min_missing_ratio": 0.8, "max_missing_ratio": 0.2},
     r"min_missing_ratio \(0.8\) is greater than max_missing_ratio \(0.2\)"),
    ({"columns": "a,nope"}, r"Clean Missing Data: column 'nope' not in the data set"),
    ({"mode": "mode", "columns": "e"}, r"column 'e' has no values to compute the mode from"),
    ({"columns": "a", "generate_indicator": True}, r"indicator column\(s\) 'a_IsMissing' exist"),
])
def test_clean_missing_errors(params, message):
    df = pd.DataFrame({"a": [np.nan, 1.0], "c": ["x", None], "e": [np.nan, np.nan],
                       "a_IsMissing": [1, 2]})
    with pytest.raises(ModuleError, match=message):
        run("clean_missing_data", {"dataset": df}, **params)


def test_clean_missing_ratio_out_of_range_is_a_param_error():
    with pytest.raises(ValueError, match=r"'max_missing_ratio' parameter of Clean Missing Data "
                                         r"must be a float in the range \[0.0, 1.0\]"):
        REGISTRY["clean_missing_data"].resolve_params({"max_missing_ratio": 1.5})


@pytest.mark.parametrize("mode", ["mode", "custom_substitution_value"])
def test_clean_missing_adult(adult, mode):
    cols = ["workclass", "occupation", "native-country"]
    out = run("clean_missing_data", {"dataset": adult}, columns=cols, mode=mode,
              replacement_value="Unknown")["cleaned_dataset"]
    assert adult[cols].isna().sum().tolist() == [1836, 1843, 583]
    assert out.isna().sum().sum() == 0
    for c in cols:
        fill = adult[c].mode()[0] if mode == "mode" else "Unknown"
        assert_series_equal(out[c], adult[c].fillna(fill))
    assert_frame_equal(out.drop(columns=cols), adult.drop(columns=cols))


def test_clean_missing_adult_remove_rows(adult):
    out = run("clean_missing_data", {"dataset": adult}, mode="remove_entire_row")
    assert_frame_equal(out["cleaned_dataset"], adult.dropna().reset_index(drop=True))
    assert len(out["cleaned_dataset"]) == 30162


# Edit Metadata

def test_edit_metadata_types():
    df = pd.DataFrame({"n": ["1", "2", None], "f": ["1.5", "x2", "3"], "b": ["yes", "no", "true"],
                       "d": ["2020-01-02", "2021/03/04", None], "i": [1, 2, 3]})
    out = run("edit_metadata", {"dataset": df}, columns="n", data_type="integer")["dataset"]
    assert_series_equal(out["n"], pd.to_numeric(df["n"]).astype("Int64"))
    out = run("edit_metadata", {"dataset": df}, columns="i", data_type="float")["dataset"]
    assert_series_equal(out["i"], df["i"].astype("float64"))
    out = run("edit_metadata", {"dataset": df}, columns="i", data_type="string")["dataset"]
    assert_series_equal(out["i"], df["i"].astype("str"))
    out = run("edit_metadata", {"dataset": df}, columns="b", data_type="boolean")["dataset"]
    assert_series_equal(out["b"], pd.Series([True, False, True], name="b"))
    out = run("edit_metadata", {"dataset": df}, columns="d", data_type="datetime")["dataset"]
    assert out["d"].tolist()[:2] == [pd.Timestamp("2020-01-02"), pd.Timestamp("2021-03-04")]
    assert pd.isna(out["d"].iloc[2])
    out = run("edit_metadata", {"dataset": df[["n"]].fillna("3")}, columns="n",
              data_type="integer")["dataset"]
    assert out["n"].dtype == "int64"


def test_edit_metadata_categorical_and_rename():
    df = pd.DataFrame({"a": ["x", "y", "x"], "b": [1, 2, 3], "c": [0.5, 0.1, 0.2]})
    # pyarrow reads integer categoricals back as plain integers: the artifact store must
    # restore them from the pandas metadata, so this output is not round-tripped here.
    out = run("edit_metadata", {"dataset": df}, roundtrip=False, columns="a,b",
              categorical="make_categorical", new_names="letter, number")["dataset"]
    expected = pd.DataFrame({"letter": df["a"].astype("category"),
                             "number": df["b"].astype("category"), "c": df["c"]})
    assert_frame_equal(out, expected)
    back = run("edit_metadata", {"dataset": out}, columns="letter,number",
               categorical="make_non_categorical")["dataset"]
    assert_frame_equal(back, df.rename(columns={"a": "letter", "b": "number"}))
    out = run("edit_metadata", {"dataset": df}, columns="b", data_type="string",
              categorical="make_categorical")["dataset"]
    assert out["b"].tolist() == ["1", "2", "3"]
    assert isinstance(out["b"].dtype, pd.CategoricalDtype)
    assert list(REGISTRY["select_columns"].call(
        {"dataset": out}, REGISTRY["select_columns"].resolve_params(
            {"mode": "exclude", "column_type": "categorical"}))["dataset"].columns) == ["c"]


@pytest.mark.parametrize(("params", "message"), [
    ({"columns": "f", "data_type": "float"},
     r"column 'f' cannot be converted to float: 1 value\(s\) such as 'x2' do not fit"),
    ({"columns": "g", "data_type": "integer"},
     r"column 'g' cannot be converted to integer: 1 value\(s\) such as 2.5 do not fit"),
    ({"columns": "f", "data_type": "boolean"}, r"column 'f' cannot be converted to boolean"),
    ({"columns": "f", "data_type": "datetime"},
     r"'f' cannot be converted to datetime: 3 value\(s\) such as '1.5'"),
    ({"columns": "f,g", "new_names": "one"},
     r"new_names gives 1 name\(s\) for 2 column\(s\) \(f, g\)"),
    ({"columns": "f,g", "new_names": "one,"}, r"new_names gives 2 name\(s\) for 2 column"),
    ({"columns": "f", "new_names": "g"}, r"renaming would duplicate column\(s\) g"),
    ({"columns": "zz"}, r"Edit Metadata: column 'zz' not in the data set"),
])
def test_edit_metadata_errors(params, message):
    df = pd.DataFrame({"f": ["1.5", "x2", "3"], "g": [1.0, 2.5, 3.0]})
    with pytest.raises(ModuleError, match=message):
        run("edit_metadata", {"dataset": df}, **params)


def test_edit_metadata_requires_columns():
    with pytest.raises(ValueError, match=r"'columns' parameter of Edit Metadata is required"):
        REGISTRY["edit_metadata"].resolve_params({})


# Normalize Data

def _logn_cdf(s):
    logs = np.log(s)
    return pd.Series(stats.lognorm.cdf(s, logs.std(ddof=0), scale=np.exp(logs.mean())),
                     index=s.index, name=s.name)


FORMULAS = {
    "zscore": lambda s: (s - s.mean()) / s.std(ddof=0),
    "minmax": lambda s: (s - s.min()) / (s.max() - s.min()),
    "logistic": lambda s: 1 / (1 + np.exp(-s)),
    "tanh": np.tanh,
    "lognormal": _logn_cdf,
}


@pytest.mark.parametrize("how", list(FORMULAS))
def test_normalize_formulas(how):
    df = pd.DataFrame({"a": [1, 2, 3, 10], "b": [0.5, np.nan, 2.5, 4.0], "s": list("wxyz"),
                       "k": [3, 3, 3, 3]})
    out = run("normalize_data", {"dataset": df}, transformation=how)["transformed_dataset"]
    for col in ("a", "b"):
        assert_series_equal(out[col], FORMULAS[how](df[col].astype(float)))
    assert np.isnan(out["b"].iloc[1])
    assert out["k"].tolist() == [0.0] * 4
    assert_series_equal(out["s"], df["s"])
    out = run("normalize_data", {"dataset": df}, transformation=how, columns="a,k",
              use_zero_for_constant=False)["transformed_dataset"]
    assert_series_equal(out["b"], df["b"])
    if how in ("logistic", "tanh"):
        assert_series_equal(out["k"], FORMULAS[how](df["k"].astype(float)))
    else:
        assert out["k"].isna().all()


def test_normalize_logistic_has_no_overflow():
    df = pd.DataFrame({"x": [-1000.0, 0.0, 1000.0]})
    out = run("normalize_data", {"dataset": df}, transformation="logistic")
    assert out["transformed_dataset"]["x"].tolist() == [0.0, 0.5, 1.0]


@pytest.mark.parametrize(("params", "message"), [
    ({"columns": "a,s"}, r"column\(s\) 's' are not numeric; only numeric columns"),
    ({"columns": "a,q"}, r"Normalize Data: column 'q' not in the data set"),
    ({"transformation": "lognormal", "columns": "a"},
     r"lognormal needs positive values; column 'a' has 1 value\(s\) <= 0"),
])
def test_normalize_errors(params, message):
    df = pd.DataFrame({"a": [0.0, 1.0, 2.0], "s": ["x", "y", "z"]})
    with pytest.raises(ModuleError, match=message):
        run("normalize_data", {"dataset": df}, **params)


def test_normalize_adult(adult):
    out = run("normalize_data", {"dataset": adult}, transformation="minmax")
    result = out["transformed_dataset"]
    numeric = adult.select_dtypes("number").columns
    assert len(numeric) == 6
    expected = adult.copy()
    for c in numeric:
        x = adult[c].astype(float)
        expected[c] = (x - x.min()) / (x.max() - x.min())
    assert_frame_equal(result, expected)
    z = run("normalize_data", {"dataset": adult}, columns="age,hours-per-week")
    z = z["transformed_dataset"][["age", "hours-per-week"]]
    assert np.allclose(z.mean(), 0.0) and np.allclose(z.std(ddof=0), 1.0)
