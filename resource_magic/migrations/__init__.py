"""Alembic's script directory: env.py and versions/ (see CONTRIBUTING.md)."""

# Any constant: PostgreSQL serialises concurrent upgrades (two stores opening a new
# database, or a store and a contributor's `alembic upgrade`) on this advisory lock.
PG_LOCK_KEY = 7_310_428_551
