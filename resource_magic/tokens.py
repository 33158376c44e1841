"""Share tokens: made by `secrets`, shown once, stored only as a SHA-256 digest.

Design: a token is `rmshr_` + 32 url-safe characters (192 random bits). The recognisable
prefix lets secret scanners and people spot a leaked token. The database keeps the
digest (unique, indexed: redemption is one indexed lookup) and a display prefix of the
first few characters, which is too short to help a guesser (24 of 192 bits) but lets an
owner tell shares apart. A share's terms are read here too: when it expires and how
many uses it allows. Pure standard library (and the package's errors)."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from .errors import InvalidInput

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


# -- a share's terms: its expiry and its use limit
_DURATION_RE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.IGNORECASE)
_DURATION_UNITS = {
    "s": "seconds",
    "m": "minutes",
    "h": "hours",
    "d": "days",
    "w": "weeks",
}


def parse_expiry(expires: object, now: datetime) -> datetime | None:
    """A duration (30m, 12h, 7d, 2w) or an ISO-8601 date-time with a zone, as UTC."""
    if expires is None:
        return None
    if isinstance(expires, timedelta):
        try:
            moment = now + expires
        except OverflowError:
            raise InvalidInput(f"The duration {expires} is too long.") from None
    elif isinstance(expires, datetime):
        moment = _aware(expires, str(expires))
    elif isinstance(expires, str):
        moment = _parse_expiry_text(expires, now)
    else:
        raise InvalidInput("Give the expiry as a duration like 7d or an ISO date-time.")
    if moment <= now:
        raise InvalidInput(
            f"The expiry {moment.isoformat()} is not in the future: give a later time."
        )
    return moment.astimezone(UTC)


def _parse_expiry_text(text: str, now: datetime) -> datetime:
    match = _DURATION_RE.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        if amount <= 0:
            raise InvalidInput(f"The duration {text.strip()!r} must be positive.")
        try:
            return now + timedelta(**{_DURATION_UNITS[unit]: amount})
        except OverflowError:
            raise InvalidInput(f"The duration {text.strip()!r} is too long.") from None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"Cannot read {text!r} as an expiry: "
            "use a duration like 30m, 12h, 7d or an "
            "ISO date-time with a zone like 2026-12-31T18:00Z."
        ) from None
    return _aware(moment, text)


def _aware(moment: datetime, shown: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(
            f"The date-time {shown.strip()!r} has no time zone: add one, e.g. "
            f"{moment.strftime('%Y-%m-%dT%H:%M')}Z for UTC."
        )
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is in year 0 in UTC
        later = moment.year < 5000
        raise InvalidInput(
            f"The date-time {shown.strip()!r} is outside the years 1 to 9999 in UTC: "
            f"give {'a later' if later else 'an earlier'} one."
        ) from None


def clean_max_accesses(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise InvalidInput(
                f"The use limit {value!r} is not a whole number: give e.g. 10."
            ) from None
    if value < 1 or value > 2_000_000_000:
        raise InvalidInput("The use limit must be between 1 and 2,000,000,000.")
    return value
