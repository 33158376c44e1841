"""Debounce: run a function once, a moment after the last of a burst of triggers.

Typing in the search box fires one change per keystroke; querying on each would waste
the database's time on queries nobody reads. In a kernel the asyncio loop is running, so
the delay is a `call_later` on it (the call then runs on the kernel's own thread,
between messages); elsewhere (a plain script) a `threading.Timer` does the waiting. A
delay of 0 runs at once, which is what tests use, and `flush()` runs a pending call now.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable


class Debouncer:
    """`trigger()` calls `fn()` once, `delay` seconds after the last trigger."""

    def __init__(self, fn: Callable[[], None], delay: float) -> None:
        self.fn = fn
        self.delay = float(delay)
        self._lock = threading.Lock()
        self._handle: asyncio.TimerHandle | threading.Timer | None = None

    @property
    def pending(self) -> bool:
        return self._handle is not None

    def trigger(self) -> None:
        if self.delay <= 0:
            self.cancel()
            self.fn()
            return
        with self._lock:
            self._cancel_locked()
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None:
                self._handle = loop.call_later(self.delay, self._fire)
            else:
                timer = threading.Timer(self.delay, self._fire)
                timer.daemon = True
                self._handle = timer
                timer.start()

    def flush(self) -> None:
        """Run a pending call now (and cancel its timer)."""
        if self.pending:
            self._fire()

    def cancel(self) -> None:
        with self._lock:
            self._cancel_locked()

    def _cancel_locked(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self) -> None:
        with self._lock:
            if self._handle is None:  # cancelled or already flushed
                return
            self._cancel_locked()
        self.fn()
