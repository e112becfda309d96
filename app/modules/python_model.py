"""Python Language: Create Python Model, a user-written AzureMLModel class as a learner.

Train Model and Score Model hand such a model the data set and let it train and score itself
(``train_model`` / ``score_model``): the class's ``train`` and ``predict`` run in a sandboxed
process (``app.engine.sandbox``), like Execute Python Script. The trained model this server
stores holds the script and the pickled AzureMLModel as bytes; only a sandboxed process ever
unpickles them, so no user code runs in a step worker or the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from app.engine.context import ModuleError, StepContext
from app.engine.registry import module
from app.engine.sandbox import run_job
from app.engine.spec import UNTRAINED_MODEL, Port

from .evaluation import SCORED_LABELS, SCORED_PROBABILITIES
from .python_script import CATEGORY, script_field
from .training import _plain

LABEL = "Create Python Model"
AZURE_PROBABILITIES = "probabilities"  # the column Azure's template names its probabilities
DEFAULT_SCRIPT = '''\
# The script must define a class named AzureMLModel. Train Model creates it and calls
# train(df_train, df_label) with the features and the label column; Score Model calls
# predict(df), which returns a data frame with a "Scored Labels" column (and, for a label
# of two values, "Scored Probabilities": the probability of the second value in sort order).
import pandas as pd
from sklearn.linear_model import LogisticRegression


class AzureMLModel:
    def __init__(self):
        self.model = LogisticRegression()
        self.feature_column_names = []

    def train(self, df_train, df_label):
        self.feature_column_names = df_train.columns.tolist()
        self.model.fit(df_train, df_label)

    def predict(self, df):
        features = df[self.feature_column_names]
        return pd.DataFrame({
            "Scored Labels": self.model.predict(features),
            "Scored Probabilities": self.model.predict_proba(features)[:, 1],
        })
'''


def task_of(label: pd.Series) -> str:
    """binary (two values), regression (a number with more) or multiclass (text with more)."""
    values = label.nunique()
    if values == 2:
        return "binary"
    numeric = pd.api.types.is_numeric_dtype(label) and not pd.api.types.is_bool_dtype(label)
    return "regression" if numeric else "multiclass"


@dataclass
class TrainedPythonModel:
    """A trained AzureMLModel: its script, its pickled state (opened only in the sandbox) and
    what Score and Evaluate Model need to know."""

    script: str
    state: bytes
    label_column: str
    feature_columns: list[str]
    task: str
    classes: list = field(default_factory=list)

    @property
    def positive_class(self) -> Any:
        """The class "Scored Probabilities" is the probability of (the second of ``classes``)."""
        return self.classes[1] if self.task == "binary" else None

    def score_model(self, dataset: pd.DataFrame, append_score_columns: bool,
                    ctx: StepContext) -> pd.DataFrame:
        """Score Model: the data set with what predict(df) returned."""
        missing = [c for c in self.feature_columns if c not in dataset.columns]
        if missing:
            raise ModuleError(f"Score Model: the data set lacks feature column(s) the model was "
                              f"trained on: {', '.join(missing)}.")
        result = run_job("predict", {"script": self.script}, ctx, LABEL, state=self.state,
                         frames={"dataset": dataset[self.feature_columns]})
        scores = self._checked(result.frames["scores.arrow"], len(dataset))
        scores.index = dataset.index
        task = self.task
        if task == "binary" and SCORED_PROBABILITIES not in scores.columns:
            ctx.log(f"predict returned no '{SCORED_PROBABILITIES}': the scores are evaluated "
                    "from the labels alone (as a multiclass model)")
            task = "multiclass"
        if append_score_columns:
            kept = dataset.drop(columns=[c for c in scores.columns if c in dataset.columns])
        else:
            kept = dataset[[self.label_column]] if self.label_column in dataset.columns else None
        scored = scores if kept is None else pd.concat([kept, scores], axis=1)
        scored.attrs = {"label_column": self.label_column, "task": task,
                        "positive_class": self.positive_class if task == "binary" else None,
                        "classes": list(self.classes)}
        ctx.log(f"scored {len(scored)} rows ({task}) with AzureMLModel.predict")
        return scored

    def _checked(self, scores: pd.DataFrame, rows: int) -> pd.DataFrame:
        """predict's frame with the columns Evaluate Model reads, or a ModuleError."""
        if len(scores) != rows:
            raise ModuleError(f"{LABEL}: predict returned {len(scores)} rows for a data set of "
                              f"{rows}; it must return one row per row.")
        if SCORED_LABELS not in scores.columns:
            raise ModuleError(f"{LABEL}: the data frame predict returned has no "
                              f"'{SCORED_LABELS}' column (columns: "
                              f"{', '.join(map(str, scores.columns)) or 'none'}).")
        scores = scores.rename(columns={AZURE_PROBABILITIES: SCORED_PROBABILITIES})
        if SCORED_PROBABILITIES in scores.columns:
            scores[SCORED_PROBABILITIES] = pd.to_numeric(scores[SCORED_PROBABILITIES],
                                                         errors="coerce").astype("float64")
        if self.task == "regression":
            scores[SCORED_LABELS] = pd.to_numeric(scores[SCORED_LABELS],
                                                  errors="coerce").astype("float64")
        return scores


@dataclass
class PythonModel:
    """Create Python Model's output: the script, trained by Train Model through train_model."""

    script: str

    def train_model(self, dataset: pd.DataFrame, label_column: str,
                    ctx: StepContext) -> TrainedPythonModel:
        """Train Model: AzureMLModel().train(features, label) in the sandbox."""
        label = dataset[label_column]
        task = task_of(label)
        features = [str(c) for c in dataset.columns if c != label_column]
        ctx.log(f"training AzureMLModel on {len(dataset)} rows, {len(features)} features, "
                f"label '{label_column}' ({task})")
        result = run_job("train", {"script": self.script, "label_column": label_column}, ctx,
                         LABEL, frames={"dataset": dataset})
        classes = [] if task == "regression" else [_plain(v) for v in np.unique(label)]
        return TrainedPythonModel(script=self.script, state=result.state or b"",
                                  label_column=label_column, feature_columns=features,
                                  task=task, classes=classes)


@module(
    "create_python_model",
    label=LABEL,
    category=CATEGORY,
    outputs=[Port("untrained_model", UNTRAINED_MODEL, label="Untrained model")],
    params=[script_field(DEFAULT_SCRIPT)],
)
def create_python_model(*, script):
    """A learner written in Python: a class AzureMLModel with train(df_train, df_label) and
    predict(df), trained by Train Model and used by Score and Evaluate Model.

    train and predict run in a process of their own (as Execute Python Script), within the
    step's limits; predict returns "Scored Labels" (and "Scored Probabilities" for a label of
    two values, the probability of the second value in sort order).
    """
    return {"untrained_model": PythonModel(script)}
