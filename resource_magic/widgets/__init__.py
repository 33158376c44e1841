"""Resource browser: BrowserState (HasTraits, no widgets) and its ipywidgets view."""

from .actions import BrowserState
from .state import Preview
from .view import ResourceBrowser

__all__ = ["BrowserState", "Preview", "ResourceBrowser"]
