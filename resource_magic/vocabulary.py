"""The words every layer shares: resource types, sort keys, column sizes and limits,
and the rule for parameter names, each stated once here.

Pure standard library (no SQLAlchemy, no IPython), so the models, the checks, the
templates, the store, the magics and the browser all derive from it, and
`%resource help` opens no database.
"""

from __future__ import annotations

import keyword
import re
from typing import NamedTuple

from .errors import InvalidInput

RESOURCE_TYPES = ("workflow", "prompt", "agent_config")


# -- sort keys of `list` and the browser ---------------------------------------------
class SortField(NamedTuple):
    column: str  # the Resource attribute it orders by
    record: str  # the ResourceRecord attribute holding that value
    descending: bool  # the browser offers it newest / largest first
    label: str  # ... under this label


# `sort="KEY"` orders ascending, `sort="-KEY"` descending. The store builds its ORDER BY
# from this, `list --sort` its help and the browser its menu.
SORT_FIELDS = {
    "updated": SortField("updated_at", "updated_at", True, "recently updated"),
    "created": SortField("created_at", "created_at", True, "recently created"),
    "name": SortField("name", "name", False, "name"),
    "type": SortField("resource_type", "resource_type", False, "type"),
    "executions": SortField("execution_count", "execution_count", True, "most run"),
    "forks": SortField("fork_count", "fork_count", True, "most forked"),
    "version": SortField("current_version", "version", True, "most versions"),
}
DEFAULT_SORT = "-updated"

# -- sizes: the columns' lengths and the checks' limits -------------------------------
NAME_LENGTH = 255  # user and resource names
TYPE_LENGTH = 20  # resource_type
TAG_LENGTH = 64  # tags and labels
MIME_LENGTH = 100  # an attachment's MIME type
DIGEST_LENGTH = 64  # a share token's SHA-256, in hex
PREFIX_LENGTH = 16  # a share token's shown start
MAX_CONTENT_BYTES = 1_048_576  # 1 MiB of JSON per version's content, and its parameters

# -- parameter names ------------------------------------------------------------------
# A parameter becomes a variable of the workflow (so a Python identifier that is not a
# keyword) and fills a prompt's {{ name }} placeholder. __dunder__ names are Python's
# own (a parameter `__builtins__` would replace the namespace's builtins). ASCII only:
# the same text then means the same name to Python (which NFKC-normalises identifiers),
# the databases and the placeholder pattern.
PARAMETER_NAME = (
    rf"(?!(?:{'|'.join(keyword.kwlist)})\b)(?!__\w*__\b)[A-Za-z_][A-Za-z0-9_]*"
)
_PARAMETER_NAME_RE = re.compile(PARAMETER_NAME, re.ASCII)


def check_parameter_name(name: object) -> str:
    """`name` if it may name a parameter (save, import, --param, -p, placeholders)."""
    if isinstance(name, str) and _PARAMETER_NAME_RE.fullmatch(name):
        return name
    shown = _shown(name)
    if isinstance(name, str) and keyword.iskeyword(name):
        raise InvalidInput(
            f"Parameter name {shown} is a Python keyword: choose another, like {name}_."
        )
    if isinstance(name, str) and re.fullmatch(r"__\w*__", name, re.ASCII):
        raise InvalidInput(
            f"Parameter name {shown} is kept for Python's own names (__...__): "
            "choose another."
        )
    if isinstance(name, str) and name.isidentifier():
        raise InvalidInput(
            f"Parameter name {shown} has letters outside ASCII: use a-z, A-Z, "
            "digits and _."
        )
    raise InvalidInput(
        f"Parameter name {shown} is not a Python identifier: use letters, "
        "digits and _ (not starting with a digit)."
    )


def _shown(value: object, limit: int = 40) -> str:
    """repr(value), cut to `limit` characters: a hostile name can be megabytes long."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- a team database (resource_magic/team sets it up; the store reads it) -------------
# The table only a team database has: the store takes the login as the user there.
TEAM_TABLE = "resource_magic_team"
# The SQLSTATE of rm_redeem's one refusal for every unusable token.
TOKEN_REFUSED_SQLSTATE = "RM001"
