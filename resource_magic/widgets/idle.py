"""Work for the kernel's idle moments: run in short steps on its own event loop.

The first preview in a process used to import Pygments and compile its lexers, some
50-100 ms that every later preview does not pay. The browser hands such work to the
kernel's asyncio loop once its first page is drawn, as the debouncer does its queries
(debounce.py): the opening cell does not wait for it, it runs on the kernel's own thread
(no lock, no race with a preview drawing at the same time), and one step per turn of
the loop, so a click arriving meanwhile waits for one step at most, not for all of it.
A daemon thread would do the same work beside the cell that opens the browser, holding
the GIL against it. Without a running loop (a script, a test driving the widgets by
hand) no one is about to click, so nothing is scheduled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

_DONE = object()


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The kernel's running event loop, or None (a script, a test driving the widgets
    by hand): the one test of whether anything can wait for later."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def run_in_steps(steps: Iterator[object], delay: float) -> bool:
    """Run `steps` (each `next()` one short step) on the running event loop, one step
    per turn, from `delay` seconds on; False, and nothing run, without a loop."""
    loop = running_loop()
    if loop is None:
        return False

    def step() -> None:
        if next(steps, _DONE) is not _DONE:
            loop.call_soon(step)

    loop.call_later(delay, step)
    return True
