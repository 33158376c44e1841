"""Small builders every part of the browser's view uses: each control gets its `rm-*`
CSS class (for styling, the tests and the real-browser test) when it is made.

Every ipywidgets widget brings a `Layout` and usually a style, each a widget of its own
(a model in the front end, a comm in the kernel): most of the browser's 70 controls
would bring two more, and making them was most of what opening the browser cost. The
ones that keep the default look share one `Layout` and one style per kind instead, as
ipywidgets allows ("the layout property can be shared between multiple widgets"), and
so do those with the same fixed look (`shared(SharedLayout, width="130px")`: a `Layout`
is the costliest widget to make, some forty synced traits). A shared one is read-only
(`Shared`): a change would show on every widget sharing it, so a widget whose look
changes is given its own `Layout` when it is made (or later: `widget.layout =
Layout(...)`). Showing
and hiding a panel (`show`, `hidden`) swaps in the shared shown or hidden layout rather
than changing one, so panels need no layout of their own either.
"""

from __future__ import annotations

import ipywidgets as w
from traitlets import default


class Shared:
    """Mixin: the synced traits of a layout or style many widgets share are read-only
    once it is made (the front end may still update it, through `set_state`)."""

    _sealed = False

    def __setattr__(self, name: str, value) -> None:
        if self._sealed and not name.startswith("_") and name in self.keys:
            raise AttributeError(
                f"this {type(self).__mro__[2].__name__} is shared by many widgets of "
                f"the browser: give the widget its own (layout=Layout({name}=...))"
            )
        super().__setattr__(name, value)


class ShownLayout(Shared, w.Layout):
    """The default layout, shown again after being hidden (`show`), shared."""

    @default("display")
    def _display(self) -> str:
        return ""


class HiddenLayout(Shared, w.Layout):
    """The default layout, hidden (`hidden`, `show`), shared."""

    @default("display")
    def _display(self) -> str:
        return "none"


def _style_of(kind: type[w.DOMWidget]) -> type[w.Widget]:
    """The style class `kind` makes for itself (not all of them are exported)."""
    return kind.class_traits()["style"].klass


class SharedLayout(Shared, w.Layout):
    """The default layout, shared."""


class SharedButtonStyle(Shared, _style_of(w.Button)):
    """The default button style, shared."""


class SharedHTMLStyle(Shared, _style_of(w.HTML)):
    """The default HTML style, shared."""


class SharedTextStyle(Shared, _style_of(w.Text)):
    """The default text box style, shared."""


class SharedCheckboxStyle(Shared, _style_of(w.Checkbox)):
    """The default checkbox style, shared."""


class SharedDescriptionStyle(Shared, _style_of(w.Select)):
    """The default style of dropdowns and lists, shared."""


class SharedToggleButtonsStyle(Shared, w.ToggleButtonsStyle):
    """A toggle buttons' style, shared."""


_shared: dict[tuple, w.Widget] = {}


def shared(kind: type[Shared], **traits) -> w.Widget:
    """The one `kind` with these `traits` (none: the default look) of this kernel,
    made again if someone closed it."""
    key = (kind, *sorted(traits.items()))
    look = _shared.get(key)
    if look is None or look.comm is None:
        look = _shared[key] = kind(**traits)
        look._sealed = True
    return look


def _looks(kwargs: dict, style: type[Shared] | None, shown: bool = True) -> dict:
    """`kwargs` with the shared layout and style unless the caller gave its own."""
    kwargs.setdefault("layout", shared(SharedLayout if shown else HiddenLayout))
    if style is not None:
        kwargs.setdefault("style", shared(style))
    return kwargs


def make_button(label: str, css: str, tooltip: str, **kwargs) -> w.Button:
    return w.Button(
        description=label,
        tooltip=tooltip,
        _dom_classes=(css,),
        **_looks(kwargs, SharedButtonStyle),
    )


def make_text(placeholder: str, css: str, description: str = "", **kwargs) -> w.Text:
    return w.Text(
        placeholder=placeholder,
        description=description,
        _dom_classes=(css,),
        **_looks(kwargs, SharedTextStyle),
    )


def make_html(
    value: str = "", css: str | None = None, *, shown: bool = True, **kwargs
) -> w.HTML:
    classes = (css,) if css else ()
    looks = _looks(kwargs, SharedHTMLStyle, shown)
    return w.HTML(value, _dom_classes=classes, **looks)


def make_choice(kind: type[w.Widget], css: str, **kwargs) -> w.Widget:
    """A Dropdown or Select with its CSS class."""
    return kind(_dom_classes=(css,), **_looks(kwargs, SharedDescriptionStyle))


def make_box(
    kind: type[w.Box], children=(), css: str | None = None, *, shown=True, **kwargs
):
    """An HBox or VBox with the default look (shown or hidden, see `show`)."""
    classes = (css,) if css else ()
    return kind(children, _dom_classes=classes, **_looks(kwargs, None, shown))


def show(widget: w.DOMWidget, visible: bool = True) -> w.DOMWidget:
    """Show or hide `widget`: one with a shared layout gets the shared shown or
    hidden one (no layout of its own made for it), one with its own layout changes it.
    """
    if isinstance(widget.layout, Shared):
        widget.layout = shared(ShownLayout if visible else HiddenLayout)
    else:
        widget.layout.display = "" if visible else "none"
    return widget


def hidden(widget: w.DOMWidget) -> w.DOMWidget:
    return show(widget, False)
