"""Alembic environment: migrations run on the connection app.database hands over."""

from alembic import context

from app import models  # noqa: F401 - registers the tables on the metadata
from app.extensions import db

connection = context.config.attributes["connection"]
# Batch mode lets the same operations alter tables on SQLite, which has little ALTER TABLE.
context.configure(connection=connection, target_metadata=db.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
