"""Find what looks like a secret in text that is about to be seen by someone else.

Design note. The detectors are detect-secrets' plugins (cloud keys, private keys,
tokens, passwords in URLs, high-entropy strings), imported on first use so loading the
extension stays light. We call each plugin's `analyze_string` on one line at a time and
apply detect-secrets' own heuristic filters ourselves, instead of going through its
global settings: no shared state (safe from any thread), and never the network (its
verifiers call the services a key belongs to). Tuning against ordinary notebooks:

- hex strings alone are not flagged (they are hashes, commit ids and colours far more
  often than keys); a hex key is caught when it is assigned to a secret-sounding name;
- a base64-like string is flagged only when quoted, at least 20 characters long and of
  high entropy (detect-secrets' 4.5 bits a character);
- a value assigned to a secret-sounding name (password, api_key, token...) is flagged
  only when it looks random (long enough, entropy, several kinds of character), so
  `password = "changeme"` or `secret_name = "prod-db"` pass;
- a line with `pragma: allowlist secret` is skipped, as detect-secrets does.

Pure: no I/O and nothing of the package beyond the token prefix."""

from __future__ import annotations

import bisect
import json
import math
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from .tokens import TOKEN_PREFIX

# detect-secrets plugin class -> what a person reads ("line 3 looks like <this>")
_REGEX_PLUGINS = {
    "aws.AWSKeyDetector": "an AWS access key",
    "azure_storage_key.AzureStorageKeyDetector": "an Azure storage key",
    "private_key.PrivateKeyDetector": "a private key",
    "github_token.GitHubTokenDetector": "a GitHub token",
    "gitlab_token.GitLabTokenDetector": "a GitLab token",
    "slack.SlackDetector": "a Slack token",
    "stripe.StripeDetector": "a Stripe key",
    "jwt.JwtTokenDetector": "a JSON Web Token",
    "openai.OpenAIDetector": "an OpenAI key",
    "pypi_token.PypiTokenDetector": "a PyPI token",
    "npm.NpmDetector": "an npm token",
    "sendgrid.SendGridDetector": "a SendGrid key",
    "twilio.TwilioKeyDetector": "a Twilio key",
    "discord.DiscordBotTokenDetector": "a Discord bot token",
    "telegram_token.TelegramBotTokenDetector": "a Telegram bot token",
    "mailchimp.MailchimpDetector": "a Mailchimp key",
    "square_oauth.SquareOAuthDetector": "a Square OAuth secret",
    "basic_auth.BasicAuthDetector": "a password in a URL",
}
# A literal some plugins' patterns cannot match without; checked first because the
# pattern itself backtracks (npm's `//.+/:_authToken=` is quadratic on a long line).
_NEEDS = {"NpmDetector": "_authToken"}
HIGH_ENTROPY = "a secret (a long random string)"
KEYWORD = "a password or key"
SHARE_TOKEN = "a resource_magic share token"
_PIECE, _OVERLAP = 1000, 400  # see _parts
_MAX_WINDOWS = 256  # see _keyword_parts
_MIN_RANDOM = 20  # a quoted base64-like string shorter than this is not flagged
_MIN_KEYWORD_VALUE = 12
_SHARE_TOKEN_RE = re.compile(re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9_-]{32}(?![\w-])")
# A password in a URL that only stands for one: PASSWORD, YOUR_PASS, ***, xxx
_PLACEHOLDER = re.compile(r"[A-Z_]+|\*+|x+|X+|\.\.\.")
_HEX = re.compile(r"[0-9a-fA-F]+")
_ALLOWLIST = "pragma: allowlist secret"
_NEWLINE = re.compile(r"\n")


@dataclass(frozen=True)
class Finding:
    """One line that looks like a secret: where (1-based) and what kind."""

    line: int
    kind: str


class _Detectors:
    """detect-secrets' plugins and filters, built once (imported lazily)."""

    def __init__(self) -> None:
        from importlib import import_module

        from detect_secrets.filters import heuristic
        from detect_secrets.plugins.high_entropy_strings import (
            Base64HighEntropyString,
        )
        from detect_secrets.plugins.keyword import (
            DENYLIST,
            QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP,
            KeywordDetector,
        )

        self.regex_plugins = []
        for path, kind in _REGEX_PLUGINS.items():
            module, _, name = path.rpartition(".")
            plugin = getattr(import_module(f"detect_secrets.plugins.{module}"), name)()
            # A plugin whose patterns match nowhere in a text matches no line of it:
            # one pass over the whole text skips most plugins for most texts.
            quick = [
                re.compile(p.pattern, p.flags | re.MULTILINE) for p in plugin.denylist
            ]
            self.regex_plugins.append((plugin, kind, quick, _NEEDS.get(name)))
        self.basic_auth = next(
            plugin
            for plugin, _, _, _ in self.regex_plugins
            if type(plugin).__name__ == "BasicAuthDetector"
        )
        self.entropy = Base64HighEntropyString()
        self.keyword = KeywordDetector()
        self.keyword_regexes = QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP
        # Every word of the keyword plugin's list contains one of these; searching
        # for the short words (a literal-led pattern) is ten times faster than for
        # the list itself, which then runs on the few lines they hit.
        self.keyword_hint = re.compile(
            r"(?=[pskcPSKC])(?:pass|pwd|secret|key|contras)", re.IGNORECASE
        )
        self.keyword_words = re.compile("|".join(DENYLIST), re.IGNORECASE)
        charset = re.escape(self.entropy.charset)
        self.entropy_hint = re.compile(rf"""(['"])[{charset}]{{{_MIN_RANDOM},}}\1""")
        self.h = heuristic

    def false_positive(self, secret: str, line: str, plugin=None) -> bool:
        h = self.h
        if plugin is self.basic_auth and _PLACEHOLDER.fullmatch(secret):
            return True  # postgresql://USER:PASSWORD@HOST in documentation
        return (
            h.is_sequential_string(secret)
            or h.is_potential_uuid(secret)
            or h.is_templated_secret(secret)
            or h.is_not_alphanumeric_string(secret)
            or h.is_likely_id_string(secret, line, plugin)
        )


_lock = threading.Lock()


@cache
def _detectors() -> _Detectors:
    return _Detectors()


def detectors() -> _Detectors:
    with _lock:  # one build even when two threads scan first at once
        return _detectors()


def _entropy(text: str) -> float:
    counts: dict[str, int] = {}
    for char in text:
        counts[char] = counts.get(char, 0) + 1
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _looks_random(value: str) -> bool:
    """A keyword's value worth refusing: long, varied, high entropy."""
    if len(value) < _MIN_KEYWORD_VALUE or " " in value:
        return False
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )
    has_digit = any(c.isdigit() for c in value)
    if _HEX.fullmatch(value):  # a hex key: long, letters and digits
        return len(value) >= 32 and has_digit and classes >= 2
    return classes >= 3 and has_digit and _entropy(value) >= 3.5


def scan_text(text: str) -> Iterator[Finding]:
    """Every line of `text` that looks like a secret (one finding per line, in order).

    Each detector's patterns first run over the whole text (fast, in C) to find the
    few lines worth a closer look; only those lines go through the plugins."""
    if not text:
        return
    d = detectors()
    starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
    wanted: dict[int, list] = {}

    def mark(pattern: re.Pattern, what) -> None:
        for match in pattern.finditer(text):
            first = bisect.bisect_right(starts, match.start()) - 1
            last = bisect.bisect_right(starts, max(match.end() - 1, match.start())) - 1
            for index in range(first, last + 1):
                found = wanted.setdefault(index, [])
                if what not in found:
                    found.append(what)

    mark(_SHARE_TOKEN_RE, SHARE_TOKEN)
    for plugin, kind, quick, needs in d.regex_plugins:
        if needs is not None and needs not in text:
            continue
        for pattern in quick:
            mark(pattern, (plugin, kind))
    mark(d.keyword_hint, KEYWORD)
    mark(d.entropy_hint, HIGH_ENTROPY)
    for index in sorted(wanted):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        line = text[starts[index] : end].rstrip("\r\n")
        kind = _scan_line(d, line, wanted[index])
        if kind is not None:
            yield Finding(index + 1, kind)


def _scan_line(d: _Detectors, line: str, checks: list) -> str | None:
    """The kind of secret on this line, trying only the detectors its hints named."""
    if _ALLOWLIST in line:
        return None
    for check in checks:
        if check == SHARE_TOKEN:
            return SHARE_TOKEN
        parts = _keyword_parts(d, line) if check == KEYWORD else _parts(line)
        if any(_found(d, part, check) for part in parts):
            return check if isinstance(check, str) else check[1]
    return None


def _parts(line: str) -> Iterator[str]:
    """A long line (data, minified JSON) in overlapping pieces, so the time a
    backtracking pattern takes grows with the line, not its square. The overlap is
    longer than any secret the plugins look for."""
    if len(line) <= _PIECE + _OVERLAP:
        yield line
        return
    for start in range(0, len(line), _PIECE):
        yield line[start : start + _PIECE + _OVERLAP]


def _keyword_parts(d: _Detectors, line: str) -> Iterator[str]:
    """Where the keyword plugin looks: the line, or on a long line a window around
    each of its first secret-sounding words (its patterns are the slowest)."""
    if "'" not in line and '"' not in line:
        return  # its patterns for code need the value quoted
    if len(line) <= _PIECE + _OVERLAP:
        if d.keyword_words.search(line):
            yield line
        return
    for count, match in enumerate(d.keyword_words.finditer(line)):
        if count == _MAX_WINDOWS:
            return
        yield line[max(0, match.start() - 80) : match.end() + 160]


def _found(d: _Detectors, line: str, check) -> bool:
    if check == KEYWORD:
        found = [
            s
            for s in d.keyword.analyze_string(line, d.keyword_regexes)
            if _looks_random(s) and not d.false_positive(s, line, d.keyword)
        ]
    elif check == HIGH_ENTROPY:
        found = [
            s
            for s in d.entropy.analyze_string(line)
            if len(s) >= _MIN_RANDOM
            and d.entropy.calculate_shannon_entropy(s) > d.entropy.entropy_limit
            and not d.false_positive(s, line, d.entropy)
        ]
    else:
        plugin, _ = check
        found = [
            s
            for s in plugin.analyze_string(line)
            if not d.false_positive(s, line, plugin)
        ]
    if found and check in (KEYWORD, HIGH_ENTROPY):
        return not d.h.is_indirect_reference(line)  # key = os.environ["KEY"]
    return bool(found)


# -- what a resource shows, as texts to scan
# ---------------------------------------------------------------------------------
TEXT_MIME = re.compile(r"text/[\w.+-]+|application/(?:[\w.-]+\+)?json", re.I)


@dataclass(frozen=True)
class Piece:
    """One text a resource shows: `where` names it in a message; `lines` says whether
    its line numbers mean something to the reader."""

    where: str
    text: str
    lines: bool = True


def pieces(
    content: object,
    parameters: dict | None = None,
    attachments: Iterable[tuple[str, bytes]] = (),
    description: str | None = None,
) -> list[Piece]:
    """The content, each parameter (as `name = default`), every text output and the
    description, in the order a reader meets them."""
    text = (
        content
        if isinstance(content, str)
        else json.dumps(content, indent=2, ensure_ascii=False)
    )
    found = [Piece("the content", text)]
    for name, default in (parameters or {}).items():
        found.append(
            Piece(
                f"the default of parameter '{name}'",
                f"{name} = {json.dumps(default, ensure_ascii=False)}",
                lines=False,
            )
        )
    for position, (mime, data) in enumerate(attachments, 1):
        if TEXT_MIME.fullmatch(mime.split(";")[0].strip()):
            found.append(
                Piece(
                    f"output {position} ({mime})",
                    bytes(data).decode("utf-8", errors="replace"),
                )
            )
    if description:
        found.append(Piece("the description", description))
    return found


def first_secret(texts: Iterable[Piece]) -> tuple[str, str] | None:
    """(where, kind) of the first secret in these pieces, like ('line 3 of the
    content', 'an AWS access key'), or None when they look clean."""
    for piece in texts:
        for finding in scan_text(piece.text):
            where = (
                f"line {finding.line} of {piece.where}" if piece.lines else piece.where
            )
            return where, finding.kind
    return None
