"""HTML pages: each is a shell the ES modules in static/js/pages fill through the API."""

from pathlib import Path

import plotly as plotly_package
from flask import Blueprint, render_template, send_file
from flask_login import login_required

from ..services import pipelines as pipeline_service
from ..services import runs as run_service

bp = Blueprint("pages", __name__)
PLOTLY_JS = Path(plotly_package.__file__).parent / "package_data" / "plotly.min.js"


@bp.get("/")
@login_required
def pipelines():
    """The list of pipeline drafts."""
    return render_template("pipelines.html", active="pipelines")


@bp.get("/pipelines/<pipeline_id>")
@login_required
def designer(pipeline_id):
    """The designer canvas of one pipeline."""
    return render_template("designer.html", pipeline=pipeline_service.get(pipeline_id),
                           active="pipelines")


@bp.get("/runs/<run_id>")
@login_required
def run_view(run_id):
    """One run: its graph with live step status, outputs and logs."""
    return render_template("run.html", run=run_service.get(run_id), active="experiments")


@bp.get("/experiments")
@login_required
def experiments():
    """Runs grouped by experiment, with comparison."""
    return render_template("experiments.html", active="experiments")


@bp.get("/vendor/plotly.min.js")
def plotly():
    """plotly.js from the installed Python package: charts work offline."""
    return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=86400)
