"""Split Data: row fractions against sklearn, expressions against pandas filters."""

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from sklearn.model_selection import train_test_split

from app.engine.context import ModuleError
from app.engine.registry import REGISTRY
from tests.modules.test_transform import run


def split(df, **params):
    out = run("split_data", {"dataset": df}, **params)
    return out["results1"], out["results2"]


def reset(df):
    return df.reset_index(drop=True)


@pytest.fixture
def people():
    return pd.DataFrame({
        "age": [23, 41, 40, 67, np.nan, 52, 38, 19],
        "country": ["US", "DE", "US", "Canada", "US", None, "us", "USA"],
        "ok": [True, False, True, True, False, True, False, True],
        "when": pd.to_datetime(["2020-01-01", "2021-01-01", "2022-01-01", "2019-05-05",
                                "2020-06-01", "2023-01-01", "2018-01-01", "2024-01-01"]),
        "y": ["a", "b", "a", "b", "a", "b", "a", "b"],
    })


@pytest.mark.parametrize("fraction", [0.25, 0.5, 0.7])
@pytest.mark.parametrize("seed", [0, 42])
def test_split_rows_matches_sklearn(people, fraction, seed):
    first, second = split(people, fraction=fraction, seed=seed)
    a, b = train_test_split(people, train_size=fraction, random_state=seed, shuffle=True)
    assert_frame_equal(first, reset(a))
    assert_frame_equal(second, reset(b))


def test_split_rows_not_randomized_takes_first_rows(people):
    first, second = split(people, fraction=0.75, randomized=False, seed=3)
    assert_frame_equal(first, people.head(6))
    assert_frame_equal(second, reset(people.tail(2)))


@pytest.mark.parametrize(("fraction", "sizes"), [(0.0, (0, 8)), (1.0, (8, 0))])
def test_split_rows_edges_give_an_empty_side(people, fraction, sizes):
    first, second = split(people, fraction=fraction)
    assert (len(first), len(second)) == sizes
    assert list(first.columns) == list(second.columns) == list(people.columns)
    assert_frame_equal(pd.concat([first, second], ignore_index=True), people)


def test_split_rows_stratified(people):
    first, second = split(people, fraction=0.5, seed=1, stratified=True, stratify_column="y")
    a, b = train_test_split(people, train_size=0.5, random_state=1, stratify=people["y"])
    assert_frame_equal(first, reset(a))
    assert_frame_equal(second, reset(b))
    assert first["y"].value_counts().tolist() == [2, 2]


def test_split_rows_stratified_with_missing_values():
    df = pd.DataFrame({"g": ["a", None] * 10, "x": range(20)})
    first, second = split(df, fraction=0.5, stratified=True, stratify_column="g")
    assert first["g"].isna().sum() == second["g"].isna().sum() == 5


def test_split_rows_adult(adult):
    first, second = split(adult, fraction=0.7, seed=0)
    a, b = train_test_split(adult, train_size=0.7, random_state=0)
    assert (len(first), len(second)) == (22792, 9769)
    assert_frame_equal(first, reset(a))
    assert_frame_equal(second, reset(b))
    first, _ = split(adult, fraction=0.7, stratified=True, stratify_column="income")
    a, _ = train_test_split(adult, train_size=0.7, random_state=0, stratify=adult["income"])
    assert_frame_equal(first, reset(a))


@pytest.mark.parametrize(("params", "message"), [
    ({"stratified": True}, r"Split Data: stratified split needs a stratify_column"),
    ({"stratified": True, "stratify_column": "nope"},
     r"stratify column 'nope' not in the data set \(columns: age, country, ok, when, y\)"),
    ({"stratified": True, "stratify_column": "y", "randomized": False},
     r"a stratified split must be randomized"),
    ({"stratified": True, "stratify_column": "country"},
     r"cannot split 8 rows with fraction 0.5: The least populated class"),
    ({"fraction": 0.05}, r"cannot split 8 rows with fraction 0.05: .*train_size=0.05"),
])
def test_split_rows_errors(people, params, message):
    with pytest.raises(ModuleError, match=message):
        split(people, **params)


def test_split_fraction_out_of_range_is_a_param_error():
    with pytest.raises(ValueError, match=r"'fraction' parameter of Split Data must be a float "
                                         r"in the range \[0.0, 1.0\]. Got 1.5 instead."):
        REGISTRY["split_data"].resolve_params({"fraction": 1.5})


# Regular expressions

@pytest.mark.parametrize(("expression", "pattern", "column"), [
    ('\\"country" US', "US", "country"),
    ('\\"country" S', "S", "country"),
    ('\\"country" ^US$', "^US$", "country"),
    ('\\"country"^U', "^U", "country"),
    ('  \\"country"   (?i)^us  ', "(?i)^us", "country"),
    ('\\"age" ^4', "^4", "age"),
])
def test_split_regex(people, expression, pattern, column):
    first, second = split(people, mode="regular_expression", expression=expression)
    values = people[column]
    hit = values.notna() & values.map(str, na_action="ignore").str.contains(pattern, regex=True)
    assert_frame_equal(first, reset(people[hit.astype(bool)]))
    assert_frame_equal(second, reset(people[~hit.astype(bool)]))


def test_split_regex_adult_us(adult):
    first, second = split(adult, mode="regular_expression",
                          expression='\\"native-country" United-States')
    assert (len(first), len(second)) == (29170, 3391)
    us = adult["native-country"] == "United-States"
    assert_frame_equal(first, reset(adult[us]))
    assert_frame_equal(second, reset(adult[~us]))
    assert second["native-country"].isna().sum() == 583


@pytest.mark.parametrize(("expression", "message"), [
    ("", r"the regular expression mode needs an expression, e.g. \\\"native-country\" United"),
    ("US", r"cannot read the regular expression `US`: expected a column in the form "
           r"\\\"column name\" followed by a pattern"),
    ('\\"country"', r"the regular expression `\\\"country\"` has no pattern after \\\"country\""),
    ('\\"nation" US', r"Split Data: column 'nation' not in the data set"),
    ('\\"country" (US', r"invalid regular expression '\(US': missing \), unterminated"),
])
def test_split_regex_errors(people, expression, message):
    with pytest.raises(ModuleError, match=message):
        split(people, mode="regular_expression", expression=expression)


# Relative expressions

@pytest.mark.parametrize(("op", "compare"), [
    (">", lambda s, v: s > v), (">=", lambda s, v: s >= v), ("<", lambda s, v: s < v),
    ("<=", lambda s, v: s <= v), ("==", lambda s, v: s == v), ("=", lambda s, v: s == v),
    ("!=", lambda s, v: s != v), ("<>", lambda s, v: s != v),
])
def test_split_relative_operators(people, op, compare):
    first, second = split(people, mode="relative_expression", expression=f'\\"age" {op} 40')
    hit = compare(people["age"], 40) & people["age"].notna()
    assert_frame_equal(first, reset(people[hit]))
    assert_frame_equal(second, reset(people[~hit]))


@pytest.mark.parametrize(("expression", "mask"), [
    ('\\"age" > 40 & \\"age" < 60', lambda d: (d.age > 40) & (d.age < 60)),
    ('\\"age">=52|\\"age"<20', lambda d: (d.age >= 52) | (d.age < 20)),
    ('\\"age" < 30 | \\"age" > 60 & \\"ok" == false',
     lambda d: (d.age < 30) | ((d.age > 60) & ~d.ok)),
    ('(\\"age" < 30 | \\"age" > 60) && \\"ok" == true',
     lambda d: ((d.age < 30) | (d.age > 60)) & d.ok),
    ('\\"country" == US', lambda d: d.country == "US"),
    ('\\"country" == "us"', lambda d: d.country == "us"),
    ("\\\"country\" != 'US' || \\\"age\" > 60", lambda d: (d.country != "US") & d.country.notna()
     | (d.age > 60)),
    ('\\"country" >= U', lambda d: d.country >= "U"),
    ('\\"when" < 2020-06-01', lambda d: d.when < pd.Timestamp("2020-06-01")),
    ('\\"age" > -1.5e1', lambda d: d.age > -15),
])
def test_split_relative_combinations(people, expression, mask):
    hit = mask(people).fillna(False).astype(bool)
    first, second = split(people, mode="relative_expression", expression=expression)
    assert_frame_equal(first, reset(people[hit]))
    assert_frame_equal(second, reset(people[~hit]))


def test_split_relative_categorical_column(people):
    df = people.assign(country=people["country"].astype("category"))
    first, _ = split(df, mode="relative_expression", expression='\\"country" == US')
    assert_frame_equal(first, reset(df[df["country"] == "US"]))


def test_split_relative_adult(adult):
    first, second = split(adult, mode="relative_expression", expression='\\"age" > 40')
    assert_frame_equal(first, reset(adult[adult["age"] > 40]))
    assert_frame_equal(second, reset(adult[adult["age"] <= 40]))
    assert len(first) + len(second) == 32561
    first, _ = split(adult, mode="relative_expression",
                     expression='\\"age" > 40 & \\"native-country" != United-States')
    expected = adult[(adult["age"] > 40) & (adult["native-country"] != "United-States")
                     & adult["native-country"].notna()]
    assert_frame_equal(first, reset(expected))


@pytest.mark.parametrize(("expression", "message"), [
    ("", r"the relative expression mode needs an expression, e.g. \\\"age\" > 40"),
    ('\\"age" >', r"relative expression `\\\"age\" >` at position 9: expected a value after >, "
                  r"found the end of the expression \(form: \\\"age\" > 40, joined by & or \|\)"),
    ("age > 40", r"at position 1: expected a column in the form \\\"name\", found 'age'"),
    ('\\"age" 40', r"at position 8: expected an operator \(>, >=, <, <=, ==, !=\), found '40'"),
    ('\\"age" > 40 50', r"at position 13: expected & or \| or the end of the expression"),
    ('(\\"age" > 40', r"expected '\)', found the end of the expression"),
    ('\\"age" ! 40', r"at position 8: found an unexpected character '!'"),
    ('\\"age" > 40 &', r"expected a column in the form .* found the end of the expression"),
    ('\\"age" > forty', r"in `\\\"age\" > forty`, 'forty' cannot be compared with column 'age' "
                        r"of type float64"),
    ('\\"ok" == maybe', r"'maybe' cannot be compared with column 'ok' of type bool"),
    ('\\"when" > someday', r"'someday' cannot be compared with column 'when'"),
    ('\\"height" > 3', r"Split Data: column 'height' not in the data set"),
])
def test_split_relative_errors(people, expression, message):
    with pytest.raises(ModuleError, match=message):
        split(people, mode="relative_expression", expression=expression)
