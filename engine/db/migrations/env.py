"""Alembic environment: runs on the connection engine.db.schema hands it (no alembic.ini needed)."""

from alembic import context

from engine.db.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
