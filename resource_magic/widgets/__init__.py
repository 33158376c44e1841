"""Resource browser: BrowserState (HasTraits, no widgets) and its ipywidgets view."""

from .state import BrowserState, Preview
from .view import ResourceBrowser

__all__ = ["BrowserState", "Preview", "ResourceBrowser"]
