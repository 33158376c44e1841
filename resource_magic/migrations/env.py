"""Alembic environment.

Two ways in, as in Alembic's generic template plus its "sharing a connection" recipe:
- a store opening a database hands over its connection (`resource_magic.migrate` puts
  it in `config.attributes["connection"]`);
- a contributor runs the `alembic` command from the repository root (alembic.ini) and
  names the database with `-x url=...` or `sqlalchemy.url`, for example to write the
  next revision: `alembic -x url=sqlite:///dev.db revision --autogenerate -m "..."`.
Either way, on PostgreSQL concurrent upgrades queue on one advisory lock.
"""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, text

from resource_magic.migrations import PG_LOCK_KEY
from resource_magic.schema import (
    SEARCH_FTS_TABLE,
    SEARCH_INDEXES,
    SEARCH_KEY_COLUMN,
    metadata,
)


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


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
        include_object=include_object,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK_KEY}
            )
        context.run_migrations()


def database_url() -> str:
    """The URL a contributor gave: `-x url=...`, else `sqlalchemy.url`."""
    url = context.get_x_argument(as_dictionary=True).get("url")
    url = url or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit(
            "Name the database: alembic -x url=sqlite:///dev.db ... (or set "
            "sqlalchemy.url in the config file)."
        )
    return url


if context.is_offline_mode():
    raise SystemExit(
        "resource_magic migrations run against a database: drop --sql and give "
        "-x url=..."
    )
handed_over = context.config.attributes.get("connection")
if handed_over is not None:
    run_migrations(handed_over)
else:
    if context.config.config_file_name:
        fileConfig(context.config.config_file_name)  # the alembic command's logging
    engine = create_engine(database_url())
    try:
        with engine.connect() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()
