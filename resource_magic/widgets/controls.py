"""Small builders every part of the browser's view uses: each control gets its `rm-*`
CSS class (for styling, the tests and the real-browser test) when it is made."""

from __future__ import annotations

import ipywidgets as w


def make_button(label: str, css: str, tooltip: str, **kwargs) -> w.Button:
    widget = w.Button(description=label, tooltip=tooltip, **kwargs)
    widget.add_class(css)
    return widget


def make_text(placeholder: str, css: str, description: str = "", **kwargs) -> w.Text:
    box = w.Text(placeholder=placeholder, description=description, **kwargs)
    box.add_class(css)
    return box


def hidden(box: w.Widget) -> w.Widget:
    box.layout.display = "none"
    return box
