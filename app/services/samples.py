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


def init() -> list[Pipeline]:
    """Everything `designer init` sets up; safe to run again."""
    register_datastore()
    return load_pipelines()
