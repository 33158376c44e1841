"""One module per subcommand (or small group); importing this registers them all.

The import order is the order `%resource?` lists them in, hence not sorted.
"""

# ruff: noqa: I001

from . import (  # noqa: F401 - imported for their registrations
    save,
    listing,
    show,
    run,
    lineage,
    sharing,
    versions,
    manage,
    transfer,
    session,
)
