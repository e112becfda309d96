"""Export as Python: a draft or a published version as one standalone script."""

from __future__ import annotations

import re

from ..engine.export import NotExportable, export_script
from ..errors import Unprocessable
from ..modules import standalone
from . import pipelines, publishing
from .runs import validated_plan
from .runtime import runtime


def script(doc) -> str:
    """The script of a pipeline document; 422 for an invalid one or a module it cannot run."""
    plan = validated_plan(doc)
    try:
        return export_script(
            doc, plan, runtime().modules, overrides=standalone.OVERRIDES,
            not_exportable=standalone.NOT_EXPORTABLE, substitutes=standalone.SUBSTITUTES,
            helpers={"data_file": standalone.data_file, "yes_no": standalone.yes_no})
    except NotExportable as exc:
        raise Unprocessable(str(exc), node=exc.node) from None


def draft_script(pipeline_id: str) -> tuple[str, str]:
    """A draft's script and its file name."""
    doc = pipelines.parse(pipelines.get(pipeline_id).document)
    return script(doc), file_name(doc.name)


def version_script(ref: str, number: int) -> tuple[str, str]:
    """A published version's script and its file name."""
    version = publishing.version_of(publishing.find(ref), number)
    doc = pipelines.parse(version.document)
    return script(doc), file_name(f"{version.endpoint.name}_v{version.version}")


def file_name(title: str) -> str:
    """A safe ``.py`` file name from a pipeline or endpoint name."""
    stem = re.sub(r"[^0-9A-Za-z]+", "_", title).strip("_").lower() or "pipeline"
    return f"{stem}.py"
