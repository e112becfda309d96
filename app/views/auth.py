"""Sign in and sign out."""

from urllib.parse import urlparse

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .. import limits
from ..services import auth

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    parts = urlparse(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/") \
            or target.startswith("//"):
        return url_for("pages.pipelines")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limits.failed_attempts(lambda: f"user:{request.form.get('username', '')}")
def login():
    """The sign-in form; a wrong name or password gets one message for both."""
    error = None
    if request.method == "POST":
        if not auth.csrf_ok(request.form.get("csrf_token")):
            abort(400, "The form expired; reload the page and sign in again.")
        user = auth.check_login(request.form.get("username", ""),
                                request.form.get("password", ""))
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        error = "Invalid user name or password."
    status = 401 if error else 200
    return render_template("login.html", error=error, csrf=auth.csrf_token()), status


@bp.post("/logout")
@login_required
def logout():
    """End every session of this user (old cookies stop working) and sign out."""
    if not auth.csrf_ok(request.form.get("csrf_token")):
        abort(400, "The form expired; reload the page and try again.")
    auth.end_sessions(current_user)
    logout_user()
    return redirect(url_for("auth.login"))
