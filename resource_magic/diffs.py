"""Differences between two versions of a resource, as text and as highlighted HTML.

Pure: no database, no IPython. Content is compared as text; an agent_config as JSON
indented with sorted keys, so the order of keys never shows as a change. Parameters are
compared one per line (`n: int = 5`, `city: str (required)`), sorted by name.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass

from .records import VersionPair, VersionRecord
from .templates import parameter_list


@dataclass(frozen=True)
class VersionDiff:
    old_label: str  # etl@2
    new_label: str  # etl@3
    text: str  # a unified diff of content, then of parameters; "" when identical

    @property
    def identical(self) -> bool:
        return not self.text

    def summary(self) -> str:
        """The one line shown when there is nothing to show."""
        return (
            f"{self.old_label} and {self.new_label} are identical (content and "
            "parameters)."
        )

    def html(self) -> str:
        """The diff highlighted with inline styles (no stylesheet needed)."""
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import DiffLexer

        return highlight(self.text, DiffLexer(), HtmlFormatter(noclasses=True))

    def bundle(self) -> dict:
        """A display bundle: text/plain always, text/html when there is a diff."""
        if self.identical:
            return {"text/plain": self.summary()}
        return {"text/plain": self.text, "text/html": self.html()}


def comparable_text(resource_type: str, content: object) -> str:
    """The text a version's content is compared as."""
    if resource_type == "agent_config":
        return json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    text = str(content)
    return text if text.endswith("\n") else text + "\n"


def _parameter_lines(version: VersionRecord) -> list[str]:
    return [p.describe() + "\n" for p in parameter_list(version.parameters)]


def diff_versions(pair: VersionPair, shown_name: str) -> VersionDiff:
    """The unified diff from `pair.old` to `pair.new` (`shown_name`: etl or bob/etl)."""
    kind = pair.resource.resource_type
    old_label = f"{shown_name}@{pair.old.version}"
    new_label = f"{shown_name}@{pair.new.version}"
    content = difflib.unified_diff(
        comparable_text(kind, pair.old.content).splitlines(keepends=True),
        comparable_text(kind, pair.new.content).splitlines(keepends=True),
        fromfile=old_label,
        tofile=new_label,
    )
    parameters = difflib.unified_diff(
        _parameter_lines(pair.old),
        _parameter_lines(pair.new),
        fromfile=f"{old_label} parameters",
        tofile=f"{new_label} parameters",
    )
    return VersionDiff(old_label, new_label, "".join([*content, *parameters]))
