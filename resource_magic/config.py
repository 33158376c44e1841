"""Where the database lives and who the user is, before anything is configured."""

from __future__ import annotations

import getpass
import os
import re
from pathlib import Path

DATABASE_URL_ENV = "RESOURCE_MAGIC_DATABASE_URL"
USER_ENV = "RESOURCE_MAGIC_USER"
JUPYTERHUB_USER_ENV = "JUPYTERHUB_USER"  # set by JupyterHub in every single-user server


def default_database_path() -> Path:
    """The embedded SQLite file in the user's data directory."""
    import platformdirs

    return (
        Path(platformdirs.user_data_dir("resource_magic", appauthor=False))
        / "resources.db"
    )


def default_database_url() -> str:
    """RESOURCE_MAGIC_DATABASE_URL, else the SQLite file in the user data directory."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        return url
    return f"sqlite:///{default_database_path()}"


def default_user() -> str:
    """RESOURCE_MAGIC_USER, else JUPYTERHUB_USER, else the operating-system login name.

    On JupyterHub every single-user server runs as the same system account in many
    deployments (e.g. `jovyan`), while JUPYTERHUB_USER names the person.
    """
    for variable in (USER_ENV, JUPYTERHUB_USER_ENV):
        user = os.environ.get(variable, "").strip()
        if user:
            return user
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers): a stable fallback
        return "default"


# scheme://user:PASSWORD@host -> scheme://user:***@host (no SQLAlchemy needed, so
# `%resource whoami` works without opening or even importing the database layer)
_PASSWORD_RE = re.compile(r"^(?P<head>[\w+.-]+://[^:/@?#]*:)(?P<password>[^@]*)@")


def masked_url(url: str) -> str:
    """The database URL with its password replaced by ***, for display."""
    return _PASSWORD_RE.sub(lambda m: f"{m.group('head')}***@", url, count=1)
