"""Run a workflow's code in the user's IPython namespace and keep what it shows.

The browser shows a run's output in its own output area. Capturing by hand
(stdout/stderr, display(), the value of the last line, the traceback) instead of `with
output_widget:` gives the same result in every front end and headless, because the
outputs become plain notebook-format dicts that the Output widget renders and tests can
read.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from IPython.core.displaypub import DisplayPublisher


class _Stream:
    """A text stream appending notebook `stream` outputs (consecutive writes merge)."""

    def __init__(self, name: str, sink: list[dict]) -> None:
        self.name = name
        self.sink = sink
        self.encoding = "utf-8"

    def write(self, text: str) -> int:
        if text:
            last = self.sink[-1] if self.sink else None
            if last and last["output_type"] == "stream" and last["name"] == self.name:
                last["text"] += text
            else:
                self.sink.append(
                    {"output_type": "stream", "name": self.name, "text": text}
                )
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class _Publisher(DisplayPublisher):
    """display(...) calls become `display_data` outputs."""

    def __init__(self, sink: list[dict], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sink = sink

    def publish(
        self, data, metadata=None, source=None, *, transient=None, update=False
    ):
        self.sink.append(
            {"output_type": "display_data", "data": data, "metadata": metadata or {}}
        )

    def clear_output(self, wait: bool = False) -> None:
        self.sink.clear()


class _DisplayHook:
    """The value of a cell's last line becomes a `display_data` output."""

    def __init__(self, shell, sink: list[dict]) -> None:
        self.shell = shell
        self.sink = sink

    def __call__(self, result: object = None) -> None:
        if result is None:
            return
        data, metadata = self.shell.display_formatter.format(result)
        self.sink.append(
            {"output_type": "display_data", "data": data, "metadata": metadata}
        )


@contextmanager
def capture(shell) -> Iterator[list[dict]]:
    """Inside: everything the shell would show goes to the yielded list instead."""
    sink: list[dict] = []
    saved_streams = sys.stdout, sys.stderr
    saved_pub = shell.display_pub
    saved_hook = shell.display_trap.hook
    had_own_showtb = "_showtraceback" in vars(shell)
    saved_showtb = vars(shell).get("_showtraceback")

    def _showtraceback(etype, evalue, stb):
        sink.append(
            {
                "output_type": "error",
                "ename": etype.__name__,
                "evalue": str(evalue),
                "traceback": list(stb),
            }
        )

    sys.stdout, sys.stderr = _Stream("stdout", sink), _Stream("stderr", sink)
    shell.display_pub = _Publisher(sink, shell=shell)
    shell.display_trap.hook = _DisplayHook(shell, sink)
    shell._showtraceback = _showtraceback
    try:
        yield sink
    finally:
        sys.stdout, sys.stderr = saved_streams
        shell.display_pub = saved_pub
        shell.display_trap.hook = saved_hook
        if had_own_showtb:
            shell._showtraceback = saved_showtb
        else:
            del shell._showtraceback


def run_code(
    shell, code: str, parameters: dict | None = None
) -> tuple[list[dict], bool]:
    """Set `parameters` in the user namespace, run `code` there: (outputs, ok)."""
    if parameters:
        shell.user_ns.update(parameters)
    with capture(shell) as outputs:
        result = shell.run_cell(code, store_history=False)
    return outputs, bool(result.success)
