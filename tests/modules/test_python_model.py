"""Create Python Model through Train, Score and Evaluate Model, against the same class used
directly."""

import numpy as np
import pandas as pd
import pytest

from app.engine.context import ModuleError, StepContext
from app.engine.datastores import Datastores
from app.engine.registry import REGISTRY
from app.modules.evaluation import evaluate
from app.modules.python_model import DEFAULT_SCRIPT

REGRESSION = """\
import pandas as pd
from sklearn.linear_model import Ridge


class AzureMLModel:
    def __init__(self):
        self.model = Ridge(alpha=0.5)

    def train(self, df_train, df_label):
        print("training on", len(df_train), "rows")
        self.columns = list(df_train.columns)
        self.model.fit(df_train, df_label)

    def predict(self, df):
        return pd.DataFrame({"Scored Labels": self.model.predict(df[self.columns])})
"""


def call(name, inputs, **params):
    spec = REGISTRY[name]
    ctx = StepContext(name, datastores=Datastores({}))
    return spec.call(inputs, spec.resolve_params(params), ctx), ctx


def through_the_modules(script, train, test, label):
    """Create Python Model -> Train Model -> Score Model -> Evaluate Model."""
    (learner, _), = [call("create_python_model", {}, script=script)]
    trained, train_ctx = call("train_model", {"untrained_model": learner["untrained_model"],
                                              "dataset": train}, label_column=label)
    scored, _ = call("score_model", {"trained_model": trained["trained_model"],
                                     "dataset": test}, append_score_columns=True)
    evaluation, _ = call("evaluate_model", {"scored_dataset": scored["scored_dataset"]})
    return scored["scored_dataset"], evaluation["evaluation_results"], train_ctx


def the_class(script):
    """The script's AzureMLModel, defined in this process (the test's own code)."""
    namespace = {}
    exec(compile(script, "script.py", "exec"), namespace)  # noqa: S102 - the test's script
    return namespace["AzureMLModel"]


@pytest.fixture
def income(adult):
    columns = ["age", "education-num", "capital-gain", "hours-per-week", "income"]
    rows = adult[columns].iloc[:3000]
    return rows.iloc[:2000].reset_index(drop=True), rows.iloc[2000:].reset_index(drop=True)


def test_a_two_class_model_equals_the_class_used_directly(income):
    train, test = income
    scored, evaluation, train_ctx = through_the_modules(DEFAULT_SCRIPT, train, test, "income")

    model = the_class(DEFAULT_SCRIPT)()
    model.train(train.drop(columns="income"), train["income"])
    expected = model.predict(test.drop(columns="income"))
    assert scored["Scored Labels"].tolist() == list(expected["Scored Labels"])
    np.testing.assert_allclose(scored["Scored Probabilities"], expected["Scored Probabilities"])
    assert list(scored.columns) == [*test.columns, "Scored Labels", "Scored Probabilities"]

    direct = test.assign(**{c: expected[c].to_numpy() for c in expected})
    direct.attrs = {"label_column": "income", "task": "binary", "positive_class": ">50K",
                    "classes": ["<=50K", ">50K"]}
    assert evaluation["task"] == "binary"
    assert evaluation["metrics"] == evaluate(direct, "scored", StepContext("e"))["metrics"]
    assert 0.7 < evaluation["metrics"]["accuracy"] < 1
    assert any("training AzureMLModel on 2000 rows" in line for line in train_ctx.lines)


def test_a_regression_model_equals_the_class_used_directly(automobile):
    cars = automobile[["wheel-base", "length", "width", "curb-weight", "engine-size",
                       "city-mpg", "price"]].dropna().reset_index(drop=True)
    train, test = cars.iloc[:150], cars.iloc[150:].reset_index(drop=True)
    scored, evaluation, train_ctx = through_the_modules(REGRESSION, train, test, "price")

    model = the_class(REGRESSION)()
    model.train(train.drop(columns="price"), train["price"])
    expected = model.predict(test.drop(columns="price"))
    np.testing.assert_allclose(scored["Scored Labels"], expected["Scored Labels"])
    assert evaluation["task"] == "regression"
    direct = test.assign(**{"Scored Labels": expected["Scored Labels"].to_numpy()})
    direct.attrs = {"label_column": "price", "task": "regression"}
    assert evaluation["metrics"] == evaluate(direct, "scored", StepContext("e"))["metrics"]
    assert any(line.endswith("] training on 150 rows") for line in train_ctx.lines)


def test_labels_alone_are_evaluated_as_a_multiclass_model(income):
    train, test = income
    script = DEFAULT_SCRIPT.replace(
        '"Scored Probabilities": self.model.predict_proba(features)[:, 1],', "")
    scored, evaluation, _ = through_the_modules(script, train, test, "income")
    assert "Scored Probabilities" not in scored.columns
    assert evaluation["task"] == "multiclass"
    assert evaluation["metrics"]["overall_accuracy"] > 0.7


def test_azures_template_column_probabilities_is_read_as_scored_probabilities(income):
    train, test = income
    script = DEFAULT_SCRIPT.replace('"Scored Probabilities":', '"probabilities":')
    scored, evaluation, _ = through_the_modules(script, train, test, "income")
    assert "Scored Probabilities" in scored.columns
    assert evaluation["task"] == "binary"


@pytest.mark.parametrize(("script", "message"), [
    ("class Model:\n    pass\n", r"the script defines no class AzureMLModel"),
    ("class AzureMLModel:\n    def train(self, a, b):\n        pass\n",
     r"class AzureMLModel has no method predict"),
    ("class AzureMLModel:\n    def train(self, a, b):\n        raise ValueError('bad')\n"
     "    def predict(self, df):\n        return df\n",
     r"line 3 of the script raised ValueError: bad"),
])
def test_a_broken_class_fails_train_model_clearly(income, script, message):
    train, _ = income
    learner, _ = call("create_python_model", {}, script=script)
    with pytest.raises(ModuleError, match=r"^Create Python Model: " + message):
        call("train_model", {"untrained_model": learner["untrained_model"], "dataset": train},
             label_column="income")


@pytest.mark.parametrize(("predict", "message"), [
    ("return df", r"the data frame predict returned has no 'Scored Labels' column"),
    ("return pd.DataFrame({'Scored Labels': [1]})", r"predict returned 1 rows for a data set"),
    ("return 3", r"AzureMLModel.predict must return a pandas DataFrame; it returned int"),
])
def test_a_bad_prediction_fails_score_model_clearly(income, predict, message):
    train, test = income
    script = ("import pandas as pd\nclass AzureMLModel:\n    def train(self, a, b):\n"
              f"        pass\n    def predict(self, df):\n        {predict}\n")
    learner, _ = call("create_python_model", {}, script=script)
    trained, _ = call("train_model", {"untrained_model": learner["untrained_model"],
                                      "dataset": train}, label_column="income")
    with pytest.raises(ModuleError, match=r"^Create Python Model: " + message):
        call("score_model", {"trained_model": trained["trained_model"], "dataset": test},
             append_score_columns=True)
    assert isinstance(trained["trained_model"].state, bytes)
    assert pd.api.types.is_string_dtype(pd.Series(trained["trained_model"].classes))
