"""Pipeline drafts: create, read, update with optimistic concurrency, delete, validate."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, select

from ..engine.columns import infer_columns
from ..engine.document import PipelineDocument, resolve_parameter_values, substitute
from ..engine.graph import NodeError, validate
from ..engine.spec import ParamError
from ..errors import BadRequest, Conflict, NotFound, Unprocessable, invalid_data
from ..extensions import db
from ..models import INT_MAX, Pipeline, Run, iso, now
from . import audit, datastores
from .runtime import runtime


def parse(document: Any) -> PipelineDocument:
    """A document model from JSON data, or BadRequest listing each malformed field."""
    if isinstance(document, PipelineDocument):
        return document
    if not isinstance(document, dict):
        raise BadRequest("The pipeline document must be a JSON object.", field="document")
    try:
        return PipelineDocument.model_validate(document)
    except ValidationError as exc:
        raise invalid_data(exc, "malformed pipeline document") from None


def columns(doc: PipelineDocument) -> dict:
    """Design-time columns of every data set input, by node and port (None: unknown)."""
    return infer_columns(doc, runtime().modules, datastores.mapping())


def check(doc: PipelineDocument) -> list[NodeError]:
    """Every validation problem of ``doc``, with column names checked against known columns."""
    stores, modules = datastores.mapping(), runtime().modules
    return (validate(doc, modules) + _unknown_datastores(doc, modules, stores)
            + _missing_columns(doc, modules, infer_columns(doc, modules, stores)))


def _unknown_datastores(doc: PipelineDocument, modules, stores) -> list[NodeError]:
    """Data paths naming a datastore that is not registered (e.g. one removed since)."""
    try:
        values = resolve_parameter_values(doc, {})
    except ValueError:
        return []  # parameter problems are reported by validate()
    errors = []
    for node in doc.nodes:
        spec = modules.get(node.module)
        try:
            params = spec.resolve_params(substitute(node.params, values)) if spec else {}
        except ValueError:
            continue  # reported by validate()
        for param in spec.params if spec else []:
            value = params.get(param.name)
            if param.kind == "data_path" and value and value["datastore"] not in stores:
                known = ", ".join(sorted(stores)) or "none"
                errors.append(NodeError(
                    f"{spec.label}: unknown datastore {value['datastore']!r} in "
                    f"'{param.name}' (registered: {known}).", node=node.id, field=param.name))
    return errors


def _missing_columns(doc: PipelineDocument, modules, known: dict) -> list[NodeError]:
    """Column pickers naming columns the design-time schema says are not there."""
    errors = []
    for node in doc.nodes:
        spec = modules.get(node.module)
        for param in spec.params if spec else []:
            value = node.params.get(param.name)
            available = known.get(node.id, {}).get(getattr(param, "input", None))
            if param.kind != "columns" or available is None or not value:
                continue
            names = [value] if isinstance(value, str) else value
            if not isinstance(names, list):
                continue
            missing = [n for n in names if isinstance(n, str) and n not in available]
            if missing:
                errors.append(NodeError(
                    f"{spec.label}: column(s) {', '.join(repr(m) for m in missing)} of "
                    f"'{param.name}' are not in the input data set (columns: "
                    f"{', '.join(available)}).", node=node.id, field=param.name))
    return errors


def group_errors(errors: list[NodeError]) -> dict:
    """Errors grouped for the editor: by node, by node field and by pipeline parameter.

    {"node_errors": {node: [msg]}, "field_errors": {node: {field: [msg]}},
    "errors": [pipeline-level], "warnings": [...]}, plus "parameter_errors": {name: [msg]}
    when a pipeline parameter is at fault.
    """
    out = {"node_errors": {}, "field_errors": {}, "errors": [], "warnings": []}
    by_parameter: dict[str, list[str]] = {}
    for e in errors:
        if e.severity == "warning":
            out["warnings"].append(e.as_dict())
        elif e.node:
            out["node_errors"].setdefault(e.node, []).append(e.message)
            if e.field:
                out["field_errors"].setdefault(e.node, {}).setdefault(e.field, []).append(
                    e.message)
            if e.parameter:
                by_parameter.setdefault(e.parameter, []).append(e.message)
        else:
            out["errors"].append(e.message)
            if e.parameter:
                by_parameter.setdefault(e.parameter, []).append(e.message)
    if by_parameter:
        out["parameter_errors"] = by_parameter
    return out


def create(document: Any, *, sample: str | None = None) -> Pipeline:
    """Store a new draft (it may have validation errors: drafts are work in progress)."""
    doc = parse(document)
    pipeline = Pipeline(name=doc.name, document=doc.dump(), sample=sample)
    db.session.add(pipeline)
    db.session.commit()
    return pipeline


def get(pipeline_id: str) -> Pipeline:
    """The pipeline or NotFound."""
    pipeline = db.session.get(Pipeline, pipeline_id)
    if pipeline is None:
        raise NotFound(f"Pipeline '{pipeline_id}' does not exist.")
    return pipeline


# Built once, of the table's own columns (a Core query: no ORM set-up per submit).
_PIPELINES = Pipeline.__table__.c
_DOCUMENT = select(_PIPELINES.document).where(_PIPELINES.id == bindparam("id"))


def document_of(pipeline_id: str) -> dict:
    """The draft's document alone (what a submit needs: one column, no object), or NotFound."""
    document = db.session.connection().execute(_DOCUMENT, {"id": pipeline_id}).scalar()
    if document is None:
        raise NotFound(f"Pipeline '{pipeline_id}' does not exist.")
    return document


def update(pipeline_id: str, document: Any, revision: Any) -> Pipeline:
    """Replace the document if ``revision`` is the stored one; else Conflict (409)."""
    _check_revision(revision)
    doc = parse(document)
    pipeline = get(pipeline_id)
    updated = db.session.execute(
        Pipeline.__table__.update()
        .where(Pipeline.id == pipeline_id, Pipeline.revision == revision)
        .values(document=doc.dump(), name=doc.name, revision=revision + 1, updated=now())
    ).rowcount
    if updated != 1:
        db.session.rollback()
        current = get(pipeline_id).revision
        raise Conflict(
            f"Pipeline '{pipeline_id}' was changed elsewhere: you edited revision {revision}, "
            f"the stored one is {current}.", revision=current)
    db.session.commit()
    db.session.refresh(pipeline)
    return pipeline


def _check_revision(revision: Any) -> None:
    if not isinstance(revision, int) or isinstance(revision, bool):
        raise BadRequest("'revision' (an int, the revision you edited) is required.",
                         field="revision")
    if not 0 <= revision < INT_MAX:  # revision + 1 is stored: it must fit the column
        raise BadRequest(f"The 'revision' must be an int in the range [0, {INT_MAX - 1}]. "
                         f"Got {revision} instead.", field="revision")


def edit(pipeline_id: str, revision: Any, change) -> Pipeline:
    """Apply ``change(document) -> document`` and save it as the next revision (409 if stale)."""
    _check_revision(revision)
    doc = parse(get(pipeline_id).document)
    try:
        changed = change(doc)
    except ParamError as exc:
        raise Unprocessable(str(exc), parameter=exc.param) from None
    return update(pipeline_id, changed, revision)


def delete(pipeline_id: str) -> None:
    """Delete a draft; its runs stay (they keep their frozen document)."""
    pipeline = get(pipeline_id)
    name = pipeline.name
    db.session.execute(
        Run.__table__.update().where(Run.pipeline_id == pipeline_id).values(pipeline_id=None))
    db.session.delete(pipeline)
    db.session.commit()
    audit.record("pipeline.delete", name, {"id": pipeline_id})


def list_all() -> list[Pipeline]:
    """Every draft, last edited first."""
    return list(db.session.scalars(select(Pipeline).order_by(Pipeline.updated.desc())))


def last_run_status(pipeline_id: str) -> str | None:
    """Status of the newest run of the pipeline."""
    return db.session.scalar(
        select(Run.status).where(Run.pipeline_id == pipeline_id)
        .order_by(Run.created.desc()).limit(1))


def as_dict(pipeline: Pipeline, *, full: bool = True) -> dict:
    """JSON form; ``full`` includes the document."""
    out = {
        "id": pipeline.id,
        "name": pipeline.name,
        "revision": pipeline.revision,
        "modules": len(pipeline.document.get("nodes", [])),
        "created": iso(pipeline.created),
        "updated": iso(pipeline.updated),
        "last_run_status": last_run_status(pipeline.id),
    }
    if full:
        out["document"] = pipeline.document
    return out
