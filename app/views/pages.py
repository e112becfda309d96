"""HTML pages: each is a shell the ES modules in static/js/pages fill through the API."""

from pathlib import Path

import plotly as plotly_package
from flask import Blueprint, abort, render_template, send_file
from flask_login import current_user, login_required

from ..config import ROOT
from ..models import ROLES
from ..services import models as model_service
from ..services import module_help, publishing, realtime
from ..services import pipelines as pipeline_service
from ..services import runs as run_service

bp = Blueprint("pages", __name__)


def _page(name: str, **context):
    """Render templates/NAME.html, whose script is static/js/pages/NAME.js (preloaded)."""
    return render_template(f"{name}.html", page_module=f"js/pages/{name}.js", **context)
STATIC = ROOT / "static"
PLOTLY_JS = Path(plotly_package.__file__).parent / "package_data" / "plotly.min.js"


@bp.get("/")
@login_required
def pipelines():
    """The list of pipeline drafts."""
    return _page("pipelines", active="pipelines")


@bp.get("/pipelines/<pipeline_id>")
@login_required
def designer(pipeline_id):
    """The designer canvas of one pipeline."""
    return _page("designer", pipeline=pipeline_service.get(pipeline_id),
                           active="pipelines")


@bp.get("/runs/<run_id>")
@login_required
def run_view(run_id):
    """One run: its graph with live step status, outputs and logs."""
    return _page("run", run=run_service.get(run_id), active="experiments")


@bp.get("/experiments")
@login_required
def experiments():
    """Runs grouped by experiment, with comparison."""
    return _page("experiments", active="experiments")


@bp.get("/datastores")
@login_required
def datastores():
    """Registered datastores: browse, upload, register."""
    return _page("datastores", active="datastores")


@bp.get("/endpoints")
@login_required
def endpoints():
    """Pipeline endpoints: published, versioned pipelines to retrain."""
    return _page("endpoints", active="endpoints")


@bp.get("/endpoints/<ref>")
@login_required
def endpoint(ref):
    """One endpoint: overview, published versions, runs."""
    return _page("endpoint", endpoint=publishing.find(ref), active="endpoints")


@bp.get("/endpoints/realtime/<name>")
@login_required
def realtime_endpoint(name):
    """One real-time endpoint: overview, a test form, code to consume it."""
    return _page("realtime", endpoint=realtime.find(name), active="endpoints")


@bp.get("/models")
@login_required
def models():
    """Registered models and their versions."""
    return _page("models", active="models", model=None)


@bp.get("/models/<name>")
@login_required
def model(name):
    """One registered model: every version with its lineage and downloads."""
    return _page("models", active="models", model=model_service.find(name))


@bp.get("/admin")
@login_required
def admin():
    """Users and service principals (admins only)."""
    if current_user.role != "admin":
        abort(403)
    return _page("admin", active="admin", roles=ROLES)


@bp.get("/modules/<name>/help")
@login_required
def module_help_page(name):
    """A module's help: its description, ports and parameters, from its declaration."""
    return render_template("module_help.html", help=module_help.module_help(name),
                           active="pipelines")


@bp.get("/favicon.ico")
def favicon():
    """The tab icon."""
    return send_file(STATIC / "favicon.svg", mimetype="image/svg+xml", max_age=86400)


@bp.get("/vendor/plotly.min.js")
def plotly():
    """plotly.js from the installed Python package: charts work offline."""
    return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=86400)
