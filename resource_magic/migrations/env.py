"""Alembic environment: runs on the connection the store hands over (no ini file)."""

from alembic import context

from resource_magic.models import (
    SEARCH_FTS_TABLE,
    SEARCH_INDEXES,
    SEARCH_KEY_COLUMN,
    Base,
)

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - we never run alembic from the command line
    raise RuntimeError("resource_magic migrations run through resource_magic.migrate")


def include_name(name, type_, parent_names):
    """Do not even reflect the FTS5 table and its shadow tables (SQLite only)."""
    return not (type_ == "table" and (name or "").startswith(SEARCH_FTS_TABLE))


def include_object(obj, name, type_, reflected, compare_to):
    """Leave the search index objects (migration 0002, not the models) out."""
    if not reflected or compare_to is not None:
        return True
    if type_ == "column":
        return not (name == SEARCH_KEY_COLUMN and obj.table.name == "resource")
    if type_ in ("index", "unique_constraint"):
        return name not in SEARCH_INDEXES
    return True


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=include_name,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
