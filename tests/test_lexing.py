"""lexing.by_first_character: the tokens of Pygments' own lexer, exactly, on real
source, on generated text and on the corners of its analysis (case folding, negated
classes, patterns that match nothing)."""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ipython_pygments_lexers import IPython3Lexer
from pygments.lexer import RegexLexer, bygroups, default
from pygments.lexers import (
    BashLexer,
    DiffLexer,
    HtmlLexer,
    JsonLexer,
    PythonLexer,
    SqlLexer,
)
from pygments.token import Keyword, Name, String, Text

import resource_magic
from resource_magic.lexing import by_first_character

# Python's and IPython's (what present.py uses), and others whose rules use what the
# analysis must follow: IGNORECASE and words() (SQL), callbacks into other lexers
# (HTML's script and style), many states (Bash), line anchors (diff).
LEXERS = [PythonLexer, IPython3Lexer, SqlLexer, BashLexer, HtmlLexer, DiffLexer]


def _same(kind, text: str) -> None:
    expected = list(kind().get_tokens(text))
    assert list(by_first_character(kind()).get_tokens(text)) == expected


def _sources() -> list[Path]:
    """This package's modules and a fixed sample of the standard library's."""
    stdlib = sorted(Path(os.__file__).parent.glob("*.py"))
    return sorted(Path(resource_magic.__file__).parent.rglob("*.py")) + random.Random(
        17
    ).sample(stdlib, 60)


@pytest.mark.parametrize("kind", [PythonLexer, IPython3Lexer])
def test_real_python_source_gives_pygments_tokens(kind):
    sources = _sources()
    assert len(sources) > 100
    for path in sources:
        text = path.read_text(encoding="utf-8", errors="replace")
        expected = list(kind().get_tokens(text))
        got = list(by_first_character(kind()).get_tokens(text))
        assert got == expected, path


# Characters that steer Python's and IPython's rules (quotes, prefixes, %, !, ?,
# backslashes, digits, operators, tabs, newlines) and ones case folding pairs with
# ASCII (the long s with s, the Kelvin sign with k, the dotted I), beside any text.
_STEERING = list("\"'`#%!?\\\n\t rRbBfFuUtTkKsSiI0123456789._@:=<>()[]{},;$&|*+-/~^")
_FOLDING = ["\u017f", "\u212a", "\u0130", "\u0131", "é", "ß", "\x00", "\u2028"]
TEXT = st.lists(
    st.one_of(
        st.sampled_from(_STEERING + _FOLDING),
        st.sampled_from(["def ", "class ", "import ", "lambda", "await ", "f'{"]),
        st.sampled_from(["'''", '"""', "rb'", "0x1f", "1_000.5e-3j", "case "]),
        st.sampled_from(["%%time\n", "!ls", "SELECT ", "<script>", "$(", "--- a"]),
        st.text(max_size=3),
    ),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=TEXT)
def test_generated_text_gives_pygments_tokens(text):
    for kind in LEXERS:
        _same(kind, text)


class _Folding(RegexLexer):
    """Rules a careless first-character test would skip: case folding beyond ASCII, a
    negated class, a rule that can match nothing, a callback, a state change."""

    tokens = {
        "root": [
            (r"(?i)k+", Keyword),  # also the Kelvin sign
            (r"(?i)[\u017f]", Name.Builtin),  # the long s: also s and S
            (r"(?i:(x))(y)", bygroups(Name, Name.Other)),
            (r"[^\sa-z]+", String),
            (r"q", Text, "quoted"),
            (r"(?=z)", Text, "zed"),  # matches nothing, and moves on
            (r"\s+", Text),
        ],
        "quoted": [(r"[^q]+", String), (r"q", Text, "#pop")],
        "zed": [(r"z+", Name.Label, "#pop"), default("#pop")],
    }


@pytest.mark.parametrize(
    "text",
    ["k K \u212a", "s S \u017f", "xy Xy", "ABC 123 é", "q abc q", "zz z", "k\nq q"],
)
def test_corners_of_the_analysis_give_pygments_tokens(text):
    _same(_Folding, text)
    # and the rules did match (not all Error tokens, equal by accident)
    tokens = [t for t, _ in by_first_character(_Folding()).get_tokens(text)]
    assert any(t is not Text and "Error" not in str(t) for t in tokens), tokens


def test_a_lexer_that_is_not_a_regex_lexer_is_left_as_it_is():
    lexer = JsonLexer()
    method = lexer.get_tokens_unprocessed
    assert by_first_character(lexer) is lexer
    assert lexer.get_tokens_unprocessed == method
    assert "get_tokens_unprocessed" not in vars(lexer)


def test_it_tries_fewer_rules():
    """The point of it: a plain name in Python is found after a handful of `match`
    calls, not forty."""
    calls = {"plain": 0, "fast": 0}

    def counting(key: str):
        kind = type(f"Counted{key}", (PythonLexer,), {})  # rules of its own
        lexer = kind()
        for rules in kind._tokens.values():
            for n, (match, action, state) in enumerate(rules):
                rules[n] = (_Counted(match, key, calls), action, state)
        return lexer

    text = "value = other_name\n"
    plain = list(counting("plain").get_tokens(text))
    fast = list(by_first_character(counting("fast")).get_tokens(text))
    assert fast == plain
    assert calls["fast"] * 4 < calls["plain"], calls


class _Counted:
    """A rule's `match`, counting its calls; still a pattern's match to the analysis
    (`__self__`)."""

    def __init__(self, match, kind: str, calls: dict) -> None:
        self._match, self._kind, self._calls = match, kind, calls
        self.__self__ = match.__self__

    def __call__(self, text, pos):
        self._calls[self._kind] += 1
        return self._match(text, pos)


def test_every_pattern_of_pythons_lexer_is_understood():
    """Where the analysis gives up a rule is tried everywhere (correct, slower): for
    Python's lexer only rules that can match nothing should be."""
    from resource_magic.lexing import _could_start

    lexer = PythonLexer()
    unknown = [
        match.__self__.pattern
        for rules in type(lexer)._tokens.values()
        for match, _, _ in rules
        if _could_start((match, None, None)) is None
        and not re.compile(match.__self__.pattern, match.__self__.flags).match("")
    ]
    assert unknown == []


def test_what_it_keeps_per_character_is_bounded():
    """Text in many scripts meets many characters: each state keeps its rules for at
    most _KEPT_CHARACTERS of them, and lexes the rest all the same."""
    from resource_magic.lexing import _KEPT_CHARACTERS, _states

    text = " ".join(chr(0x4E00 + i) for i in range(_KEPT_CHARACTERS + 500))
    _same(PythonLexer, text)
    assert len(_states(PythonLexer)["root"].by_char) == _KEPT_CHARACTERS
