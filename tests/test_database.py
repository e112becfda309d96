"""Schema migrations: every revision from empty gives the models' schema; old databases upgrade."""

import sqlite3
from pathlib import Path

import sqlalchemy
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app import create_app, database
from app.extensions import db
from tests.conftest import postgres_schema, search_path
from tests.helpers_server import SHIPPED_SAMPLES


def differences(connection):
    """What autogenerate would write: the models' tables against the database's."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, db.metadata)


def migrate_from_empty(engine):
    with engine.begin() as connection:
        command.upgrade(database.alembic_config(connection), "head")
    with engine.connect() as connection:
        return differences(connection)


def test_every_revision_from_an_empty_sqlite_database_gives_the_models_schema(tmp_path):
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert migrate_from_empty(engine) == []
    assert database.current(engine) == database.head()
    engine.dispose()


def test_every_revision_from_an_empty_postgresql_schema_gives_the_models_schema():
    with postgres_schema("m") as (url, schema):
        engine = sqlalchemy.create_engine(url, **search_path(schema))
        try:
            assert migrate_from_empty(engine) == []
            assert database.current(engine) == database.head()
        finally:
            engine.dispose()


def test_a_new_instance_is_at_the_newest_revision(app):
    with app.app_context():
        assert database.current(db.engine) == database.head()
        with db.engine.connect() as connection:
            assert differences(connection) == []


def test_a_database_from_before_migrations_is_adopted_and_keeps_its_data(tmp_path, caplog):
    home = tmp_path / "instance"
    first = create_app({"DESIGNER_HOME": str(home), "SECRET_KEY": "test"})
    with first.app_context():
        from app.services import samples

        samples.init()
        db.engine.dispose()
    first.extensions["designer"].shutdown()
    with sqlite3.connect(home / "designer.db") as raw:  # as a build without migrations left it
        raw.execute("DROP TABLE alembic_version")
        later_revisions = ("webhook_deliveries", "webhooks", "schedule_fires", "schedules",
                           "realtime_request_buckets", "realtime_deployments", "audit_log",
                           "promotion_decisions", "realtime_endpoints",
                           "model_versions", "registered_models")
        for later in later_revisions:
            raw.execute(f"DROP TABLE {later}")
        pipelines = raw.execute("SELECT id, name FROM pipelines ORDER BY id").fetchall()
    assert len(pipelines) == SHIPPED_SAMPLES

    caplog.set_level("INFO", logger="app.database")
    again = create_app({"DESIGNER_HOME": str(home), "SECRET_KEY": "test"})
    assert "database from before migrations: taken to be at revision 0001" in caplog.text
    with again.app_context():
        assert database.current(db.engine) == database.head()
        rows = db.session.execute(sqlalchemy.text("SELECT id, name FROM pipelines ORDER BY id"))
        assert [tuple(r) for r in rows] == pipelines
        db.engine.dispose()
    again.extensions["designer"].shutdown()


def test_the_cli_prints_the_revision(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from app.cli import main

    monkeypatch.setenv("DESIGNER_HOME", str(tmp_path / "instance"))
    result = CliRunner().invoke(main, ["db", "version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == database.head() == "0006"


def test_a_database_at_the_first_revision_gains_the_audit_log_and_keeps_its_data(tmp_path):
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'designer.db'}")
    with engine.begin() as connection:
        command.upgrade(database.alembic_config(connection), "0001")
        connection.execute(sqlalchemy.text(
            "INSERT INTO experiments (name, created) VALUES ('kept', '2026-01-01')"))
    engine.dispose()
    app = create_app({"DESIGNER_HOME": str(tmp_path), "SECRET_KEY": "test"})
    with app.app_context():
        assert database.current(db.engine) == "0006"
        names = db.session.execute(sqlalchemy.text("SELECT name FROM experiments")).scalars()
        assert list(names) == ["kept"]
        assert "audit_log" in sqlalchemy.inspect(db.engine).get_table_names()
        db.engine.dispose()
    app.extensions["designer"].shutdown()


def test_webhook_deliveries_of_revision_0005_keep_whether_they_were_delivered(tmp_path):
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'designer.db'}")
    with engine.begin() as connection:
        command.upgrade(database.alembic_config(connection), "0005")
        connection.execute(sqlalchemy.text(
            "INSERT INTO webhooks (id, url, secret, events, enabled, created_by, created) "
            "VALUES ('h1', 'https://example.com/hook', 's', '[]', 1, '', '2026-01-01')"))
        connection.execute(sqlalchemy.text(
            "INSERT INTO webhook_deliveries (id, webhook_id, event, payload, attempts, "
            "status_code, delivered, created) VALUES "
            "(1, 'h1', 'test', '{}', '[]', 200, 1, '2026-01-01'), "
            "(2, 'h1', 'test', '{}', '[]', 500, 0, '2026-01-01')"))
    engine.dispose()
    app = create_app({"DESIGNER_HOME": str(tmp_path), "SECRET_KEY": "test"})
    with app.app_context():
        rows = db.session.execute(sqlalchemy.text(
            "SELECT id, state, next_attempt_at FROM webhook_deliveries ORDER BY id"))
        assert [tuple(r) for r in rows] == [(1, "delivered", None), (2, "failed", None)]
        db.engine.dispose()
    app.extensions["designer"].shutdown()


def test_the_cli_writes_a_revision_of_what_the_models_add(tmp_path, monkeypatch):
    import shutil

    from click.testing import CliRunner

    from app.cli import main

    # The revision goes into a copy of the migrations folder, never into the checkout.
    migrations = tmp_path / "migrations"
    shutil.copytree(database.MIGRATIONS, migrations,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shipped = sorted(p.name for p in (database.MIGRATIONS / "versions").glob("*.py"))
    monkeypatch.setattr(database, "MIGRATIONS", migrations)
    home = tmp_path / "instance"
    monkeypatch.setenv("DESIGNER_HOME", str(home))
    assert CliRunner().invoke(main, ["db", "version"]).exit_code == 0
    with sqlite3.connect(home / "designer.db") as raw:  # as if the models had just gained it
        raw.execute("DROP TABLE access_tokens")

    result = CliRunner().invoke(main, ["db", "revision", "add access tokens"])

    assert result.exit_code == 0, result.output
    (written,) = [p for p in (migrations / "versions").glob("*.py") if p.name not in shipped]
    text = written.read_text()
    assert '"""add access tokens' in text
    assert "down_revision" in text and "'0006'" in text
    assert "op.create_table('access_tokens'" in text and "op.drop_table('access_tokens')" in text
    checkout = Path(database.__file__).parent / "migrations" / "versions"
    assert sorted(p.name for p in checkout.glob("*.py")) == shipped
