"""Pipeline endpoints: publish immutable versions, set the default, enable, submit runs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from ..engine.document import PipelineDocument, name_problem
from ..errors import BadRequest, Conflict, NotFound, Unprocessable
from ..extensions import db
from ..models import PipelineEndpoint, PublishedVersion, Run, iso
from . import audit, pipelines, runs
from .runtime import runtime

ACTIVE, DISABLED = "Active", "Disabled"

def parameter_schema(doc: PipelineDocument) -> dict:
    """The JSON Schema of a version's parameter values (what its Submit form is built from)."""
    properties = {
        p.name: p.as_param().json_schema() | {
            "title": p.name, "description": p.description, "default": p.default,
            "x-parameter-type": p.type}
        for p in doc.parameters}
    return {"type": "object", "properties": properties, "additionalProperties": False}


def find(ref: str) -> PipelineEndpoint:
    """An endpoint by id or by name, or NotFound."""
    endpoint = db.session.get(PipelineEndpoint, ref) or db.session.scalar(
        select(PipelineEndpoint).filter_by(name=ref))
    if endpoint is None:
        raise NotFound(f"Pipeline endpoint '{ref}' does not exist.")
    return endpoint


def version_of(endpoint: PipelineEndpoint, number: Any = None) -> PublishedVersion:
    """The given version (default: the endpoint's default), or NotFound listing the versions."""
    if number in (None, ""):
        number = endpoint.default_version
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise BadRequest(f"pipelineVersion must be a version number, got {number!r}.",
                         field="pipelineVersion") from None
    found = next((v for v in endpoint.versions if v.version == number), None)
    if found is None:
        known = ", ".join(str(v.version) for v in endpoint.versions) or "none"
        raise NotFound(f"Pipeline endpoint '{endpoint.name}' has no version {number} "
                       f"(versions: {known}).", field="pipelineVersion")
    return found


def publish(pipeline_id: str, *, endpoint: str | None = None, new_endpoint: dict | None = None,
            set_default: bool = False, description: str = "", by: str = "") -> PublishedVersion:
    """Freeze the draft as the next version of an endpoint (a new one, or an existing one)."""
    if (endpoint is None) == (new_endpoint is None):
        raise BadRequest("Give either 'endpoint' (an existing id or name) or 'new_endpoint'.",
                         field="endpoint")
    doc = pipelines.parse(pipelines.get(pipeline_id).document)
    runs.plan_for(doc, {})  # validation errors block publishing, listed by node
    if new_endpoint is not None:
        target = _create_endpoint(new_endpoint, by)
    else:
        target = find(endpoint)
    number = (db.session.scalar(select(func.max(PublishedVersion.version))
                                .where(PublishedVersion.endpoint_id == target.id)))
    number = 0 if number is None else number + 1
    version = PublishedVersion(endpoint=target, version=number, document=doc.dump(),
                               parameter_schema=parameter_schema(doc), description=description,
                               pipeline_id=pipeline_id, published_by=by)
    if number == 0 or set_default:
        target.default_version = number
    db.session.add(version)
    try:
        db.session.commit()
    except IntegrityError:  # two publishes of the same endpoint at once
        db.session.rollback()
        raise Conflict(f"Pipeline endpoint '{target.name}' was published to at the same "
                       "time; try again.") from None
    if new_endpoint is not None:
        audit.record("endpoint.create", target.name, {"id": target.id})
    audit.record("pipeline.publish", target.name, {"version": number, "pipeline_id": pipeline_id,
                                                   "default": target.default_version == number})
    return version


def _create_endpoint(data: dict, by: str) -> PipelineEndpoint:
    name = data.get("name")
    if problem := name_problem("Endpoint name", name):
        raise BadRequest(problem, field="new_endpoint.name")
    if db.session.scalar(select(PipelineEndpoint).filter_by(name=name)):
        raise Conflict(f"A pipeline endpoint named '{name}' exists; select it instead.",
                       field="new_endpoint.name")
    endpoint = PipelineEndpoint(name=name, description=str(data.get("description") or ""),
                                created_by=by)
    db.session.add(endpoint)
    return endpoint


def set_default(ref: str, number: Any) -> PipelineEndpoint:
    """Make a version the endpoint's default."""
    endpoint = find(ref)
    endpoint.default_version = version_of(endpoint, number).version
    db.session.commit()
    audit.record("endpoint.default", endpoint.name, {"version": endpoint.default_version})
    return endpoint


def set_enabled(ref: str, enabled: bool) -> PipelineEndpoint:
    """Enable or disable an endpoint (a disabled one refuses submissions)."""
    endpoint = find(ref)
    endpoint.status = ACTIVE if enabled else DISABLED
    db.session.commit()
    audit.record("endpoint.enable" if enabled else "endpoint.disable", endpoint.name)
    return endpoint


def frozen_document(endpoint_id: str, number: int,
                    data: dict | None = None) -> tuple[PipelineDocument, dict]:
    """A published version's document model and its JSON data (``data``: the stored document
    when the caller has it), parsed once per process: a version never changes."""
    versions = runtime().versions
    found = versions.get((endpoint_id, number))
    if found is None:
        if data is None:
            data = db.session.scalar(select(PublishedVersion.document).where(
                PublishedVersion.endpoint_id == endpoint_id, PublishedVersion.version == number))
        doc = PipelineDocument.model_validate(data)
        if len(versions) >= 1000:
            versions.clear()
        found = versions[(endpoint_id, number)] = (doc, doc.dump())
    return found


def assignments(published: PublishedVersion, body: dict) -> tuple[PipelineDocument, dict]:
    """The version's document and the parameter values an Azure ML style body assigns."""
    doc, _ = frozen_document(published.endpoint_id, published.version, published.document)
    return doc, assigned_values(doc, body)


def assigned_values(doc: PipelineDocument, body: dict) -> dict:
    """The parameter values an Azure ML style body assigns in ``doc``."""
    values = dict(body.get("parameter_assignments") or {})
    for name, path in (body.get("data_path_assignments") or {}).items():
        param = doc.parameter(name)
        if param is not None and param.type != "data_path":
            raise Unprocessable(f"DataPathAssignments names '{name}', a {param.type} "
                                "parameter; put it in ParameterAssignments.", parameter=name)
        values[name] = path
    return values


def submit(ref: str, version: Any, body: dict, *, by: str = "", source: str = "api") -> Run:
    """Submit a run of a published version with Azure ML style assignments."""
    target = _submit_target(ref, version)
    if target is None:
        find(ref)  # raises NotFound
    if target.status != ACTIVE:
        raise Conflict(f"Pipeline endpoint '{target.name}' is disabled.")
    if target.version is None:
        version_of(find(ref), version)  # raises what is wrong with the version asked for
    doc, stored = frozen_document(target.id, target.version)
    return runs.submit(doc, parameters=assigned_values(doc, body),
                       experiment=body.get("experiment_name"),
                       description=body.get("description") or "", source=source,
                       pipeline_id=target.pipeline_id, submitted_by=by,
                       endpoint=(target.id, target.version), stored=stored)


def _submit_target(ref: str, number: Any):
    """(id, name, status, version, pipeline_id) of an endpoint by id or name, with the given
    version (default: the endpoint's default; version None when it has no such version), in
    one query; or None."""
    if number in (None, ""):
        return db.session.execute(_DEFAULT_TARGET, {"ref": ref}).first()
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = -1  # no version: version_of() names the problem
    return db.session.execute(_NUMBERED_TARGET, {"ref": ref, "number": number}).first()


def _target_query(version_number):
    """The query of ``_submit_target`` for one way of choosing the version; built once."""
    endpoint, version = PipelineEndpoint, PublishedVersion
    ref = bindparam("ref")
    return (select(endpoint.id, endpoint.name, endpoint.status, version.version,
                   version.pipeline_id)
            .outerjoin(version, (version.endpoint_id == endpoint.id)
                       & (version.version == version_number))
            .where((endpoint.id == ref) | (endpoint.name == ref))
            .order_by((endpoint.id == ref).desc()).limit(1))


_DEFAULT_TARGET = _target_query(PipelineEndpoint.default_version)
_NUMBERED_TARGET = _target_query(bindparam("number"))


def list_all() -> list[PipelineEndpoint]:
    """Every endpoint by name."""
    return list(db.session.scalars(select(PipelineEndpoint).order_by(PipelineEndpoint.name)))


def version_dict(v: PublishedVersion) -> dict:
    """JSON form of a version (document included)."""
    return {"version": v.version, "description": v.description, "published_by": v.published_by,
            "published": iso(v.published), "pipeline_id": v.pipeline_id,
            "is_default": v.endpoint.default_version == v.version,
            "parameters": v.document.get("parameters", []),
            "parameter_schema": v.parameter_schema, "document": v.document}


def as_dict(endpoint: PipelineEndpoint, *, full: bool = False) -> dict:
    """JSON form of an endpoint; ``full`` adds its versions."""
    last = db.session.scalar(select(Run).where(Run.endpoint_id == endpoint.id)
                             .order_by(Run.created.desc()).limit(1))
    out = {"id": endpoint.id, "name": endpoint.name, "description": endpoint.description,
           "status": endpoint.status, "default_version": endpoint.default_version,
           "versions": len(endpoint.versions), "created": iso(endpoint.created),
           "created_by": endpoint.created_by,
           "last_run": None if last is None else {"id": last.id, "status": last.status,
                                                  "created": iso(last.created)}}
    if full:
        out["published"] = [version_dict(v) for v in endpoint.versions]
    return out
