"""Where the database lives and who the user is, before anything is configured."""

from __future__ import annotations

import getpass
import os
import re
from pathlib import Path
from urllib.parse import unquote_plus

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


def configured_user() -> str | None:
    """RESOURCE_MAGIC_USER when it is set: a user chosen on purpose (on a team
    database, where the login is the user, a different one is refused)."""
    return os.environ.get(USER_ENV, "").strip() or None


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


# Credentials in a URL: the userinfo password, and query parameters whose key (decoded,
# case-insensitive) names a password, key file, token or secret (libpq's `password`,
# `sslpassword`, `passfile`, `sslkey`, and any driver's look-alikes). No SQLAlchemy
# here, so `%resource whoami` works without importing the database layer.
_SECRET_KEY_PARTS = ("pass", "pwd", "secret", "token", "key", "auth", "credential")
# The userinfo password runs to the *last* `@` that is followed by a host: a password
# with an unencoded `@`, `/` or `?` is then masked whole, never shown in part. (When a
# query value also holds an `@`, more than the password is masked: safe, if less tidy.)
_USERINFO_RE = re.compile(
    r"^(?P<head>[\w+.-]+://[^:/@?#]*:)(?P<password>.*)@(?P<host>[^@/?#]*(?=[/?#]|$))",
    re.DOTALL,
)
MASK = "***"


def _secret_key(key: str) -> bool:
    name = unquote_plus(key).casefold()
    return any(part in name for part in _SECRET_KEY_PARTS)


def _mask_query(query: str) -> str:
    parts = []
    for item in re.split(r"([&;])", query):
        key, eq, _value = item.partition("=")
        parts.append(f"{key}={MASK}" if eq and _secret_key(key) else item)
    return "".join(parts)


def masked_url(url: str) -> str:
    """The database URL with every credential replaced by ***, for display: the
    userinfo password and the values of password-, key- and token-like query
    parameters. The one function everything that shows a URL goes through."""
    url = str(url)
    match = _USERINFO_RE.match(url)
    if match is not None:
        url = f"{match['head']}{MASK}@{match['host']}{url[match.end() :]}"
    head, question, query = url.partition("?")
    if not question:
        return url
    query, hash_, fragment = query.partition("#")
    return f"{head}?{_mask_query(query)}{hash_}{fragment}"
