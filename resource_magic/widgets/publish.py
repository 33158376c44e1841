"""Make public / make private: a button for the preview's action row and the panel it
opens (what changes, an 'Allow secrets' box when going public, confirm or cancel).

Part of the action panel (panels.py), kept apart so that module stays under its size:
the button is in the action row from the start and follows `BrowserState.preview`;
the panel is built when the button is first pressed and calls `BrowserState.set_public`.
"""

from __future__ import annotations

import html

import ipywidgets as w

from .actions import BrowserState
from .controls import (
    HiddenLayout,
    SharedCheckboxStyle,
    hidden,
    make_button,
    make_html,
    shared,
    show,
)


def allow_secrets_box(css: str, what: str) -> w.Checkbox:
    """The opt-in to go ahead although the scan found something like a secret."""
    box = w.Checkbox(
        value=False,
        description="Allow secrets",
        indent=False,
        tooltip=f"{what} even if it looks like it holds a key, token or password",
        layout=w.Layout(width="auto"),
        style=shared(SharedCheckboxStyle),
        _dom_classes=(css,),
    )
    return box


def public_button() -> w.Button:
    """The action row's Make public / Make private button (`label_public_button`)."""
    return make_button(
        "Make public",
        "rm-public",
        "Let everyone using this database see and fork it",
        icon="globe",
    )


def label_public_button(button: w.Button, preview) -> None:
    """Label the button for the previewed resource (None: nothing picked)."""
    public = preview is not None and preview.record.is_public
    button.description = "Make private" if public else "Make public"
    button.tooltip = (
        "Let only you and your share tokens' holders see it"
        if public
        else "Let everyone using this database see and fork it"
    )


class PublicPanel(w.HBox):
    """PublicPanel(state): the confirm panel that `public_button()` opens."""

    def __init__(self, state: BrowserState) -> None:
        super().__init__(layout=shared(HiddenLayout), _dom_classes=("rm-public-panel",))
        self.state = state
        self._going_public = True
        self._question = make_html(css="rm-public-question")
        self._allow = allow_secrets_box("rm-public-allow-secrets", "Make it public")
        self._confirm = make_button(
            "Yes", "rm-public-confirm", "Change who can see it", button_style="primary"
        )
        self._cancel = make_button("Cancel", "rm-public-cancel", "Leave it as it is")
        self.children = (self._question, self._allow, self._confirm, self._cancel)
        self._confirm.on_click(self._on_confirm_click)
        self._cancel.on_click(self._on_cancel_click)

    def ask(self) -> bool:
        """Fill the question for the previewed resource; False if nothing is picked."""
        preview = self.state.preview
        if preview is None:
            self.state.say(
                "Pick a resource first, then change who can see it.", "error"
            )
            return False
        name = html.escape(preview.record.name)
        self._going_public = not preview.record.is_public
        self._allow.value = False
        show(self._allow, self._going_public)
        self._question.value = (
            f"Make <b>{name}</b> public? Everyone using this database will see every "
            "version of it and can fork it."
            if self._going_public
            else f"Make <b>{name}</b> private? Only you and holders of its share "
            "tokens will see it."
        )
        return True

    def _on_confirm_click(self, button) -> None:
        if self.state.set_public(self._going_public, self._allow.value):
            hidden(self)

    def _on_cancel_click(self, button) -> None:
        hidden(self)
