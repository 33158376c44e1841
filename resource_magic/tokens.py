"""Share tokens: made by `secrets`, shown once, stored only as a SHA-256 digest.

Design: a token is `rmshr_` + 32 url-safe characters (192 random bits). The recognisable
prefix lets secret scanners and people spot a leaked token. The database keeps the
digest (unique, indexed: redemption is one indexed lookup) and a display prefix of the
first few characters, which is too short to help a guesser (24 of 192 bits) but lets an
owner tell shares apart. Pure standard library."""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_PREFIX = "rmshr_"
_RANDOM_BYTES = 24  # 192 bits, 32 url-safe characters
DISPLAY_CHARS = 4
# The length of a display prefix, e.g. `rmshr_AbC1`.
DISPLAY_LENGTH = len(TOKEN_PREFIX) + DISPLAY_CHARS
_TOKEN_RE = re.compile(r"^rmshr_[A-Za-z0-9_-]{32}$")


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(_RANDOM_BYTES)


def digest(token: str) -> str:
    """The SHA-256 hex digest stored in place of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def display_prefix(token: str) -> str:
    """The non-secret start shown in share lists, e.g. `rmshr_AbC1`."""
    return token[:DISPLAY_LENGTH]


def looks_like_token(text: str) -> bool:
    """True for text of a token's shape (whether or not it is valid)."""
    return bool(_TOKEN_RE.match(text))


def clean_token(text: str) -> str:
    """Strip what copy-paste adds around a token (spaces, quotes)."""
    return text.strip().strip("'\"` ").strip()
