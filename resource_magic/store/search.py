"""Substring search over name and description.

Both sides are case-folded in Python (`validate.search_fold`), so the match is a plain,
case-sensitive substring test that SQLite and PostgreSQL answer identically; `%`, `_`
and `\\` in the query are literal."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import Resource


def search_clause(session: Session, needle: str):
    """WHERE clause: the folded search text contains the folded needle."""
    return Resource.search_text.contains(needle, autoescape=True)
