"""The home page: pipelines, recent runs and where the API lives."""

from flask import Blueprint, render_template

from ..services import pipelines, runs

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    """List the drafts and the latest runs."""
    return render_template("home.html", pipelines=pipelines.list_all(),
                           runs=runs.list_runs(limit=20))
