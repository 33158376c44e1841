"""Tab completion for `%resource` / `%%resource`, from the subcommand declarations.

Registered with IPython's completer API v2 (a `context_matcher` appended to
`IPCompleter.custom_matchers`). It completes, after `%resource`: subcommands; a
subcommand's options (from its declared arguments); types after -t; tags after --tag;
resource names where a subcommand takes NAME or SOURCE (mine, and owner/name of public
ones once a / is typed); and NAME@... through `REFERENCE_COMPLETERS` (labels, then
versions from the history). Names and tags come from the
store's prefix look-ups (indexed, limited). A completer must never raise: a database
that cannot be reached completes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from IPython.core.completer import SimpleCompletion, context_matcher

from ..references import LATEST
from ..vocabulary import RESOURCE_TYPES, SORT_FIELDS
from .registry import SUBCOMMANDS

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ..store import ResourceStore
    from .core import ResourceMagic

LIMIT = 20
_MAGIC = re.compile(r"%%?resource(\s.*)?$")
# Positionals that name a resource: complete resource names there.
_NAME_METAVARS = {"NAME", "SOURCE"}
Completion = tuple[str, str]  # (text, type)


def _versions(store: ResourceStore, name: str, typed: str) -> list[str]:
    """NAME@N: the versions in the history."""
    return [
        str(v.version) for v in store.history(name) if str(v.version).startswith(typed)
    ]


def _labels(store: ResourceStore, name: str, typed: str) -> list[str]:
    """NAME@LABEL: its labels, and `latest` (always the current version)."""
    names = [label.label for label in store.labels(name)] + [LATEST]
    return [label for label in names if label.startswith(typed)]


# Each (store, name, typed after @) -> completions after NAME@; add more here.
REFERENCE_COMPLETERS: list[Callable[[Any, str, str], list[str]]] = [_labels, _versions]


def complete(line: str, store: Callable[[], ResourceStore]) -> tuple[str, list] | None:
    """(the fragment being completed, [(text, type)]) for the line up to the cursor,
    or None when it is not ours to complete (not a %resource line, or a file name or
    free value, which IPython's own matchers handle). `store()` gives the store."""
    match = _MAGIC.search(line)
    if match is None or match.group(1) is None:
        return None
    rest = match.group(1)
    words = rest.split()
    fragment = "" if rest[-1:].isspace() else words.pop()
    if not words:
        return fragment, [
            (n, "subcommand") for n in SUBCOMMANDS if n.startswith(fragment)
        ]
    command = SUBCOMMANDS.get(words[0])
    if command is None:
        return fragment, []
    actions = command.parser()._actions
    previous = words[-1] if len(words) > 1 else ""
    if previous in ("-t", "--type"):
        return fragment, [(t, "type") for t in RESOURCE_TYPES if t.startswith(fragment)]
    if previous == "--sort":
        orders = [f"{sign}{k}" for k in SORT_FIELDS for sign in ("", "-")]
        return fragment, [(o, "sort") for o in orders if o.startswith(fragment)]
    if command.name == "help":
        return fragment, [
            (n, "subcommand") for n in SUBCOMMANDS if n.startswith(fragment)
        ]
    if previous == "--tag":
        return fragment, [(t, "tag") for t in store().complete_tags(fragment)]
    if fragment.startswith("-"):
        options = sorted({o for a in actions for o in a.option_strings})
        return fragment, [(o, "option") for o in options if o.startswith(fragment)]
    taking_value = {o for a in actions if a.nargs is None for o in a.option_strings}
    if previous in taking_value:
        return None  # a value we know nothing about: leave it to IPython
    if not any(a.metavar in _NAME_METAVARS for a in actions if not a.option_strings):
        return None  # e.g. a FILE: IPython completes paths
    if "@" in fragment:
        name, _, typed = fragment.partition("@")
        found: list[Completion] = []
        for completer in REFERENCE_COMPLETERS:
            found += [
                (f"{name}@{r}", "reference") for r in completer(store(), name, typed)
            ]
        return fragment, found
    return fragment, [
        (n, "resource") for n in store().complete_names(fragment, limit=LIMIT)
    ]


def make_matcher(magic: ResourceMagic):
    """An IPython completer-API-v2 matcher for this magic's %resource lines."""

    @context_matcher()
    def resource_matcher(context) -> dict:
        nothing = {"completions": [], "suppress": False}
        line = context.line_with_cursor
        if context.cursor_line != 0 and "%resource" not in line:
            return nothing
        if _MAGIC.search(context.text_until_cursor) is None:
            return nothing
        try:
            found = complete(context.text_until_cursor, magic.store)
        except Exception:  # never raise into the completer: no database, no names
            return {"completions": [], "suppress": True}
        if found is None:
            return nothing
        fragment, items = found
        # ours: only what fits here (an empty list too, rather than magics and paths)
        return {
            "completions": [SimpleCompletion(text, type=kind) for text, kind in items],
            "matched_fragment": fragment,
            "suppress": True,
        }

    resource_matcher.resource_magic = True  # found again by unload
    return resource_matcher


def register(shell, magic: ResourceMagic) -> None:
    """Add the matcher to the shell's completer (once)."""
    completer = getattr(shell, "Completer", None)
    if completer is None:
        return
    unregister(shell)
    completer.custom_matchers.append(make_matcher(magic))


def unregister(shell) -> None:
    completer = getattr(shell, "Completer", None)
    if completer is None:
        return
    completer.custom_matchers[:] = [
        m for m in completer.custom_matchers if not getattr(m, "resource_magic", False)
    ]
