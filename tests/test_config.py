"""Defaults for the database and the user, and how URLs are shown."""

from __future__ import annotations

import pytest

from resource_magic.config import (
    default_database_path,
    default_database_url,
    default_user,
    masked_url,
)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://bob:s3cret@db:5432/team",
            "postgresql+psycopg://bob:***@db:5432/team",
        ),
        ("postgresql://:pw@/team?host=/tmp", "postgresql://:***@/team?host=/tmp"),
        ("postgresql://bob@db/team", "postgresql://bob@db/team"),
        ("sqlite:////home/me/resources.db", "sqlite:////home/me/resources.db"),
        # credentials in the query string, whatever their case or encoding
        (
            "postgresql://bob@db/team?password=secret&application_name=etl",
            "postgresql://bob@db/team?password=***&application_name=etl",
        ),
        (
            "postgresql://db/team?PassWord=secret;SSLPASSWORD=k&host=/tmp",
            "postgresql://db/team?PassWord=***;SSLPASSWORD=***&host=/tmp",
        ),
        (
            "postgresql://db/t?passfile=/home/me/.pgpass&sslkey=/k.pem&sslmode=require",
            "postgresql://db/t?passfile=***&sslkey=***&sslmode=require",
        ),
        ("postgresql://db/t?p%61ssword=secret", "postgresql://db/t?p%61ssword=***"),
        ("postgresql://db/t?password=a=b#x", "postgresql://db/t?password=***#x"),
        (
            "postgresql://:pw@/t?auth_token=abc&client_secret=s",
            "postgresql://:***@/t?auth_token=***&client_secret=***",
        ),
        # a password with unencoded @ / ? is masked whole, never shown in part
        ("postgresql://bob:pa@ss@db/team", "postgresql://bob:***@db/team"),
        ("postgresql://bob:a/b?c@db/team?x=1", "postgresql://bob:***@db/team?x=1"),
        (
            "sqlite:///file:db.sqlite?mode=ro&uri=true",
            "sqlite:///file:db.sqlite?mode=ro&uri=true",
        ),
    ],
)
def test_masked_url_hides_every_credential_and_nothing_else(url, shown):
    assert masked_url(url) == shown


def test_defaults_follow_the_environment(monkeypatch):
    monkeypatch.setenv("RESOURCE_MAGIC_DATABASE_URL", "sqlite:////tmp/elsewhere.db")
    monkeypatch.setenv("RESOURCE_MAGIC_USER", "dora")
    assert default_database_url() == "sqlite:////tmp/elsewhere.db"
    assert default_user() == "dora"


def test_without_configuration_sqlite_lives_in_the_user_data_dir(monkeypatch):
    monkeypatch.delenv("RESOURCE_MAGIC_DATABASE_URL")
    monkeypatch.delenv("RESOURCE_MAGIC_USER")
    path = default_database_path()
    assert default_database_url() == f"sqlite:///{path}"
    assert path.name == "resources.db" and "resource_magic" in path.parts
    assert default_user()  # the login name (or "default" where there is none)


@pytest.mark.parametrize(
    ("environment", "user"),
    [
        ({"JUPYTERHUB_USER": "hub-dora"}, "hub-dora"),
        ({"JUPYTERHUB_USER": "hub-dora", "RESOURCE_MAGIC_USER": "dora"}, "dora"),
        ({"JUPYTERHUB_USER": "  ", "RESOURCE_MAGIC_USER": ""}, None),
    ],
)
def test_jupyterhub_names_the_user_unless_resource_magic_user_does(
    monkeypatch, environment, user
):
    import getpass

    monkeypatch.delenv("RESOURCE_MAGIC_USER")
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert default_user() == (user or getpass.getuser())


def test_a_jupyterhub_kernel_works_as_the_hub_user(shell, run, monkeypatch):
    """No %config user, no RESOURCE_MAGIC_USER: the magic works as the hub user."""
    monkeypatch.delenv("RESOURCE_MAGIC_USER")
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-dora")
    shell.run_line_magic("config", "ResourceMagic.user = None")
    shell.run_cell_magic("resource", "save hub-note", "x = 1\n")
    assert "user: hub-dora" in run("%resource whoami").stdout
    frame = shell.run_line_magic("resource", "list")
    assert list(frame["name"]) == ["hub-note"]
    shell.run_line_magic("config", "ResourceMagic.user = 'alice'")
    assert shell.run_line_magic("resource", "list").empty
