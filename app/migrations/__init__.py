"""Database schema migrations (Alembic): ``versions/`` holds one revision per schema change."""
