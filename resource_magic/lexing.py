"""Pygments' regex lexers, trying at each position only the rules that can match there.

A Pygments `RegexLexer` tries a state's rules one by one, one `re.match` call each,
until one matches: Python's lexer tries about 40 before it reaches a plain name, which
made highlighting a quarter of `%resource show`. `by_first_character(lexer)` makes the
same lexer skip the rules whose pattern cannot match starting with the character at
the position (read off each pattern's parse tree, once per lexer class, state and
character). The rules left are tried in their order, so the first one that matches is
the one Pygments would take, and the tokens are the same: tests/test_lexing.py
compares them with Pygments' own on generated and real text.

A rule is skipped only where its pattern certainly cannot match: one that can match the
empty string, or that uses anything the analysis below does not follow, is tried at
every position. A lexer that is not a plain `RegexLexer` (its own
`get_tokens_unprocessed`, as JSON's has) is left as it is. The loop below is
`pygments.lexer.RegexLexer.get_tokens_unprocessed` (Pygments 2.20, BSD-2-Clause) with
the rules of a state chosen by the character at the position.
"""

from __future__ import annotations

import bisect
import functools
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

from pygments.lexer import RegexLexer
from pygments.token import Error, Whitespace, _TokenType

try:  # the parser `re` itself compiles with (a private module of the standard library)
    from re import _constants, _parser
except ImportError:  # pragma: no cover - a Python without it: Pygments as it is
    _parser = None

# A rule as Pygments keeps it: its pattern's bound `match`, its action (a token type, a
# callback or None) and its state change.
Rule = tuple[Callable, object, object]


def by_first_character(lexer):
    """`lexer`, trying at each position only the rules that can match there; the same
    lexer, untouched, if it is not a plain RegexLexer."""
    kind = type(lexer)
    if (
        _parser is None
        or not isinstance(lexer, RegexLexer)
        or kind.get_tokens_unprocessed is not RegexLexer.get_tokens_unprocessed
    ):
        return lexer
    lexer.get_tokens_unprocessed = functools.partial(_tokens, lexer, _states(kind))
    return lexer


class _States(dict):
    """A lexer class's states by name, each made the first time it is entered."""

    def __init__(self, kind: type) -> None:
        super().__init__()
        self.kind = kind

    def __missing__(self, name: str) -> _State:
        state = self[name] = _State(self.kind._tokens[name])
        return state


_states = functools.cache(_States)  # one per lexer class


class _State:
    """A state's rules, and for each character met so far the rules that can match
    starting with it, in their order."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self.starts = [_could_start(rule) for rule in rules]
        # Where the text ends only a rule that can match nothing can match.
        self.at_end = tuple(
            r for r, s in zip(rules, self.starts, strict=True) if s is None
        )
        self.by_char: dict[str, tuple[Rule, ...]] = {}

    def rules_for(self, char: str) -> tuple[Rule, ...]:
        rules = tuple(
            rule
            for rule, could in zip(self.rules, self.starts, strict=True)
            if could is None or could(char)
        )
        if len(self.by_char) < _KEPT_CHARACTERS:  # text in many scripts: bounded
            self.by_char[char] = rules
        return rules


# Characters whose rules each state keeps: far more than source text meets.
_KEPT_CHARACTERS = 4096


def _tokens(lexer, states: _States, text: str, stack=("root",)):
    """RegexLexer.get_tokens_unprocessed, trying only the rules that can match at the
    position."""
    pos = 0
    end = len(text)
    statestack = list(stack)
    state = states[statestack[-1]]
    while True:
        if pos < end:
            char = text[pos]
            statetokens = state.by_char.get(char)
            if statetokens is None:
                statetokens = state.rules_for(char)
        else:
            statetokens = state.at_end
        for rexmatch, action, new_state in statetokens:
            m = rexmatch(text, pos)
            if m:
                if action is not None:
                    if type(action) is _TokenType:
                        yield pos, action, m.group()
                    else:
                        yield from action(lexer, m)
                pos = m.end()
                if new_state is not None:
                    _change_state(statestack, new_state)
                    state = states[statestack[-1]]
                break
        else:
            # No rule matched: as Pygments, a newline goes back to "root", any other
            # character is an Error token.
            try:
                if text[pos] == "\n":
                    statestack = ["root"]
                    state = states["root"]
                    yield pos, Whitespace, "\n"
                    pos += 1
                    continue
                yield pos, Error, text[pos]
                pos += 1
            except IndexError:
                break


def _change_state(statestack: list[str], new_state) -> None:
    if isinstance(new_state, tuple):
        for state in new_state:
            if state == "#pop":
                if len(statestack) > 1:
                    statestack.pop()
            elif state == "#push":
                statestack.append(statestack[-1])
            else:
                statestack.append(state)
    elif isinstance(new_state, int):
        # pop, but keep at least one state on the stack
        if abs(new_state) >= len(statestack):
            del statestack[1:]
        else:
            del statestack[new_state:]
    elif new_state == "#push":
        statestack.append(statestack[-1])
    else:  # pragma: no cover - Pygments refuses such a rule when it builds the lexer
        raise AssertionError(f"wrong state def: {new_state!r}")


# -- which characters can start a match -----------------------------------------------
# From the pattern's parse tree (the `re` module's own parser): the character classes
# its first consumed character is in. Everything not followed here, and every pattern
# that can match the empty string, counts as "any character": a rule is left out for a
# character only when its pattern cannot match starting with it.

_ANY = object()  # a first set holding every character


@dataclass(frozen=True)
class _Class:
    """A character class: sorted (low, high) code point ranges, categories (`\\w`
    etc. as one-character `match`es under the pattern's ASCII flag), negated or not,
    and whether case is ignored."""

    ranges: tuple[tuple[int, int], ...]
    categories: tuple[Callable, ...]
    negated: bool
    ignorecase: bool

    def holds(self, char: str) -> bool:
        """Whether `char` may start a match here (True when unsure)."""
        if self.ignorecase:
            # Case folding pairs some ASCII letters with others (k with the Kelvin
            # sign): only an ASCII character against a plain class of ASCII
            # characters is certain.
            if not (char.isascii() and self._plain_ascii):
                return True
            return any(self._has(v) for v in {char, char.lower(), char.upper()})
        return self._has(char) != self.negated

    @functools.cached_property
    def _plain_ascii(self) -> bool:
        """Not negated, no categories, every range within ASCII."""
        return not (self.negated or self.categories) and all(
            high < 128 for _, high in self.ranges
        )

    def _has(self, char: str) -> bool:
        code = ord(char)
        at = bisect.bisect_right(self.ranges, (code, sys.maxunicode + 1)) - 1
        if at >= 0 and self.ranges[at][0] <= code <= self.ranges[at][1]:
            return True
        return any(category(char) for category in self.categories)


@functools.cache
def _category(code, ascii_only: bool) -> Callable:
    text = {
        _constants.CATEGORY_DIGIT: r"\d",
        _constants.CATEGORY_NOT_DIGIT: r"\D",
        _constants.CATEGORY_SPACE: r"\s",
        _constants.CATEGORY_NOT_SPACE: r"\S",
        _constants.CATEGORY_WORD: r"\w",
        _constants.CATEGORY_NOT_WORD: r"\W",
    }[code]
    return re.compile(text, re.ASCII if ascii_only else 0).match


def _could_start(rule: Rule) -> Callable[[str], bool] | None:
    """A test of whether the rule's pattern can match starting with a character, or
    None when it may match starting with anything, or with nothing."""
    compiled = getattr(rule[0], "__self__", None)
    if not isinstance(compiled, re.Pattern) or not isinstance(compiled.pattern, str):
        return None
    try:
        tree = _parser.parse(compiled.pattern, compiled.flags)
        ascii_only = bool(compiled.flags & re.ASCII)
        ignorecase = bool(compiled.flags & re.IGNORECASE)
        classes, nullable = _first(list(tree), ignorecase, ascii_only)
    except Exception:  # a construct or parser this does not know: keep the rule
        return None
    if nullable or _ANY in classes:
        return None
    return functools.partial(_holds_any, tuple(classes))


def _holds_any(classes: tuple[_Class, ...], char: str) -> bool:
    return any(c.holds(char) for c in classes)


def _first(items: list, ignorecase: bool, ascii_only: bool) -> tuple[list, bool]:
    """(the classes of the first character, and whether the sequence can match
    empty) of a sequence of parse items: each item's classes until one that cannot be
    empty."""
    c = _constants
    classes: list = []
    for op, av in items:
        if op in (c.LITERAL, c.IN):
            found = _class(
                [(op, av)] if op is c.LITERAL else av, ignorecase, ascii_only
            )
            return [*classes, found], False
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue  # zero width: what follows starts the match
        if op is c.SUBPATTERN:
            _group, add_flags, del_flags, inner = av
            scoped = (ignorecase or bool(add_flags & re.IGNORECASE)) and not (
                del_flags & re.IGNORECASE
            )
            found, nullable = _first(list(inner), scoped, ascii_only)
        elif op is c.ATOMIC_GROUP:
            found, nullable = _first(list(av), ignorecase, ascii_only)
        elif op is c.BRANCH:
            found, nullable = [], False
            for alternative in av[1]:
                more, empty = _first(list(alternative), ignorecase, ascii_only)
                found += more
                nullable = nullable or empty
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, _high, inner = av
            found, nullable = _first(list(inner), ignorecase, ascii_only)
            nullable = nullable or low == 0
        else:  # ANY, NOT_LITERAL, GROUPREF, GROUPREF_EXISTS, ...: anything may start
            return [_ANY], True
        classes += found
        if not nullable:
            return classes, False
    return classes, True


def _class(items, ignorecase: bool, ascii_only: bool):
    """A character class from its parse items (a literal: one item), or _ANY for
    items not known here."""
    c = _constants
    ranges, categories, negated = [], [], False
    for n, (op, av) in enumerate(items):
        if op is c.NEGATE and n == 0:
            negated = True
        elif op is c.LITERAL:
            ranges.append((av, av))
        elif op is c.RANGE:
            ranges.append(tuple(av))
        elif op is c.CATEGORY:
            categories.append(_category(av, ascii_only))
        else:
            return _ANY
    merged: list[tuple[int, int]] = []  # sorted, overlaps joined: one bisect finds it
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return _Class(tuple(merged), tuple(categories), negated, ignorecase)
