"""Version diff: a published version against another version of its endpoint, or a draft."""

from __future__ import annotations

from sqlalchemy import select

from ..engine.diff import diff_documents
from ..errors import Unprocessable
from ..extensions import db
from ..models import PipelineEndpoint, PublishedVersion, iso
from . import pipelines, publishing
from .runtime import runtime


def published_from(pipeline_id: str) -> list[dict]:
    """The versions published from draft ``pipeline_id``, each with its endpoint's other
    versions (what the designer offers to compare the draft with), newest endpoint first."""
    pipelines.get(pipeline_id)
    endpoints = db.session.scalars(
        select(PipelineEndpoint).join(PublishedVersion)
        .where(PublishedVersion.pipeline_id == pipeline_id).distinct()
        .order_by(PipelineEndpoint.name))
    return [{"id": e.id, "name": e.name,
             "versions": [{"version": v.version, "published": iso(v.published),
                           "description": v.description,
                           "from_this_draft": v.pipeline_id == pipeline_id,
                           "is_default": e.default_version == v.version}
                          for v in sorted(e.versions, key=lambda v: v.version)]}
            for e in endpoints]


def compare(ref: str, number: int, *, to: int | None = None,
            pipeline: str | None = None) -> dict:
    """Version ``number`` of endpoint ``ref`` (from) against version ``to`` or the draft
    ``pipeline`` (to); neither means the draft the version was published from."""
    if to is not None and pipeline is not None:
        raise Unprocessable("Give either 'to' (a version) or 'pipeline' (a draft), not both.",
                         field="to")
    endpoint = publishing.find(ref)
    base = publishing.version_of(endpoint, number)
    if to is not None:
        other = publishing.version_of(endpoint, to)
        target = {"label": f"Version {other.version}", "version": other.version,
                  "document": other.document}
    else:
        pipeline = pipeline or base.pipeline_id
        if pipeline is None:
            raise Unprocessable(f"Version {number} of '{endpoint.name}' has no draft any more; "
                                "give 'to' (a version) or 'pipeline' (a draft).", field="pipeline")
        draft = pipelines.get(pipeline)
        target = {"label": f"Draft {draft.name}", "pipeline_id": draft.id,
                  "document": draft.document}
    changes = diff_documents(pipelines.parse(base.document), pipelines.parse(target["document"]),
                             runtime().modules)
    return {"from": {"label": f"Version {base.version}", "version": base.version,
                     "document": base.document}, "to": target, **changes}
