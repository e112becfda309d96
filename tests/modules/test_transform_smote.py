"""SMOTE against imbalanced-learn's SMOTE called directly on the real Automobile data."""

import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE
from pandas.testing import assert_frame_equal

from app.engine.context import ModuleError
from tests.modules.test_transform import run

COLUMNS = ["horsepower", "price", "curb-weight", "engine-size", "fuel-type"]


@pytest.fixture
def cars(automobile):
    return automobile[COLUMNS].dropna().reset_index(drop=True)


@pytest.mark.parametrize(("percentage", "neighbours", "seed"), [(100, 1, 0), (250, 5, 42)])
def test_smote_matches_imbalanced_learn(cars, percentage, neighbours, seed):
    out = run("smote", {"samples": cars}, label_column="fuel-type", smote_percentage=percentage,
              number_of_nearest_neighbors=neighbours, seed=seed)["table"]
    diesel = int((cars["fuel-type"] == "diesel").sum())
    sampler = SMOTE(sampling_strategy={"diesel": diesel + diesel * percentage // 100},
                    k_neighbors=neighbours, random_state=seed)
    x, y = sampler.fit_resample(cars.drop(columns="fuel-type"), cars["fuel-type"])
    assert_frame_equal(out, pd.concat([x, y], axis=1))
    assert_frame_equal(out.head(len(cars)), cars)
    assert (out["fuel-type"] == "diesel").sum() == diesel * (1 + percentage // 100) + (
        diesel * (percentage % 100) // 100)


def test_smote_zero_percent_changes_nothing(cars):
    out = run("smote", {"samples": cars}, label_column="fuel-type", smote_percentage=0)
    assert_frame_equal(out["table"], cars)


@pytest.mark.parametrize(("frame", "params", "message"), [
    (None, {"label_column": "fuel"}, "label column 'fuel' not in"),
    ("make", {}, "every feature must be numeric; column.*'make'"),
    ("gaps", {}, "column.*'price' have missing values"),
    (None, {"number_of_nearest_neighbors": 20}, "20 nearest neighbours need more minority rows; "
                                                "label 'diesel' has 20"),
])
def test_smote_errors_name_the_column(cars, automobile, frame, params, message):
    data = {None: cars, "make": automobile[["make", *COLUMNS]].dropna(),
            "gaps": automobile[COLUMNS]}[frame]
    with pytest.raises(ModuleError, match=f"SMOTE: {message}"):
        run("smote", {"samples": data}, **{"label_column": "fuel-type", **params})
