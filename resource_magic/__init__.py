"""resource_magic: keep notebook cells as typed, versioned, shareable resources.

In IPython or Jupyter: `%load_ext resource_magic`, then `%resource?`. From Python:
`ResourceStore(url, user)`. Importing this package (and loading the extension) stays
light: the store, SQLAlchemy, pandas and ipywidgets are imported when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    DatabaseUnavailable,
    InvalidInput,
    NameTaken,
    NotFound,
    NotOwner,
    ResourceError,
    TokenRefused,
)
from .templates import parse_parameters, placeholders, render_prompt

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .magic import ResourceMagic
    from .store import ResourceStore

__version__ = "0.1.0"

__all__ = [
    "DatabaseUnavailable",
    "InvalidInput",
    "NameTaken",
    "NotFound",
    "NotOwner",
    "ResourceError",
    "ResourceMagic",
    "ResourceStore",
    "TokenRefused",
    "__version__",
    "load_ipython_extension",
    "parse_parameters",
    "placeholders",
    "render_prompt",
    "unload_ipython_extension",
]


def __getattr__(name: str) -> Any:
    """Import the heavy parts on first use (PEP 562)."""
    if name == "ResourceStore":
        from .store import ResourceStore

        return ResourceStore
    if name == "ResourceMagic":
        from .magic import ResourceMagic

        return ResourceMagic
    raise AttributeError(f"module 'resource_magic' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext resource_magic`: register %resource / %%resource; opens nothing."""
    from .magic import ResourceMagic
    from .magic.complete import register

    magic = ResourceMagic(shell=ipython)
    ipython.register_magics(magic)
    register(ipython, magic)  # tab completion of %resource lines


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext resource_magic`: remove the magic and its configurable."""
    from .magic.complete import unregister

    unregister(ipython)
    manager = ipython.magics_manager
    magic = manager.registry.pop("ResourceMagic", None)
    for kind in ("line", "cell"):
        manager.magics[kind].pop("resource", None)
    if magic is not None and magic in ipython.configurables:
        ipython.configurables.remove(magic)
