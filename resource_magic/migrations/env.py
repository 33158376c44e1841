"""Alembic environment: runs on the connection the store hands over (no ini file)."""

from alembic import context

from resource_magic.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - we never run alembic from the command line
    raise RuntimeError("resource_magic migrations run through resource_magic.migrate")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
