"""Alembic environment: uses the connection handed over by `upgrade()`."""

from __future__ import annotations

from alembic import context

from assistant.kb.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI
    raise RuntimeError("Run migrations through assistant.kb.migrations.upgrade(engine)")

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite",
                  version_table="kb_alembic_version")
with context.begin_transaction():
    context.run_migrations()
