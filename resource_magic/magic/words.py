"""A `%resource` line <-> its words, the way `shlex.split` reads them, in linear time.

`shlex.split` grows each word one character at a time, so its time grows with the
square of a word's length: 0.5 s for a 125 KB line, 23 s for 1 MB (`run p -p a=<text>`).
`split_line` reads the same POSIX shell words (whitespace outside quotes separates
them; '...' keeps everything, "..." lets a backslash escape only `"` and `\\`, a bare
backslash escapes any character, no comments) with one regular-expression scan, and
refuses a line longer than `MAX_LINE` before reading it at all. `quote_word` is the
inverse: `split_line(quote_word(w)) == [w]` for every text, which is what lets
`%resource load` write any name into a header that reads back exactly.
"""

from __future__ import annotations

import re
import shlex

from ..errors import InvalidInput
from ..vocabulary import MAX_CONTENT_BYTES

# Room for a value as large as a version's content (-p 'text=<1 MiB>') and the rest of
# the line; past it the answer is a refusal, at once.
MAX_LINE = MAX_CONTENT_BYTES + 4096

# One piece of a word, and the whitespace after it if the word ends there. Possessive
# quantifiers: a piece never needs to be matched two ways, so nothing backtracks.
_PIECE = re.compile(
    r"""(?:
        (?P<plain>(?:[^ \t\r\n'"\\]++|\\.)++)
      | (?P<single>(?:'[^']*+')++)
      | "(?P<double>[^"\\]*+(?:\\.[^"\\]*+)*+)"
    )(?P<end>[ \t\r\n]++)?
    """,
    re.VERBOSE | re.DOTALL,
)
_WHITESPACE = " \t\r\n"  # shlex's whitespace (not Unicode's)
_GAP = re.compile(r"[ \t\r\n]+")
_SPECIAL = re.compile(r"['\"\\]")


def split_line(line: str) -> list[str]:
    """The words of `line`, as `shlex.split(line)`; a one-line InvalidInput if the
    line is too long or a quote is not closed."""
    if len(line) > MAX_LINE:
        raise InvalidInput(
            f"The line is {len(line):,} characters long: the limit is {MAX_LINE:,}; "
            "put long text in the cell body or a parameter's saved default."
        )
    if _SPECIAL.search(line) is None:  # no quotes, no backslashes: split on whitespace
        stripped = line.strip(_WHITESPACE)
        return _GAP.split(stripped) if stripped else []
    words: list[str] = []
    pieces: list[str] = []
    position = len(line) - len(line.lstrip(_WHITESPACE))
    gap: str | None = ""
    for match in _PIECE.finditer(line, position):
        if match.start() != position:  # something no piece starts with
            break
        position = match.end()
        plain, single, double, gap = match.groups()
        if plain is not None:
            pieces.append(_unescape_bare(plain) if "\\" in plain else plain)
        elif single is not None:  # 'a''b': each '' joins two quoted parts
            pieces.append(single[1:-1].replace("''", ""))
        else:
            pieces.append(_unescape_double(double) if "\\" in double else double)
        if gap is not None:
            words.append("".join(pieces))
            pieces = []
    if position < len(line):
        raise InvalidInput(
            f"Cannot read the line ({_problem(line, position)}): "
            "close the quotes you opened."
        )
    if gap is None:  # the line ends inside its last word
        words.append("".join(pieces))
    return words


def _problem(line: str, position: int) -> str:
    """shlex's words for why `line` cannot be read from `position` (where no piece
    starts: a last backslash, or a quote that is never closed)."""
    if line[position] == "\\":
        return "No escaped character"
    rest = line[position + 1 :]
    trailing = len(rest) - len(rest.rstrip("\\"))
    if line[position] == '"' and trailing % 2:  # ends inside an escape
        return "No escaped character"
    return "No closing quotation"


def _unescape_bare(text: str) -> str:
    """Outside quotes a backslash escapes any character: each `\\\\` pair is one
    backslash, and a lone backslash just goes (the piece pattern pairs them all)."""
    return "\\".join(part.replace("\\", "") for part in text.split("\\\\"))


def _unescape_double(text: str) -> str:
    """Inside "...", a backslash escapes only `"` and itself (as in POSIX shells); each
    `\\\\` pair is one backslash, so split on them and unescape quotes in between."""
    return "\\".join(part.replace('\\"', '"') for part in text.split("\\\\"))


def quote_word(word: str) -> str:
    """`word` as one word that `split_line` reads back as exactly `word`: bare when
    that is safe, else in double quotes when it has no `"` or `\\`, else shlex.quote."""
    if shlex.quote(word) == word:
        return word
    if '"' not in word and "\\" not in word:
        return f'"{word}"'
    return shlex.quote(word)
