"""A Train Model pipeline called with little overhead per call, for real-time scoring.

Scoring one row through the fitted scikit-learn Pipeline spends most of its time around the
work: the ColumnTransformer checks and slices its DataFrame input column by column, and the
OneHotEncoder checks its input again, a few milliseconds for a row whose encoding is a handful
of dictionary look-ups. ``lean`` gives an object that answers as the Pipeline does (the same
numbers, bit for bit: tests compare them) by encoding the rows itself with the categories the
OneHotEncoder learned and handing the matrix to the fitted learner. It applies only to the
pipeline ``build_pipeline`` makes, with the encoder as Train Model fits it (every category
kept, unknown ones ignored); for anything else, and for request columns whose values are not
plain numbers where numbers pass through, the Pipeline itself is called.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

from .training import categories_as_text, category_of


class _Column:
    """One encoded column: its categories' positions in the output, and the missing one's."""

    def __init__(self, name: str, categories: np.ndarray, offset: int):
        self.name = name
        self.width = len(categories)
        self.index: dict[str, int] = {}
        self.missing = -1  # no missing category was seen in training: no 1 anywhere
        for i, category in enumerate(categories):
            if isinstance(category, float) and np.isnan(category):
                self.missing = offset + i
            else:
                self.index[category] = offset + i

    def position(self, value) -> int:
        """Where the 1 goes for ``value`` (its category as Train Model encodes it), or -1 for
        a category never seen."""
        category = category_of(value)
        return self.missing if isinstance(category, float) else self.index.get(category, -1)


class LeanPipeline:
    """The calls Score Model makes on a fitted Pipeline, with the encoding done here."""

    def __init__(self, pipeline: Pipeline, columns: list[_Column], passthrough: list[str]):
        self.pipeline = pipeline
        self.learner = pipeline[-1]
        self.categorical = [c.name for c in columns]
        self.columns = columns
        self.passthrough = passthrough
        self.width = sum(c.width for c in columns)

    @property
    def classes_(self):
        return self.pipeline.classes_

    def __getitem__(self, index):
        return self.pipeline[index]

    def encode(self, frame: pd.DataFrame) -> np.ndarray | None:
        """The learner's input for ``frame`` (one-hot columns, then the numbers as float64,
        as the ColumnTransformer stacks them), or None when the Pipeline must do it."""
        numbers = [frame[name] for name in self.passthrough]
        if not all(isinstance(n.dtype, np.dtype) and n.dtype.kind in "iuf" for n in numbers):
            return None
        rows = len(frame)
        out = np.zeros((rows, self.width + len(numbers)))
        for column in self.columns:
            values = frame[column.name].to_numpy(dtype=object)
            where = np.fromiter(map(column.position, values), dtype=np.intp, count=rows)
            seen = where >= 0
            out[np.flatnonzero(seen), where[seen]] = 1.0
        for k, series in enumerate(numbers):
            out[:, self.width + k] = series.to_numpy()
        return out

    def _call(self, method: str, frame: pd.DataFrame):
        encoded = self.encode(frame)
        if encoded is None:
            return getattr(self.pipeline, method)(frame)
        return getattr(self.learner, method)(encoded)

    def predict(self, frame):
        return self._call("predict", frame)

    def predict_proba(self, frame):
        return self._call("predict_proba", frame)

    def score_samples(self, frame):
        return self._call("score_samples", frame)


def lean(pipeline):
    """A LeanPipeline for a fitted ``build_pipeline`` Pipeline; anything else as it is."""
    try:
        (_, encoder), _ = pipeline.steps
        transformers, names = encoder.transformers_, list(encoder.feature_names_in_)
    except (AttributeError, TypeError, ValueError):
        return pipeline
    categorical, columns, passthrough, offset = [], [], [], 0
    for name, fitted, selected in transformers:
        # Columns by name, or by position in the fitted input (as the remainder may be).
        selected = [names[c] if isinstance(c, int | np.integer) else c for c in selected]
        if not selected:
            continue
        if name == "categorical":
            if not isinstance(fitted, Pipeline) or len(fitted.steps) != 2:
                return pipeline
            (_, as_text), (_, one_hot) = fitted.steps
            if not (isinstance(one_hot, OneHotEncoder) and _plain_one_hot(one_hot)
                    and isinstance(as_text, FunctionTransformer)
                    and as_text.func is categories_as_text):
                return pipeline
            categorical = list(selected)
            for column, categories in zip(categorical, one_hot.categories_, strict=True):
                columns.append(_Column(column, categories, offset))
                offset += len(categories)
        elif name == "remainder":
            if isinstance(fitted, str) and fitted == "drop":
                continue
            if not (isinstance(fitted, FunctionTransformer) and fitted.func is None):
                return pipeline
            passthrough = list(selected)
        else:
            return pipeline
    if any(not isinstance(c, str) for c in categorical + passthrough):
        return pipeline
    return LeanPipeline(pipeline, columns, passthrough)


def _plain_one_hot(encoder: OneHotEncoder) -> bool:
    """Encodes as Train Model fits it: every category a column, unknown ones ignored."""
    return (encoder.drop_idx_ is None and not encoder._infrequent_enabled  # noqa: SLF001
            and encoder.handle_unknown == "ignore" and not encoder.sparse_output
            and encoder.dtype in (np.float64, float))
