"""The shipped samples: the `samples` datastore and the sample pipeline drafts."""

from __future__ import annotations

import json
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Datastore, Pipeline
from . import datastores, pipelines

DATASTORE = "samples"


def folder() -> Path:
    """The sample_data folder."""
    return Path(current_app.config["DESIGNER_SAMPLES"])


def register_datastore() -> Datastore:
    """Register (or re-point) the `samples` datastore on the sample_data folder."""
    return datastores.add(DATASTORE, folder(), replace=True)


def load_pipelines() -> list[Pipeline]:
    """Create each sample draft once; a draft the user edited is left alone."""
    loaded = []
    for path in sorted((folder() / "pipelines").glob("*.json")):
        existing = db.session.scalar(select(Pipeline).filter_by(sample=path.stem))
        if existing is None:
            existing = pipelines.create(json.loads(path.read_text()), sample=path.stem)
        loaded.append(existing)
    return loaded


SAMPLE_ENDPOINT = "income-retrain"


def sample_endpoint():
    """The `income-retrain` pipeline endpoint, or None before it is published."""
    from ..models import PipelineEndpoint

    return db.session.scalar(select(PipelineEndpoint).filter_by(name=SAMPLE_ENDPOINT))


def publish_sample_endpoint(loaded: list[Pipeline]) -> None:
    """Publish the Income sample as version 0 of `income-retrain`, once."""
    from . import publishing

    if sample_endpoint():
        return
    income = next((p for p in loaded if p.sample == "income_prediction"), None)
    if income is not None:
        publishing.publish(income.id, new_endpoint={
            "name": SAMPLE_ENDPOINT,
            "description": "Retrain the income model on new census-style data."},
            description="The Income prediction sample", by="designer init")


def init() -> list[Pipeline]:
    """Everything `designer init` sets up; safe to run again."""
    register_datastore()
    loaded = load_pipelines()
    publish_sample_endpoint(loaded)
    return loaded
