"""Datastores: list and register named server folders."""

from flask import Blueprint, current_app, jsonify, request

from ..engine.datastores import MAX_PATH_CHARS
from ..errors import BadRequest
from ..services import datastores
from . import answers, body, check_query, form, query, requires
from .bodies import DatastoreBody

bp = Blueprint("datastores", __name__, url_prefix="/api/v1/datastores")
PATH = {"type": "string", "maxLength": MAX_PATH_CHARS}


@bp.get("")
@query(counts={"type": "string", "enum": ["true", "false"]})
def list_datastores():
    """Every registered datastore, with its file count unless ``?counts=false`` (counting walks
    each folder, so pickers that only need the names leave it out)."""
    counts = request.args.get("counts", "true")
    return jsonify({"datastores": [datastores.as_dict(d, with_count=counts == "true")
                                   for d in datastores.list_all()]})


@bp.post("")
@requires("admin")
@answers(201, 422)
@body(DatastoreBody)
def add_datastore(payload: DatastoreBody):
    """Register an existing server folder under a name."""
    store = datastores.add(payload.name, payload.root)
    return jsonify(datastores.as_dict(store)), 201


@bp.delete("/<name>")
@requires("admin")
def remove_datastore(name):
    """Forget a datastore; its files stay on disk and pipelines using it fail validation."""
    datastores.remove(name)
    return "", 204


@bp.get("/<name>/browse")
@answers(200, 422)
@query(path=PATH)
def browse(name):
    """The files and folders of one folder of a datastore (?path=, default the root)."""
    return jsonify(datastores.browse(name, request.args.get("path", "")))


@bp.get("/<name>/preview")
@answers(200, 422)
@query(path=PATH | {"minLength": 1, "required": True},
       rows={"type": "integer", "minimum": 1, "maximum": 200})
def preview(name):
    """First rows and detected columns of a CSV, TSV or Parquet file (?path=&rows=20)."""
    path = request.args.get("path", "")
    return jsonify(datastores.preview(name, path, int(request.args.get("rows", "20"))))


@bp.post("/<name>/upload")
@answers(201, 422)
@form("multipart/form-data", {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary"},
                   "folder": PATH,
                   "overwrite": {"type": "string", "enum": ["true", "false"]}}})
def upload(name):
    """Upload a file (multipart field ``file``) into ``folder``; ``overwrite=true`` to replace."""
    file = request.files.get("file")
    if file is None:
        raise BadRequest("Send the file in a multipart form field named 'file'.", field="file")
    check_query("folder", PATH, request.form.get("folder"))
    result = datastores.upload(
        name, request.form.get("folder", ""), file,
        overwrite=request.form.get("overwrite", "").lower() in ("1", "true", "yes", "on"),
        max_bytes=current_app.config["DESIGNER_UPLOAD_MAX_BYTES"],
        extensions=current_app.config["DESIGNER_UPLOAD_EXTENSIONS"])
    return jsonify(result), 201
