"""Pipeline Designer: a self-hosted visual machine-learning pipeline designer."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from sqlalchemy import event

from . import config, errors, security
from .extensions import db, login_manager


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: configuration, database, module registry, executor, blueprints."""
    app = Flask(__name__, instance_relative_config=False,
                static_folder=str(config.ROOT / "static"),
                template_folder=str(config.ROOT / "templates"))
    app.config.update(config.load() if test_config is None else _test_defaults(test_config))
    security.init(app)
    Path(app.config["DESIGNER_HOME"]).mkdir(parents=True, exist_ok=True)
    configure_logging()

    db.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        _tune_sqlite(db.engine)
        from . import database

        database.upgrade(db.engine)

    from .engine.registry import discover
    from .services.runtime import Runtime

    app.extensions["designer"] = Runtime(app, discover())
    errors.register(app)
    from . import access_log, limits

    access_log.init(app)  # first, so its clock starts before the other hooks
    limits.init(app)

    from .api import register as register_api
    from .services import auth
    from .views import auth as auth_views
    from .views import pages
    from .views.assets import module_preloads

    login_manager.user_loader(auth.load_session_user)
    app.jinja_env.globals["csrf_token"] = auth.csrf_token
    app.jinja_env.globals["module_preloads"] = module_preloads
    register_api(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(auth_views.bp)
    return app


def configure_logging() -> None:
    """Log lines at INFO and above to standard error, with time, level and logger."""
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its set-up lines at every start


def _test_defaults(test_config: dict) -> dict:
    """Tests pass a dict; anything they leave out comes from an isolated environment."""
    home = test_config.get("DESIGNER_HOME")
    base = config.load({"DESIGNER_HOME": home} if home else {})
    base["TESTING"] = True
    base.update(test_config)
    return base


def _tune_sqlite(engine) -> None:
    """WAL, a busy timeout and foreign keys, so server threads and the executor share SQLite."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across app crashes in WAL mode
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
