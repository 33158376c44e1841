"""Debounce: run a function once, a moment after the last of a burst of triggers.

Typing in the search box fires one change per keystroke; querying on each would waste
the database's time on queries nobody reads. In a kernel the asyncio loop is running, so
the delay is a `call_later` on it and the call runs on the kernel's own thread, between
messages: no other thread ever touches the state, so nothing needs a lock. Without a
running loop (a plain script, a test driving the widgets by hand) nobody types fast, so
the call runs at once, as it does with a delay of 0. `flush()` runs a pending call now.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .idle import running_loop


class Debouncer:
    """`trigger()` calls `fn()` once, `delay` seconds after the last trigger."""

    def __init__(self, fn: Callable[[], None], delay: float) -> None:
        self.fn = fn
        self.delay = float(delay)
        self._handle: asyncio.TimerHandle | None = None

    @property
    def pending(self) -> bool:
        """True while a call waits for the typing to pause."""
        return self._handle is not None

    def trigger(self) -> None:
        self.cancel()
        loop = running_loop()  # None: no event loop, nothing to wait on
        if loop is None or self.delay <= 0:
            self.fn()
        else:
            self._handle = loop.call_later(self.delay, self._fire)

    def flush(self) -> None:
        """Run a pending call now (and cancel its timer)."""
        if self.pending:
            self._fire()

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self) -> None:
        self.cancel()
        self.fn()
