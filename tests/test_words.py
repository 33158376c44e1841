"""Splitting a %resource line into words: the same words as shlex.split, in linear
time, and quote_word as its exact inverse (what %resource load writes into a header)."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resource_magic.errors import InvalidInput
from resource_magic.magic.words import MAX_LINE, quote_word, split_line

# The characters that matter to a shell-style split, and some that must not.
LINE_TEXT = st.text(
    alphabet=st.sampled_from(list("ab ='\"\\\t\n\r#-$é\u00a0\u2003")), max_size=40
)


def _shlex(line: str) -> list[str] | str:
    try:
        return shlex.split(line)
    except ValueError as exc:
        return f"Cannot read the line ({exc}): close the quotes you opened."


def _ours(line: str) -> list[str] | str:
    try:
        return split_line(line)
    except InvalidInput as exc:
        return str(exc)


@settings(max_examples=1000, deadline=None)
@given(LINE_TEXT)
def test_split_line_reads_every_line_as_shlex_does(line):
    assert _ours(line) == _shlex(line)


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("", []),
        (" \t\n", []),
        ("save 'my notes' -t prompt", ["save", "my notes", "-t", "prompt"]),
        ('a"b c"d', ["ab cd"]),
        ("'' \"\"", ["", ""]),
        (r'"a\"b\\c\d"', ['a"b\\c\\d']),
        (r"a\ b\\", ["a b\\"]),
        ("a\\\n", ["a\n"]),
        ("x\u00a0y", ["x\u00a0y"]),  # only ASCII space, tab, CR, LF separate words
        ("a # b", ["a", "#", "b"]),  # no comments
    ],
)
def test_split_line_examples(line, words):
    assert split_line(line) == words == shlex.split(line)


@pytest.mark.parametrize(
    ("line", "problem"),
    [("'open", "No closing quotation"), ('a "b', "No closing quotation"),
     ("a\\", "No escaped character")],
)  # fmt: skip
def test_split_line_refuses_an_unreadable_line(line, problem):
    with pytest.raises(InvalidInput) as caught:
        split_line(line)
    assert str(caught.value) == (
        f"Cannot read the line ({problem}): close the quotes you opened."
    )


def test_a_line_as_long_as_the_limit_is_read_and_a_longer_one_refused():
    value = "x" * (MAX_LINE - len("run p -p 'a='"))
    assert split_line(f"run p -p 'a={value}'") == ["run", "p", "-p", f"a={value}"]
    with pytest.raises(InvalidInput) as caught:
        split_line(f"run p -p 'a={value}x'")
    assert str(caught.value) == (
        f"The line is {MAX_LINE + 1:,} characters long: the limit is {MAX_LINE:,}; "
        "put long text in the cell body or a parameter's saved default."
    )


@pytest.mark.parametrize(
    "pieces",
    [
        "a\\ " * 200_000,  # one word of many escapes
        "'' " * 200_000,  # many empty quoted words
        '"' + 'a\\"' * 200_000 + '"',  # a long double-quoted word with escapes
    ],
    ids=["escapes", "quoted words", "double quotes"],
)
def test_long_lines_of_many_pieces_split_like_shlex(pieces):
    """Long enough that the old quadratic shlex path would take seconds; checked
    against shlex on a slice short enough for it, and by counting on the whole."""
    words = split_line(pieces)
    assert _ours(pieces[:3000]) == _shlex(pieces[:3000])
    assert len(words) in (1, 200_000)


@settings(max_examples=1000, deadline=None)
@given(st.text(max_size=40))
def test_quote_word_reads_back_exactly(word):
    assert split_line(quote_word(word)) == [word]
    assert shlex.split(quote_word(word)) == [word]
