"""ResourceMagic: the `%resource` / `%%resource` magic and its configuration.

Configuration is traitlets on the Magics class, so `%config ResourceMagic.user = "bob"`
works and takes effect at the next magic. Nothing heavy happens here: the store (and
with it SQLAlchemy and the database) is opened by the first subcommand that needs it,
and one store is kept per (database URL, user), so switching user back and forth is
cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from traitlets import Unicode

from ..config import default_database_url, default_user
from . import commands  # noqa: F401 - registers every subcommand
from .docs import overview
from .router import route

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ..store import ResourceStore


@magics_class
class ResourceMagic(Magics):
    """Keep notebook cells as typed, versioned, shareable resources (see %resource?)."""

    database_url = Unicode(
        None,
        allow_none=True,
        help="SQLAlchemy URL of the resource database (default: "
        "RESOURCE_MAGIC_DATABASE_URL, else an embedded SQLite file).",
    ).tag(config=True)
    user = Unicode(
        None,
        allow_none=True,
        help="Whose resources to work with (default: RESOURCE_MAGIC_USER, else "
        "JUPYTERHUB_USER, else the login name).",
    ).tag(config=True)

    def __init__(self, shell=None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self._stores: dict[tuple[str, str], ResourceStore] = {}

    def settings(self) -> tuple[str, str]:
        """The database URL and user the next subcommand will use."""
        url = (self.database_url or "").strip() or default_database_url()
        user = (self.user or "").strip() or default_user()
        return url, user

    def store(self) -> ResourceStore:
        """The store for the current settings, opened (and migrated) on first use."""
        from ..store import ResourceStore

        # An unset user stays None: on a team database the login is the user.
        url = self.settings()[0]
        key = (url, (self.user or "").strip() or None)
        store = self._stores.get(key)
        if store is None:
            store = ResourceStore(*key)
            self._stores[key] = store
        return store

    @line_cell_magic
    @no_var_expand
    def resource(self, line: str, cell: str | None = None) -> Any:
        return route(self, line, cell)

    resource.__doc__ = overview()
