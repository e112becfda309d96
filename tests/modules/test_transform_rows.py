"""Add Columns, Add Rows, Remove Duplicate Rows, Partition and Sample, Select Columns
Transform and Convert to CSV against plain pandas / scikit-learn on the same data and seed."""

import io

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from sklearn.model_selection import KFold, StratifiedKFold

from app.engine.context import ModuleError
from app.engine.registry import REGISTRY
from app.engine.spec import ParamError
from tests.modules.test_transform import run


@pytest.fixture
def cars(automobile):
    return automobile[["make", "body-style", "horsepower", "price"]]


# Add Columns

def test_add_columns_puts_the_right_columns_beside_the_left(cars):
    left, right = cars.iloc[:, :2], cars.iloc[:, 1:]
    out = run("add_columns", {"left_dataset": left, "right_dataset": right})["combined_dataset"]
    expected = pd.concat([left.rename(columns={"body-style": "body-style_1"}),
                          right.rename(columns={"body-style": "body-style_2"})], axis=1)
    assert_frame_equal(out, expected)


def test_add_columns_pads_the_shorter_input_with_missing_values(cars):
    out = run("add_columns", {"left_dataset": cars[["make"]],
                              "right_dataset": cars[["price"]].head(10)})["combined_dataset"]
    assert len(out) == len(cars) and out["price"].iloc[10:].isna().all()
    assert_frame_equal(out.head(10), cars[["make", "price"]].head(10))


def test_add_columns_knows_its_names_at_design_time_and_refuses_a_clash():
    spec = REGISTRY["add_columns"]
    names = spec.columns({"left_dataset": ["a", "b"], "right_dataset": ["a", "c"]}, {}, None)
    assert names == {"combined_dataset": ["a_1", "b", "a_2", "c"]}
    with pytest.raises(ModuleError, match="Add Columns: .* column.*'a_1' twice"):
        run("add_columns", {"left_dataset": pd.DataFrame({"a": [1], "a_1": [2]}),
                            "right_dataset": pd.DataFrame({"a": [3]})})


# Add Rows

def test_add_rows_appends_in_the_first_inputs_column_order(cars):
    out = run("add_rows", {"dataset1": cars.head(5), "dataset2": cars.tail(3)[cars.columns[::-1]]})
    assert_frame_equal(out["results_dataset"],
                       pd.concat([cars.head(5), cars.tail(3)], ignore_index=True))


def test_add_rows_refuses_numbers_beside_text(cars):
    text_prices = cars.assign(price=cars["price"].astype("str"))
    with pytest.raises(ModuleError, match="Add Rows: column.*price hold numbers in one input"):
        run("add_rows", {"dataset1": cars, "dataset2": text_prices})


def test_add_rows_names_the_columns_that_differ(cars):
    with pytest.raises(ModuleError, match="only in dataset1: price; only in dataset2: none"):
        run("add_rows", {"dataset1": cars, "dataset2": cars.drop(columns="price")})


# Remove Duplicate Rows

@pytest.mark.parametrize("first", [True, False])
@pytest.mark.parametrize("keys", [None, ["make", "body-style"]])
def test_remove_duplicate_rows_matches_drop_duplicates(cars, keys, first):
    out = run("remove_duplicate_rows", {"dataset": cars}, key_columns=keys,
              retain_first_duplicate_row=first)["results_dataset"]
    complete = cars[keys or list(cars.columns)].notna().all(axis=1)
    kept = cars[complete].drop_duplicates(subset=keys, keep="first" if first else "last")
    expected = pd.concat([kept, cars[~complete]]).sort_index()
    assert_frame_equal(out, expected.reset_index(drop=True))
    assert len(out) < len(cars)


def test_rows_missing_a_key_are_never_duplicates():
    patients = pd.DataFrame({"id": [1, 2, 3, 3, 4, None, 5, 6, 7],
                             "gender": ["M"] * 9,
                             "age": [53, 53, 24, 24, 23, 23, 53, None, None]})
    out = run("remove_duplicate_rows", {"dataset": patients}, key_columns=["gender", "age"])
    assert out["results_dataset"]["id"].tolist()[:3] == [1.0, 3.0, 4.0]
    assert out["results_dataset"]["age"].isna().sum() == 2 and len(out["results_dataset"]) == 5
    last = run("remove_duplicate_rows", {"dataset": patients}, key_columns=["id"],
               retain_first_duplicate_row=False)["results_dataset"]
    assert last["age"].tolist()[:3] == [53, 53, 24]
    assert len(last) == 8 and last["id"].isna().sum() == 1


def test_remove_duplicate_rows_names_a_missing_key_column(cars):
    with pytest.raises(ModuleError, match="Remove Duplicate Rows: key column 'colour' not in"):
        run("remove_duplicate_rows", {"dataset": cars}, key_columns=["colour"])


# Partition and Sample

def test_sampling_matches_pandas_sample(adult):
    out = run("partition_and_sample", {"dataset": adult}, rate_of_sampling=0.1, seed=7)
    expected = adult.sample(frac=0.1, random_state=7).reset_index(drop=True)
    assert_frame_equal(out["results_dataset"], expected)


def test_stratified_sampling_samples_each_stratum(adult):
    out = run("partition_and_sample", {"dataset": adult}, rate_of_sampling=0.2, seed=3,
              stratified_split=True, stratification_key_column="income")["results_dataset"]
    expected = adult.groupby("income", sort=False).sample(frac=0.2, random_state=3)
    assert_frame_equal(out, expected.reset_index(drop=True))
    shares = out["income"].value_counts(normalize=True)
    assert shares["<=50K"] == pytest.approx(adult["income"].value_counts(normalize=True)["<=50K"],
                                            abs=0.002)


def test_head_keeps_the_first_rows(cars):
    out = run("partition_and_sample", {"dataset": cars}, mode="head", number_of_rows=7)
    assert_frame_equal(out["results_dataset"], cars.head(7))


@pytest.mark.parametrize("stratified", [False, True])
def test_assign_to_folds_matches_kfold(adult, stratified):
    out = run("partition_and_sample", {"dataset": adult}, mode="assign_to_folds",
              number_of_folds=4, seed=11, stratified_split=stratified,
              stratification_key_column="income")["results_dataset"]
    splitter = (StratifiedKFold(4, shuffle=True, random_state=11) if stratified
                else KFold(4, shuffle=True, random_state=11))
    expected = np.zeros(len(adult), dtype="int64")
    for number, (_, held) in enumerate(splitter.split(adult, adult["income"]), start=1):
        expected[held] = number
    assert list(out.columns) == [*adult.columns, "Fold"]
    np.testing.assert_array_equal(out["Fold"].to_numpy(), expected)


def test_folds_without_randomizing_go_round_robin(cars):
    out = run("partition_and_sample", {"dataset": cars}, mode="assign_to_folds",
              number_of_folds=4, randomized_split=False)["results_dataset"]
    assert out["Fold"].tolist() == [i % 4 + 1 for i in range(len(cars))]


@pytest.mark.parametrize("proportions", [".25, .25, .5", ".25, .25"])
def test_customized_proportions_cut_a_seeded_permutation(cars, proportions):
    out = run("partition_and_sample", {"dataset": cars}, mode="assign_to_folds",
              partitioner_method="partition_with_customized_proportions",
              proportions=proportions, seed=5)["results_dataset"]
    order = np.random.default_rng(5).permutation(len(cars))
    expected = np.empty(len(cars), dtype="int64")
    expected[order[:51]], expected[order[51:102]], expected[order[102:]] = 1, 2, 3
    np.testing.assert_array_equal(out["Fold"].to_numpy(), expected)


@pytest.mark.parametrize("complement", [False, True])
def test_pick_fold_returns_one_fold_without_the_fold_column(cars, complement):
    folded = run("partition_and_sample", {"dataset": cars}, mode="assign_to_folds",
                 number_of_folds=3)["results_dataset"]
    out = run("partition_and_sample", {"dataset": folded}, mode="pick_fold", fold=2,
              pick_complement=complement)["results_dataset"]
    chosen = (folded["Fold"] != 2) if complement else (folded["Fold"] == 2)
    assert_frame_equal(out, folded[chosen].drop(columns="Fold").reset_index(drop=True))


def test_partition_columns_at_design_time():
    spec = REGISTRY["partition_and_sample"]
    for mode, expected in [("assign_to_folds", ["a", "Fold"]), ("pick_fold", ["a"]),
                           ("head", ["a", "Fold"])]:
        params = spec.resolve_params({"mode": mode})
        assert spec.columns({"dataset": ["a", "Fold"] if mode != "assign_to_folds" else ["a"]},
                            params, None) == {"results_dataset": expected}


@pytest.mark.parametrize(("params", "message"), [
    ({"mode": "pick_fold"}, "Pick Fold needs a data set from Assign to Folds"),
    ({"mode": "assign_to_folds", "partitioner_method": "partition_with_customized_proportions",
      "proportions": "0.5, x"}, "proportions must be positive numbers"),
    ({"mode": "assign_to_folds", "partitioner_method": "partition_with_customized_proportions",
      "proportions": "0.5, 0.6"}, "proportions must add up to at most 1; '0.5, 0.6' adds up "
                                  "to 1.1"),
    ({"mode": "assign_to_folds", "number_of_folds": 300}, "300 folds need at least 300 rows"),
    ({"stratified_split": True}, "needs a stratification key column"),
    ({"stratified_split": True, "stratification_key_column": "colour"}, "column 'colour' not"),
])
def test_partition_and_sample_errors_name_the_problem(cars, params, message):
    with pytest.raises(ModuleError, match=f"Partition and Sample: .*{message}"):
        run("partition_and_sample", {"dataset": cars}, **params)


def test_partition_and_sample_refuses_a_rate_above_one():
    with pytest.raises(ParamError, match=r"'rate_of_sampling' parameter of Partition and Sample "
                                         r"must be a float in the range \[0.0, 1.0\]"):
        REGISTRY["partition_and_sample"].resolve_params({"rate_of_sampling": 1.5})


# Select Columns Transform with Apply Transformation

def test_select_columns_transform_selects_the_same_columns_from_new_data(cars):
    learned = run("select_columns_transform", {"dataset": cars[["price", "make"]]})
    selection = learned["column_selection_transformation"]
    out = run("apply_transformation", {"transformation": selection, "dataset": cars})
    assert_frame_equal(out["transformed_dataset"], cars[["price", "make"]])
    with pytest.raises(ModuleError, match="Apply Transformation: column 'price' not in"):
        run("apply_transformation", {"transformation": selection,
                                     "dataset": cars.drop(columns="price")})


# Convert to CSV

def test_convert_to_csv_gives_the_text_a_csv_file_holds(cars):
    out = run("convert_to_csv", {"dataset": cars})["results_dataset"]
    text = cars.to_csv(index=False)
    assert out.to_csv(index=False) == text
    expected = pd.read_csv(io.StringIO(text), dtype="str", keep_default_na=False)
    assert_frame_equal(out, expected)
    assert out.loc[cars["price"].isna(), "price"].eq("").all()
