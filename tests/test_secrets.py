"""Secrets do not leave by accident: the scanner (pure) and the store's refusals on
both backends. Every key below is FAKE: made up in the shape of the real thing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resource_magic.errors import NotFound, SecretFound
from resource_magic.secretscan import Finding, pieces, scan_text

ROOT = Path(__file__).resolve().parent.parent

AWS_ID = "AKIA5QXZJ2B7N4HEXK3M"
AWS_SECRET = "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"
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "-----END RSA PRIVATE KEY-----"
)
GITHUB = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
SLACK = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6Ik"
    "pvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
STRIPE = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"

# (cell, line, kind): one realistic leak of each kind, in ordinary-looking code
LEAKS = [
    (
        f'import boto3\n\ns3 = boto3.client("s3", aws_access_key_id="{AWS_ID}")\n',
        3,
        "an AWS access key",
    ),
    (f'aws_secret_access_key = "{AWS_SECRET}"\n', 1, "an AWS access key"),
    (f'KEY = """\n{PRIVATE_KEY}\n"""\n', 2, "a private key"),
    (
        f'import requests\nheaders = {{"Authorization": "token {GITHUB}"}}\n',
        2,
        "a GitHub token",
    ),
    (f'SLACK_TOKEN = "{SLACK}"\n', 1, "a Slack token"),
    (f'requests.get(url, headers={{"Bearer": "{JWT}"}})\n', 1, "a JSON Web Token"),
    (f'stripe.api_key = "{STRIPE}"\n', 1, "a Stripe key"),
    ('conn = connect(\n    password="T7#kq9!Vz2$wLm4p",\n)\n', 2, "a password or key"),
    (
        'client_token = "q8Zr2VxL9mKp4Tn7Yw3Bc6Hd1Fg5Js0A"\n',
        1,
        "a secret (a long random string)",
    ),
    (
        'engine = create_engine("postgresql://alice:Tr0ub4dor3@db.internal/prod")\n',
        1,
        "a password in a URL",
    ),
    ("%resource open rmshr_82cnv_8JC4FIB8INMgZ5TDteilgtQRKb\n", 1, None),
]


@pytest.mark.parametrize(("cell", "line", "kind"), LEAKS)
def test_each_kind_of_leak_is_found_on_its_line(cell, line, kind):
    kind = kind or "a resource_magic share token"
    assert list(scan_text(cell)) == [Finding(line, kind)]


ORDINARY = """\
import hashlib, os, uuid
import pandas as pd

API_KEY = os.environ["API_KEY"]
password = getpass.getpass("Password: ")
token = "<your token here>"
db_password = "changeme"
secret_name = "prod-db-credentials"
AWS_REGION = "eu-west-1"
url = "postgresql://USER:PASSWORD@HOST:5432/DBNAME"
engine = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
df = pd.read_csv("https://example.com/iris.csv")
expected = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
commit = "3f786850e387550fdab836ed7e6dc881de23001b"
run_id = "123e4567-e89b-12d3-a456-426614174000"
palette = ["#1f77b4", "#ff7f0e", "#2ca02c"]
pattern = r"[A-Za-z0-9_]+"
alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
path = "/home/alice/projects/churn_model/data/raw/customers_2024_q3.parquet"
key = "sepal_length"
print(hashlib.sha256(b"abc").hexdigest(), uuid.uuid4())
"""


def test_ordinary_code_is_not_flagged():
    assert list(scan_text(ORDINARY)) == []


def _notebook_code_cells():
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] == "code":
                yield f"{notebook.name}#{index}", "".join(cell["source"])


def test_no_committed_notebook_cell_is_flagged():
    cells = list(_notebook_code_cells())
    assert len(cells) > 20  # the notebooks are there
    flagged = {name: list(scan_text(source)) for name, source in cells}
    assert {name: found for name, found in flagged.items() if found} == {}


def test_the_package_source_is_not_flagged():
    """Our own code: hashes, token prefixes, URL masking, SQL, regexes."""
    sources = sorted((ROOT / "resource_magic").rglob("*.py"))
    flagged = {
        str(path.relative_to(ROOT)): list(scan_text(path.read_text()))
        for path in sources
    }
    assert {name: found for name, found in flagged.items() if found} == {}


def test_allowlist_pragma_and_binary_outputs_pass():
    cell = f'KEY_ID = "{AWS_ID}"  # pragma: allowlist secret\n'
    assert list(scan_text(cell)) == []
    found = pieces("x = 1\n", None, [("image/png", AWS_ID.encode())])
    assert [p.where for p in found] == ["the content"]


def test_pieces_name_parameters_outputs_and_description():
    found = pieces(
        {"model": "gpt-4o"},
        {"n": 5},
        [("text/plain", b"hello"), ("image/png", b"\x89PNG"), ("text/html", b"<b>")],
        "Daily clean",
    )
    assert [(p.where, p.text) for p in found] == [
        ("the content", '{\n  "model": "gpt-4o"\n}'),
        ("the default of parameter 'n'", "n = 5"),
        ("output 1 (text/plain)", "hello"),
        ("output 3 (text/html)", "<b>"),
        ("the description", "Daily clean"),
    ]


# -- the store, on SQLite and PostgreSQL ----------------------------------------------

CLEAN = "import pandas as pd\n\ndf = pd.read_csv('data.csv')\n"
LEAKY = f'import boto3\n\nclient = boto3.client("s3", aws_access_key_id="{AWS_ID}")\n'
ADVICE = "remove it, or pass --allow-secrets."

# (save keyword arguments, the message share gives)
WHERE = [
    (
        {"content": LEAKY},
        "Line 3 of the content of 'etl' looks like an AWS access key: " + ADVICE,
    ),
    (
        {"content": CLEAN, "parameters": {"token": GITHUB, "n": 5}},
        "The default of parameter 'token' of 'etl' looks like a GitHub token: "
        + ADVICE,
    ),
    (
        {
            "content": CLEAN,
            "attachments": [
                ("image/png", b"\x89PNG"),
                ("text/plain", f"connected\nsession: {JWT}\n".encode()),
            ],
        },
        "Line 2 of output 2 (text/plain) of 'etl' looks like a JSON Web Token: "
        + ADVICE,
    ),
    (
        {"content": CLEAN, "description": f"uses slack {SLACK}"},
        "Line 1 of the description of 'etl' looks like a Slack token: " + ADVICE,
    ),
]


@pytest.mark.parametrize(("saved", "message"), WHERE)
def test_share_refuses_a_secret_and_changes_nothing(store, saved, message):
    saved = dict(saved)
    store.save("etl", saved.pop("content"), **saved)
    with pytest.raises(SecretFound) as caught:
        store.share("etl")
    assert str(caught.value) == message
    assert store.shares("etl") == []
    new = store.share("etl", allow_secrets=True)
    assert [s.prefix for s in store.shares("etl")] == [new.share.prefix]


@pytest.mark.parametrize(("saved", "message"), WHERE)
def test_saving_public_refuses_and_saves_nothing(make_store, saved, message):
    store = make_store("alice")
    saved = dict(saved)
    content = saved.pop("content")
    with pytest.raises(SecretFound) as caught:
        store.save("etl", content, is_public=True, **saved)
    assert str(caught.value) == message
    with pytest.raises(NotFound):
        store.get("etl")
    with pytest.raises(NotFound):
        make_store("bob").get("alice/etl")
    record = store.save("etl", content, is_public=True, allow_secrets=True, **saved)
    assert record.resource.is_public
    assert make_store("bob").get("alice/etl").version == 1


def test_clean_resources_share_and_publish_without_a_flag(make_store):
    store = make_store("alice")
    store.save("etl", CLEAN, parameters={"n": 5}, attachments=[("text/plain", b"ok")])
    assert store.share("etl").token
    assert store.update("etl", is_public=True).is_public
    assert store.save("etl", CLEAN + "# v2\n").version == 2


def test_making_public_scans_the_whole_history(make_store):
    store = make_store("alice")
    store.save("etl", LEAKY)
    store.save("etl", CLEAN)  # the key is gone from the current version only
    assert store.share("etl").token  # a token shows the current version: clean
    with pytest.raises(SecretFound) as caught:
        store.update("etl", is_public=True)
    assert str(caught.value) == (
        "Line 3 of the content of 'etl' version 1 looks like an AWS access key, and a "
        "public resource shows its history: publish a fork instead (%resource fork "
        "etl --as NEW_NAME starts a fresh history), or pass --allow-secrets."
    )
    assert not store.get("etl").is_public
    with pytest.raises(NotFound):
        make_store("bob").history("alice/etl")
    # the fork starts a fresh history, so it can be published
    fork = store.fork("etl", "etl-clean")
    assert store.update(fork.name, is_public=True).is_public
    assert store.update("etl", is_public=True, allow_secrets=True).is_public


def test_a_new_version_of_a_public_resource_is_scanned(make_store):
    store = make_store("alice")
    store.save("etl", CLEAN, is_public=True)
    with pytest.raises(SecretFound) as caught:
        store.save("etl", LEAKY)
    assert str(caught.value) == (
        "Line 3 of the content of 'etl' looks like an AWS access key: " + ADVICE
    )
    with pytest.raises(SecretFound):
        store.update("etl", content=LEAKY)
    with pytest.raises(SecretFound):
        store.update("etl", parameters={"password": "T7#kq9!Vz2$wLm4p"})
    with pytest.raises(SecretFound):
        store.update("etl", description=f"key {AWS_ID}")
    seen = make_store("bob").get("alice/etl")
    assert (seen.version, seen.content, seen.description) == (1, CLEAN, None)
    assert store.save("etl", LEAKY, allow_secrets=True).version == 2


def test_a_new_version_of_a_shared_resource_is_scanned(store):
    store.save("etl", CLEAN)
    token = store.share("etl").token
    with pytest.raises(SecretFound):
        store.save("etl", LEAKY)
    with pytest.raises(SecretFound):
        store.update("etl", content=LEAKY)
    assert store.get("etl").version == 1
    store.revoke(token)  # no longer visible to anyone: a private save again
    assert store.save("etl", LEAKY).version == 2


def test_restoring_a_secret_into_a_public_resource_is_refused(make_store):
    store = make_store("alice")
    store.save("etl", LEAKY)
    store.save("etl", CLEAN)
    store.update("etl", is_public=True, allow_secrets=True)
    with pytest.raises(SecretFound):
        store.restore("etl", 1)
    assert store.get("etl").version == 2
    assert store.restore("etl", 1, allow_secrets=True).version == 3


def test_sharing_a_public_resource_needs_no_scan(store):
    store.save("etl", LEAKY, is_public=True, allow_secrets=True)
    assert store.share("etl").token  # everyone can see it already


def test_a_private_save_keeps_a_secret(store):
    assert store.save("etl", LEAKY).resource.content == LEAKY


def _export(is_public: bool, content: str) -> dict:
    return {
        "format": "resource_magic/1",
        "user": "mallory",
        "resources": [
            {
                "name": "etl",
                "resource_type": "workflow",
                "is_public": is_public,
                "versions": [{"content": content}],
            }
        ],
    }


def test_importing_a_public_resource_with_a_secret_imports_nothing(make_store):
    store = make_store("alice")
    with pytest.raises(SecretFound) as caught:
        store.import_(_export(True, LEAKY))
    assert str(caught.value) == (
        "Line 3 of the content of 'etl' looks like an AWS access key: " + ADVICE
    )
    with pytest.raises(NotFound):
        store.get("etl")
    assert store.import_(_export(False, LEAKY)).created == ("etl",)  # private: fine
    store.update("etl", is_public=True, allow_secrets=True)
    with pytest.raises(SecretFound):  # appended to a public resource
        store.import_(_export(False, LEAKY))
    assert store.get("etl").version == 1
    assert store.import_(_export(True, LEAKY), allow_secrets=True).new_versions == (
        "etl",
    )
    assert make_store("bob").get("alice/etl").version == 2


def test_the_scan_leaves_detect_secrets_global_settings_alone():
    """The plugins are called directly, never through detect-secrets' settings
    singleton: its own scan_line, for one, disables a filter for good."""
    from detect_secrets.settings import get_settings

    def state():
        settings = get_settings()
        return dict(settings.plugins), dict(settings.filters)

    before = state()
    assert list(scan_text(LEAKS[0][0]))  # found
    assert state() == before
