"""Isolation matrix: another user can reach nothing private, through any door.

Alice plants a private resource (two versions, attachments, tags, parameters, a fork, a
share, executions) and a private agent_config. Then, for every public method of
ResourceStore (enumerated with `inspect`, so a new method fails `test_every_...` until
it is given a row below) and every `%resource` subcommand (enumerated from the magic's
registry, its cell built from the subcommand's declared arguments), a fresh user aims
at Alice's resource by name, by owner/name, by id, by a guessed token, by her share's
display prefix and by a near miss of her names.

Each attempt must be refused exactly as if the resource did not exist (the same error
and message as for a control reference to nothing at all: no existence oracle) or, for
the calls that act on the attacker's own data (save, import, list, ...), succeed without
a trace of Alice's data in the result. Afterwards a checksum of all of Alice's rows, in
every table, is unchanged. The figures (doors x references tried) are printed with -s.
"""

from __future__ import annotations

import inspect
import json
import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from _invariants import user_rows_digest

from resource_magic import tokens
from resource_magic.errors import NotFound, ResourceError, TokenRefused
from resource_magic.magic import SUBCOMMANDS, Subcommand
from resource_magic.store import EXPORT_FORMAT, ResourceStore

IN_CI = bool(os.environ.get("CI"))

# Text only Alice's data holds: none of it may reach an attacker.
MARKERS = (
    "SECRET_CONTENT",
    "SECRET-DESCRIPTION",
    "secret-tag",
    "SECRET-ATTACHMENT",
    "SECRET-KEY",
    "secret-child",
    "secret_param",
    "SECRET-MESSAGE",
    "secretlabel",
)


REF_FORMS = ("name", "owner/name", "id", "token", "prefix", "near")


@dataclass(frozen=True)
class Secret:
    url: str  # the database (its rows are checked through it)
    url_for: Callable[[str], str]  # user -> the URL that user logs in with
    refs: dict[str, str]  # reference form -> Alice's resource as that form names it
    controls: dict[str, str]  # reference form -> the same form naming nothing at all
    ids: tuple[str, ...]

    def store(self, user: str) -> ResourceStore:
        """`user`'s store on this database."""
        return ResourceStore(self.url_for(user), user=user)


def _plant(url: str, url_for: Callable[[str], str]) -> Secret:
    alice = ResourceStore(url_for("alice"), user="alice")
    first = alice.save(
        "secret-report",
        "SECRET_CONTENT = 1",
        description="SECRET-DESCRIPTION",
        tags=["secret-tag"],
        parameters={"secret_param": 1},
        attachments=[("text/plain", b"SECRET-ATTACHMENT")],
    ).resource
    alice.save("secret-report", "SECRET_CONTENT = 2", message="SECRET-MESSAGE")
    alice.set_label("secret-report", "secretlabel", 1)
    child = alice.fork("secret-report", "secret-child")
    share = alice.share("secret-report", max_accesses=5)
    alice.record_execution("secret-report")
    agent = alice.save(
        "secret-agent", {"api_key": "SECRET-KEY"}, resource_type="agent_config"
    ).resource
    refs = {
        "name": "secret-report",
        "owner/name": "alice/secret-report",
        "id": str(first.id),
        "token": tokens.new_token(),
        "prefix": share.share.prefix,
        "near": "secret-chil",
    }
    controls = {
        "name": "nothing-here",
        "owner/name": "alice/nothing-here",
        "id": str(uuid.uuid4()),
        "token": tokens.new_token(),
        "prefix": "rmshr_zzzz",
        "near": "nothing-her",
    }
    assert tuple(refs) == tuple(controls) == REF_FORMS
    ids = (str(first.id), str(child.id), str(agent.id))
    return Secret(url, url_for, refs, controls, ids)


_PLANTED: dict[str, Secret] = {}


@pytest.fixture
def secret(backend, users_on, new_database, request, tmp_path_factory) -> Secret:
    """Alice's private data, planted once per backend in a database of this module's
    own (the matrix only reads it, and checks it stays unchanged); each user reaches
    it through `users_on(its URL)`."""
    kind = request.node.callspec.params["backend"]
    if kind not in _PLANTED:
        if kind == "sqlite":
            path = tmp_path_factory.mktemp("isolation") / "resources.db"
            url = f"sqlite:///{path}"
        else:
            url = new_database(kind)
        _PLANTED[kind] = _plant(url, users_on(url))
    return _PLANTED[kind]


def _leaks(text: str, secret: Secret, ref: str = "") -> list[str]:
    """Alice's data in `text`, other than what the attacker typed (`ref`)."""
    return [m for m in (*MARKERS, *secret.ids) if m in text and m not in ref]


# -- the store: how to aim each public method at a reference -------------------------
@dataclass(frozen=True)
class Door:
    """How to call one store method with a reference an attacker supplies."""

    call: Callable[[ResourceStore, str], object]
    # True: the call acts on the attacker's own data and may succeed (its result is then
    # searched for Alice's data); False: it must be refused like a missing resource.
    own_data: bool = False


def _export_of(name: str) -> dict:
    return {
        "format": EXPORT_FORMAT,
        "resources": [
            {"name": name, "resource_type": "workflow", "versions": [{"content": "x"}]}
        ],
    }


STORE_DOORS: dict[str, Door] = {
    "attachments": Door(lambda s, ref: s.attachments(ref)),
    "check_save": Door(lambda s, ref: s.check_save(ref, "x = 1"), own_data=True),
    "complete_names": Door(
        lambda s, ref: [
            s.complete_names(ref),
            s.complete_names(ref[:3]),
            s.complete_names("alice/sec"),
            s.complete_names(),
        ],
        own_data=True,
    ),
    "complete_tags": Door(
        lambda s, ref: [
            s.complete_tags(ref),
            s.complete_tags("sec"),
            s.complete_tags(),
        ],
        own_data=True,
    ),
    "delete": Door(lambda s, ref: s.delete(ref)),
    "delete_user": Door(lambda s, ref: s.delete_user(), own_data=True),
    "export": Door(lambda s, ref: s.export([ref])),
    "fork": Door(lambda s, ref: s.fork(ref)),
    "get": Door(lambda s, ref: s.get(ref)),
    "get_with_attachments": Door(lambda s, ref: s.get_with_attachments(ref)),
    "history": Door(lambda s, ref: s.history(ref)),
    "label_history": Door(lambda s, ref: s.label_history(ref)),
    "labels": Door(lambda s, ref: s.labels(ref)),
    "import_": Door(lambda s, ref: s.import_(_export_of(ref)), own_data=True),
    "lineage": Door(lambda s, ref: s.lineage(ref)),
    "list": Door(
        lambda s, ref: [s.list(ref), s.list(ref, scope="public"), s.list()],
        own_data=True,
    ),
    "names": Door(lambda s, ref: s.names(), own_data=True),
    "open": Door(lambda s, ref: s.open(ref)),
    "record_execution": Door(lambda s, ref: s.record_execution(ref)),
    "remove_label": Door(lambda s, ref: s.remove_label(ref, "secretlabel")),
    "restore": Door(lambda s, ref: s.restore(ref, 1)),
    "revoke": Door(lambda s, ref: s.revoke(ref)),
    "save": Door(lambda s, ref: s.save(ref, "x = 1"), own_data=True),
    "share": Door(lambda s, ref: s.share(ref, max_accesses=1)),
    "set_label": Door(lambda s, ref: s.set_label(ref, "mine", 1)),
    "shares": Door(lambda s, ref: [s.shares(), s.shares(ref)]),
    "update": Door(
        lambda s, ref: s.update(ref, description="pwned", is_public=True, content="p")
    ),
    "versions": Door(lambda s, ref: [s.versions(ref), s.versions(ref, 1, 2)]),
}


def public_store_methods() -> list[str]:
    return sorted(
        name
        for name, member in inspect.getmembers(ResourceStore, inspect.isfunction)
        if not name.startswith("_")
    )


def test_every_public_store_method_has_a_door():
    methods = public_store_methods()
    assert sorted(STORE_DOORS) == methods, (
        "give each public ResourceStore method a row in STORE_DOORS (and drop rows "
        f"of removed ones): missing {sorted(set(methods) - set(STORE_DOORS))}, "
        f"stale {sorted(set(STORE_DOORS) - set(methods))}"
    )


def _user(*parts: str) -> str:
    """A fresh user per attempt, so no attempt sees another's leftovers."""
    return "-".join(parts).replace("/", "_")


def _masked(message: str, ref: str) -> str:
    """The message with the reference (or the start of it a message quotes) masked."""
    for end in range(len(ref), 3, -1):
        if ref[:end] in message:
            return message.replace(ref[:end], "<REF>")
    return message


def _same_message(got: str, ref: str, control: str, control_ref: str) -> bool:
    return _masked(got, ref) == _masked(control, control_ref)


_FIGURES: dict[tuple[str, str, str], int] = {}  # (layer, backend, door) -> attacks


def attack(
    secret: Secret,
    door: str,
    own_data: bool,
    try_as: Callable[[str, str], tuple[str, str, str]],
    uses_ref: bool = True,
) -> list[str]:
    """Aim `door` at Alice's resource in every reference form; the problems found.

    `try_as(user, ref)` makes the attempt as `user` and returns (kind, message, text):
    kind is 'ok' or the refusal's name, text all the attempt showed or returned.
    """
    problems = []
    before = user_rows_digest(secret.url, "alice")
    for form, ref in secret.refs.items():
        if not uses_ref and form != "name":
            continue  # the call takes no reference: one attempt says it all
        where = f"{door} with {form} {ref!r}"
        kind, message, text = try_as(_user("mallory", door, form), ref)
        if leaked := _leaks(message + text, secret, ref):
            problems.append(f"{where}: shows Alice's {leaked}")
        if "\n" in message or "Traceback" in message + text:
            problems.append(f"{where}: not a one-line message: {message!r}")
        if own_data:
            if kind not in ("ok", *OWN_DATA_REFUSALS):
                problems.append(f"{where}: {kind} {message!r}")
        else:
            control_ref = secret.controls[form]
            c_kind, c_message, _ = try_as(_user("control", door, form), control_ref)
            if kind not in REFUSALS:
                problems.append(f"{where}: not refused ({kind}) {message!r}")
            elif (kind, _masked(message, ref)) != (
                c_kind,
                _masked(c_message, control_ref),
            ):
                problems.append(
                    f"{where}: reads unlike a missing resource: {message!r} "
                    f"vs {c_message!r}"
                )
        if user_rows_digest(secret.url, "alice") != before:
            problems.append(f"{where}: changed Alice's rows")
            before = user_rows_digest(secret.url, "alice")
    return problems


REFUSALS = ("NotFound", "TokenRefused", "UsageError")
OWN_DATA_REFUSALS = ("InvalidInput", "UsageError")


def _store_attempt(secret: Secret, door: Door, user: str, ref: str):
    store = secret.store(user)
    try:
        result = door.call(store, ref)
    except ResourceError as exc:
        return type(exc).__name__, str(exc), ""
    return "ok", "", repr(result)


@pytest.mark.parametrize("method", sorted(STORE_DOORS))
def test_store_method_reveals_and_changes_nothing(secret, method):
    door = STORE_DOORS[method]
    problems = attack(
        secret, method, door.own_data, partial(_store_attempt, secret, door)
    )
    assert not problems, "\n".join(problems)
    backend = secret.store("alice").backend
    _FIGURES[("store", backend, method)] = len(secret.refs)


def test_the_matrix_notices_a_door_left_open(secret):
    """Negative control: Alice attacking herself gets in, and the matrix says so."""

    def as_alice(user, ref):
        return _store_attempt(secret, STORE_DOORS["get"], "alice", ref)

    problems = attack(secret, "get", False, as_alice)
    assert any("shows Alice's" in p for p in problems), problems
    assert any("not refused (ok)" in p for p in problems), problems

    def alice_updates(user, ref):
        door = Door(lambda s, r: s.update(r, tags=["secret-tag", "touched"]))
        return _store_attempt(secret, door, "alice", ref)

    problems = attack(secret, "update", False, alice_updates)
    assert any("changed Alice's rows" in p for p in problems), problems
    secret.store("alice").update("secret-report", tags=["secret-tag"])


def test_near_miss_suggests_only_the_attackers_own_names(secret):
    mallory = secret.store("mallory-near")
    mallory.save("secret-chalk", "x = 1")
    with pytest.raises(NotFound) as caught:
        mallory.get("secret-chil")
    assert str(caught.value) == (
        "No resource named 'secret-chil'. Did you mean 'secret-chalk'?"
    )


def test_alices_data_is_still_hers(secret):
    """The matrix's refusals are real: Alice herself reaches everything."""
    alice = secret.store("alice")
    for form in ("name", "owner/name", "id"):
        assert alice.get(secret.refs[form]).content == "SECRET_CONTENT = 2"
    assert [v.version for v in alice.history("secret-report")] == [1, 2]
    assert alice.attachments("secret-report", 1)[0].data == b"SECRET-ATTACHMENT"
    assert len(alice.shares("secret-report")) == 1
    with pytest.raises(TokenRefused):
        alice.open(secret.refs["token"])


# -- the magic: how to aim each %resource subcommand at a reference ------------------
@dataclass(frozen=True)
class MagicDoor:
    """A cell that aims one subcommand at `{ref}` ({dir}: a fresh directory)."""

    cell: str
    own_data: bool = False
    prepare: Callable[[Path, str], None] | None = None


def _write_export(directory: Path, ref: str) -> None:
    (directory / "in.json").write_text(json.dumps(_export_of(ref)), encoding="utf-8")


# Cells for the subcommands a plain call cannot aim at Alice's resource, or that act
# on the caller's own data; every other subcommand's door is built from its declaration.
MAGIC_OVERRIDES: dict[str, MagicDoor] = {
    "import": MagicDoor(
        "%resource import {dir}/in.json", own_data=True, prepare=_write_export
    ),
    "list": MagicDoor(
        "%resource list -s {ref}\n%resource list --public -s {ref}",
        own_data=True,
    ),
    "save": MagicDoor("%%resource save {ref}\nx = 1", own_data=True),
    "shares": MagicDoor("%resource shares\n%resource shares {ref}"),
    "update": MagicDoor("%resource update {ref} -d pwned --public"),
}


def magic_door(command: Subcommand) -> MagicDoor:
    """The cell that aims `command` at `{ref}`: its positionals from its declaration
    (a FILE is written in {dir}, a typed one gets 1, any other is the reference).
    Without a reference to aim, it can only act on the caller's own data."""
    if command.name in MAGIC_OVERRIDES:
        return MAGIC_OVERRIDES[command.name]
    words = [command.name]
    for action in command.parser()._actions:
        if action.option_strings:
            continue
        if action.metavar == "FILE":
            words.append("{dir}/out.json")
        elif action.type is not None:
            words.append("1")
        else:
            words.append("{ref}")
    line = " ".join(words)
    cell = f"%%resource {line}\nx = 1" if command.cell else f"value = %resource {line}"
    return MagicDoor(cell, own_data="{ref}" not in cell)


def test_overrides_are_for_real_subcommands():
    assert set(MAGIC_OVERRIDES) <= set(SUBCOMMANDS), "drop rows of removed subcommands"


def _magic_attempt(secret, shell, run, as_user, door, tmp_path, user, ref):
    directory = Path(tempfile.mkdtemp(prefix=user, dir=tmp_path))
    if door.prepare is not None:
        door.prepare(directory, ref)
    as_user(user, database=secret.url)
    cell = run(door.cell.format(ref=ref, dir=directory))
    payload = shell.payload_manager.read_payload()
    shell.payload_manager.clear_payload()
    shown = [
        cell.text,
        *(str(v) for o in cell.outputs for v in o.values()),
        repr(payload),
        repr(shell.user_ns.get("value")),
        *(f.read_text("utf-8", "replace") for f in sorted(directory.iterdir())),
    ]
    text = "\n".join(shown)
    if cell.usage_error is not None:
        return "UsageError", cell.usage_error, text
    if cell.error is not None:
        return type(cell.error).__name__, str(cell.error), text
    return "ok", "", text


def test_every_subcommand_reveals_and_changes_nothing(
    secret, shell, run, as_user, tmp_path
):
    """One shell for the whole magic matrix (a shell per subcommand costs more than
    the attacks); the failure lists every door found open."""
    problems = []
    for command in sorted(SUBCOMMANDS):
        door = magic_door(SUBCOMMANDS[command])
        attempt = partial(_magic_attempt, secret, shell, run, as_user, door, tmp_path)
        uses_ref = "{ref}" in door.cell or door.prepare is not None
        problems += attack(secret, command, door.own_data, attempt, uses_ref)
        backend = secret.store("alice").backend
        _FIGURES[("magic", backend, command)] = len(secret.refs) if uses_ref else 1
    assert not problems, "\n".join(problems)


def test_the_magic_matrix_notices_a_door_left_open(
    secret, shell, run, as_user, tmp_path
):
    """Negative control: Alice's own `%resource show` gets in; the matrix says so."""

    def as_alice(user, ref):
        door = magic_door(SUBCOMMANDS["show"])
        return _magic_attempt(secret, shell, run, as_user, door, tmp_path, "alice", ref)

    problems = attack(secret, "show", False, as_alice)
    assert any("shows Alice's" in p for p in problems), problems
    assert any("not refused (ok)" in p for p in problems), problems


def test_zz_report_matrix_figures():
    """Printed with -s: the doors and references the matrix tried."""
    for layer, backend in sorted({(la, b) for la, b, _ in _FIGURES}):
        rows = {
            d: n for (la, b, d), n in _FIGURES.items() if (la, b) == (layer, backend)
        }
        print(
            f"\nisolation matrix, {layer} on {backend}: {len(rows)} operations, "
            f"{sum(rows.values())} attacks (up to {len(REF_FORMS)} reference "
            "forms each), each refused like a missing resource or acting on the "
            "attacker's own data; Alice's rows unchanged"
        )
    assert {d for la, _, d in _FIGURES if la == "store"} <= set(STORE_DOORS)
    assert {d for la, _, d in _FIGURES if la == "magic"} <= set(SUBCOMMANDS)
