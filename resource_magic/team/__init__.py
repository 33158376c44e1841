"""A team database: PostgreSQL itself enforces who sees what (row-level security).

`Admin(url)` is an admin's handle on one database, composed of sibling groups over
TeamBase (base.py): setup (init, upgrade), members (add, remove, list) and check. The
command line (`resource-magic team ...`) is team_cli.py."""

from __future__ import annotations

from .base import Roles, clean_member, roles_for
from .check import Check, CheckOps
from .members import Member, MemberOps
from .setup import SetupOps


class Admin(SetupOps, MemberOps, CheckOps):
    """Admin(url): team commands on the PostgreSQL database at `url`, run as the
    login the URL names (which must be allowed to create roles)."""


__all__ = ["Admin", "Check", "Member", "Roles", "clean_member", "roles_for"]
