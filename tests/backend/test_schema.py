"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.backend.db import sync_url
from bot.backend.models import Base


def test_migrated_database_matches_the_models(any_database_url: str) -> None:
    """A model change without its migration (or the reverse) would break the first deployment that upgrades."""
    engine = sa.create_engine(sync_url(any_database_url))
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
