"""Insert: put a resource's source into a new cell below the browser.

A kernel cannot add cells by itself, and `set_next_input` only works in reply to a
cell's execution (from a widget click it would surface on the user's *next* run). In
JupyterLab and Notebook 7 the `ipylab` widget reaches the front end's command registry,
so Insert runs `notebook:insert-cell-below` and then `notebook:replace-selection` with
the text, the way ipylab's maintainers suggest (jtpio/ipylab#140). The second command
waits a moment on the kernel's event loop because the new cell's editor is created
asynchronously. ipylab's model reports the front end's version once it is live, which is
how we know it works here; in other front ends (VS Code, classic Notebook) the view
shows the source in a box to copy instead, and a terminal IPython gets it as its next
input.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

INSERT_BELOW = "notebook:insert-cell-below"
REPLACE_SELECTION = "notebook:replace-selection"


def _later(delay: float, fn: Callable[[], None]) -> None:
    """Call fn after `delay` seconds on the running event loop (at once without one)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is None or delay <= 0:
        fn()
    else:
        loop.call_later(delay, fn)


def lab_frontend(shell):
    """An ipylab JupyterFrontEnd when running in a kernel (it goes live only in Lab)."""
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    try:
        from ipylab import JupyterFrontEnd

        return JupyterFrontEnd()
    except Exception:  # a missing or broken ipylab must not break the browser
        logger.exception(
            "resource browser: ipylab is unavailable, Insert will fall back"
        )
        return None


class CellInserter:
    """`insert(text)` says how it went: 'lab', 'next-input' or 'copy'."""

    def __init__(self, shell=None, frontend=None, delay: float = 0.3) -> None:
        self.shell = shell
        self.frontend = frontend
        self.delay = delay

    @property
    def in_lab(self) -> bool:
        """True once ipylab's front-end model is live (JupyterLab, Notebook 7)."""
        return bool(self.frontend is not None and self.frontend.version)

    def insert(self, text: str) -> str:
        if self.in_lab:
            commands = self.frontend.commands
            commands.execute(INSERT_BELOW)
            _later(
                self.delay,
                lambda: commands.execute(REPLACE_SELECTION, {"text": text}),
            )
            return "lab"
        if self.shell is not None and getattr(self.shell, "kernel", None) is None:
            self.shell.set_next_input(text)  # a terminal: pre-fill the next prompt
            return "next-input"
        return "copy"
