"""POST /oauth2/token: the OAuth 2.0 client credentials grant (RFC 6749 section 4.4)."""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from flask import Blueprint, Flask, current_app, request

from .. import limits
from ..services import audit, auth
from . import form

bp = Blueprint("oauth", __name__, url_prefix="/oauth2")


class _Client(ClientMixin):
    """authlib's view of a service principal: client credentials only, no scopes.

    Every client id gets one, known or not, so an unknown id is refused after the same
    hashing work and with the same answer as a wrong secret.
    """

    def __init__(self, client_id: str):
        self.client_id = client_id
        self.row = None

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return ""

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        self.row = auth.verify_client(self.client_id, client_secret)
        return self.row is not None

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials"


class _ClientCredentials(grants.ClientCredentialsGrant):
    # HTTP Basic or form fields, as OAuth 2.0 clients commonly send them.
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def _query_client(client_id):
    return _Client(client_id)


def _save_token(token, request):
    auth.store_token(request.client.row, token["access_token"], token["expires_in"])


def init(app: Flask) -> None:
    """Bind the token server to the app (token lifetime from DESIGNER_TOKEN_SECONDS)."""
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {
        "client_credentials": app.config["DESIGNER_TOKEN_SECONDS"]}
    server = AuthorizationServer(app, query_client=_query_client, save_token=_save_token)
    server.register_grant(_ClientCredentials)
    app.extensions["oauth2_server"] = server
    app.register_blueprint(bp)


def _client_id() -> str:
    """The client id a token request names (form field or HTTP Basic user)."""
    basic = request.authorization
    if basic is not None and basic.type == "basic" and basic.username:
        return basic.username
    return request.form.get("client_id", "")


@bp.post("/token")
@form("application/x-www-form-urlencoded", {
    "type": "object", "required": ["grant_type"],
    "properties": {"grant_type": {"type": "string", "enum": ["client_credentials"]},
                   "client_id": {"type": "string"}, "client_secret": {"type": "string"}}})
@limits.failed_attempts(lambda: f"client:{_client_id()}")
def token():
    """Exchange client credentials for a bearer token: access_token, token_type, expires_in."""
    response = current_app.extensions["oauth2_server"].create_token_response()
    if response.status_code != 200:
        client_id = _client_id()
        known = auth.client_by_id(client_id) if client_id else None
        audit.record("token.refused", known.name if known else client_id,
                     {"error": (response.get_json(silent=True) or {}).get("error", ""),
                      "client_id": client_id},
                     actor=f"client:{known.name}" if known else audit.ANONYMOUS)
    return response
