"""Share: the panel the Share button opens (an expiry, a use limit, 'Allow secrets';
then the token, shown once, with the line to send).

Part of the action panel (panels.py), which builds it the first time Share is pressed:
the panel mirrors `BrowserState.new_share` and calls `BrowserState.share`."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from .actions import BrowserState
from .controls import (
    HiddenLayout,
    hidden,
    make_box,
    make_button,
    make_html,
    make_text,
    shared,
    show,
)
from .publish import allow_secrets_box


class SharePanel(w.VBox):
    """SharePanel(state, close): `close()` hides it (Cancel)."""

    def __init__(self, state: BrowserState, close: Callable[[], None]) -> None:
        super().__init__(layout=shared(HiddenLayout), _dom_classes=("rm-share-panel",))
        self.state = state
        self._close = close
        self._expires = make_text(
            "expires: 30m, 12h, 7d or ISO date (blank: never)",
            "rm-share-expires",
            layout=w.Layout(width="320px"),
        )
        self._max_uses = make_text(
            "max uses (blank: unlimited)",
            "rm-share-max-uses",
            layout=w.Layout(width="200px"),
        )
        self._create = make_button(
            "Create token",
            "rm-share-create",
            "Make the share token",
            button_style="primary",
        )
        self.allow = allow_secrets_box("rm-share-allow-secrets", "Share it")
        self._cancel = make_button("Cancel", "rm-share-cancel", "Do not share")
        self._token = make_html(css="rm-share-token")
        self._line = make_text(
            "",
            "rm-share-line",
            description="Give them:",
            tooltip="Copy this line for the recipient",
            layout=w.Layout(width="100%"),
        )
        self._result = make_box(w.VBox, [self._token, self._line], shown=False)
        form = make_box(
            w.HBox,
            [self._expires, self._max_uses, self.allow, self._create, self._cancel],
        )
        self.children = (form, self._result)
        self._create.on_click(self._on_create_click)
        self._cancel.on_click(self._on_cancel_click)
        state.observe(self.draw_new_share, "new_share")
        self.draw_new_share()

    def hide_result(self) -> None:
        hidden(self._result)

    def draw_new_share(self, change=None) -> None:
        new = self.state.new_share
        if new is None:
            hidden(self._result)
            self._line.value = ""
            self._token.value = ""
            return
        self._token.value = (
            f"Token (shown only once): <code>{html.escape(new.token)}</code>"
        )
        self._line.value = f"%resource open {new.token}"
        show(self._result)

    def _on_create_click(self, button) -> None:
        self.state.share(
            self._expires.value,
            self._max_uses.value,
            allow_secrets=self.allow.value,
        )

    def _on_cancel_click(self, button) -> None:
        self.state.new_share = None
        self._close()
