"""Child processes for the reliability tests, started the cheap and safe way.

A forkserver forks each child from a clean process that has already imported the store
(so a child starts in milliseconds, not the second a fresh interpreter takes) and that
never opened a database connection (so no child inherits the test process's pooled
connections).
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import BaseContext

PRELOAD = ["__main__", "_load_worker", "_crash_worker", "resource_magic.store"]


def mp_context() -> BaseContext:
    """The forkserver context, preloading the workers (when it is not yet running)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context
