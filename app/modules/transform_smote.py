"""SMOTE (Data Transformation): more rows of the rarer class, synthesized by imbalanced-learn."""

from __future__ import annotations

import pandas as pd
from imblearn.over_sampling import SMOTE as Smote

from app.engine.columns import passed_through
from app.engine.context import ModuleError
from app.engine.registry import module
from app.engine.spec import DATAFRAME, MAX_SEED, Columns, Int, Port

from .transform import CATEGORY, is_numeric, require_columns

LABEL = "SMOTE"


@module(
    "smote", label=LABEL, category=CATEGORY,
    inputs=[Port("samples", DATAFRAME)], outputs=[Port("table", DATAFRAME)],
    columns=passed_through("samples", "table"),
    params=[
        Columns("label_column", single=True, input="samples"),
        Int("smote_percentage", default=100, min=0, max=10_000,
            description="New minority rows as a percentage of the minority rows: 100 doubles "
                        "them, 200 triples them."),
        Int("number_of_nearest_neighbors", default=1, min=1, max=1000,
            description="How many minority neighbours each synthetic row is drawn towards."),
        Int("seed", default=0, min=0, max=MAX_SEED, label="Random seed"),
    ],
)
def smote(samples, *, label_column, smote_percentage, number_of_nearest_neighbors, seed):
    """Append synthetic rows of the rarest label value (SMOTE, imbalanced-learn).

    Each new row lies between a minority row and one of its nearest minority neighbours
    (Euclidean distance over the features). Every column but the label must be numeric
    and complete; the original rows come first, unchanged. Every column keeps its type
    (imbalanced-learn casts synthetic values back, so integer columns stay integers).
    """
    require_columns(samples, [label_column], LABEL, "label column")
    features = samples.drop(columns=label_column)
    bad = [c for c in features.columns if not is_numeric(features[c])]
    if bad:
        raise ModuleError(f"{LABEL}: every feature must be numeric; column(s) "
                          f"{', '.join(map(repr, bad))} are not (remove them or convert them "
                          "with Convert to Indicator Values)")
    gaps = [c for c in samples.columns if samples[c].isna().any()]
    if gaps:
        raise ModuleError(f"{LABEL}: column(s) {', '.join(map(repr, gaps))} have missing "
                          "values; clean them first (Clean Missing Data)")
    counts = samples[label_column].value_counts()
    if len(counts) < 2:
        raise ModuleError(f"{LABEL}: label column {label_column!r} needs at least two values")
    minority, rows = counts.index[-1], int(counts.iloc[-1])
    if number_of_nearest_neighbors >= rows:
        raise ModuleError(f"{LABEL}: {number_of_nearest_neighbors} nearest neighbours need "
                          f"more minority rows; label {minority!r} has {rows}")
    extra = rows * smote_percentage // 100
    if extra == 0:
        return {"table": samples.reset_index(drop=True)}
    sampler = Smote(sampling_strategy={minority: rows + extra},
                    k_neighbors=number_of_nearest_neighbors, random_state=seed)
    new_x, new_y = sampler.fit_resample(features, samples[label_column])
    table = pd.concat([new_x, new_y], axis=1)[list(samples.columns)]
    return {"table": table.astype({label_column: samples[label_column].dtype})}
