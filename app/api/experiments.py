"""Experiments: names with their run counts and latest run."""

from flask import Blueprint, jsonify

from ..services import runs

bp = Blueprint("experiments", __name__, url_prefix="/api/v1/experiments")


@bp.get("")
def list_experiments():
    """Every experiment with its number of runs and its latest run's status and time."""
    return jsonify({"experiments": runs.experiment_summaries()})
