"""Run a workflow's code in the user's IPython namespace and capture what it shows.

One capture stack for every front end. `execute` runs code with `shell.run_cell` (as
`%%capture` does) while stdout, stderr, display() calls, the value of the last line and
the traceback become notebook-format outputs (`stream`, `display_data`, `error`):
- `live=True` (the magics): the outputs still reach the user as they happen, in
  order, and a copy is kept (`save --run` stores it as attachments);
- `live=False` (the browser): the outputs are only kept, for the browser to show in its
  own output area; capturing by hand instead of `with output_widget:` gives the same
  result in every front end and headless.

The value of the last line is shown as display data, which keeps it out of the outer
cell's Out history and lets it be captured on every kernel (the terminal prints
results; ipykernel sends them on its own channel).
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher

if TYPE_CHECKING:  # pragma: no cover - typing only
    from IPython.core.interactiveshell import InteractiveShell

# The richest representation of a display wins; one attachment per output.
PREFERRED_MIMES = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/svg+xml",
    "text/html",
    "text/markdown",
    "text/latex",
    "application/json",
    "text/plain",
)
BINARY_MIMES = ("image/png", "image/jpeg", "image/gif")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
_MAGIC_BYTES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8")


@dataclass
class Execution:
    """What running the code showed (notebook-format outputs) and the error, if any."""

    outputs: list[dict]
    error: BaseException | None

    @property
    def ok(self) -> bool:
        return self.error is None

    def attachments(self) -> list[tuple[str, bytes]]:
        """The outputs to store, as (mime type, bytes) in the order they appeared:
        stdout text and each display's richest representation (not stderr, errors or
        live widgets)."""
        found: list[tuple[str, bytes]] = []
        text = ""  # stdout since the last display (stderr between does not split it)
        for output in self.outputs:
            if output["output_type"] == "stream" and output["name"] == "stdout":
                text += output["text"]
            elif output["output_type"] == "display_data":
                if text:
                    found.append(("text/plain", text.encode("utf-8")))
                    text = ""
                best = richest(output["data"])
                if best is not None:
                    found.append(best)
        if text:
            found.append(("text/plain", text.encode("utf-8")))
        return found


def execute(
    shell: InteractiveShell,
    code: str,
    parameters: dict | None = None,
    *,
    live: bool = True,
) -> Execution:
    """Set `parameters` in the user namespace, then run `code` there and capture it."""
    if parameters:
        shell.user_ns.update(parameters)
    saved_result = shell.displayhook.exec_result
    try:
        with _capture(shell, live) as outputs, _results_as_display(shell, code):
            result = shell.run_cell(code, store_history=False)
    finally:
        shell.displayhook.exec_result = saved_result
    return Execution(outputs, result.error_before_exec or result.error_in_exec)


class _Sink:
    """The captured outputs; `paused` while a live front end echoes what it shows."""

    def __init__(self) -> None:
        self.outputs: list[dict] = []
        self.paused = False

    def stream(self, name: str, text: str) -> None:
        if self.paused or not text:
            return
        last = self.outputs[-1] if self.outputs else None
        if last and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text  # consecutive writes merge, as in a notebook
        else:
            self.outputs.append({"output_type": "stream", "name": name, "text": text})

    def add(self, output: dict) -> None:
        self.outputs.append(output)

    @contextmanager
    def pause(self) -> Iterator[None]:
        """Record nothing while the real front end shows it (a terminal publisher or
        traceback printer writes to stdout)."""
        self.paused, before = True, self.paused
        try:
            yield
        finally:
            self.paused = before


class _Stream:
    """A text stream writing `stream` outputs and, when live, the real stream."""

    def __init__(self, name: str, sink: _Sink, target: Any = None) -> None:
        self._name = name
        self._sink = sink
        self._target = target

    def write(self, text: str) -> int:
        self._sink.stream(self._name, text)
        return self._target.write(text) if self._target is not None else len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._target is not None:
            self._target.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        if self._target is None or name.startswith("__"):
            if name == "encoding":
                return "utf-8"
            raise AttributeError(name)
        return getattr(self._target, name)


class _Publisher(DisplayPublisher):
    """display(...) calls become `display_data` outputs, passed on when live."""

    def __init__(self, sink: _Sink, original: DisplayPublisher | None, **kwargs):
        super().__init__(**kwargs)
        self.__dict__["_sink"] = sink
        self.__dict__["_original"] = original

    def publish(self, data, metadata=None, *args, **kwargs) -> None:
        self._sink.add(
            {
                "output_type": "display_data",
                "data": dict(data),
                "metadata": metadata or {},
            }
        )
        if self._original is not None:
            with self._sink.pause():
                self._original.publish(data, metadata, *args, **kwargs)

    def clear_output(self, wait: bool = False) -> None:
        """What is kept is what the user sees in the end."""
        self._sink.outputs.clear()
        if self._original is not None:
            self._original.clear_output(wait)

    def __getattr__(self, name: str) -> Any:
        original = self.__dict__.get("_original")
        if original is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(original, name)


@contextmanager
def _capture(shell: InteractiveShell, live: bool) -> Iterator[list[dict]]:
    """Inside: what the shell shows is captured (and still shown when `live`)."""
    sink = _Sink()
    saved_streams = sys.stdout, sys.stderr
    saved_pub = shell.display_pub
    had_own_showtb = "_showtraceback" in vars(shell)
    saved_showtb = shell._showtraceback

    def _showtraceback(etype, evalue, stb):
        sink.add(
            {
                "output_type": "error",
                "ename": etype.__name__,
                "evalue": str(evalue),
                "traceback": list(stb),
            }
        )
        if live:
            with sink.pause():
                saved_showtb(etype, evalue, stb)

    sys.stdout = _Stream("stdout", sink, saved_streams[0] if live else None)
    sys.stderr = _Stream("stderr", sink, saved_streams[1] if live else None)
    shell.display_pub = _Publisher(sink, saved_pub if live else None, shell=shell)
    shell._showtraceback = _showtraceback
    try:
        yield sink.outputs
    finally:
        try:
            sys.stdout.flush()
        finally:
            sys.stdout, sys.stderr = saved_streams
            shell.display_pub = saved_pub
            if had_own_showtb:
                shell._showtraceback = saved_showtb
            else:
                del shell._showtraceback


def _quiet(code: str) -> bool:
    """True when the cell ends in ';' (IPython's rule for hiding the result)."""
    try:
        return DisplayHook.semicolon_at_end_of_expression(code)
    except Exception:  # untokenizable code never reaches the hook anyway
        return False


@contextmanager
def _results_as_display(shell: InteractiveShell, code: str) -> Iterator[None]:
    """Show the last expression's value through display_pub instead of the displayhook.

    Entering the shell's DisplayTrap first means the nested run_cell finds it active
    and leaves our hook in place.
    """
    quiet = _quiet(code)

    def show(value: object) -> None:
        if value is None or quiet:
            return
        data, metadata = shell.display_formatter.format(value)
        if data:
            shell.display_pub.publish(data, metadata)

    with shell.display_trap:
        saved = sys.displayhook
        sys.displayhook = show
        try:
            yield
        finally:
            sys.displayhook = saved


def richest(data: dict) -> tuple[str, bytes] | None:
    """The preferred (mime, bytes) of one display's bundle; None for widgets etc."""
    if WIDGET_MIME in data:  # a live widget means nothing once its kernel is gone
        return None
    for mime in PREFERRED_MIMES:
        if mime in data and data[mime] is not None:
            return mime, _to_bytes(mime, data[mime])
    return None


def _to_bytes(mime: str, value: Any) -> bytes:
    if mime in BINARY_MIMES:
        if isinstance(value, bytes | bytearray) and bytes(value).startswith(
            _MAGIC_BYTES
        ):
            return bytes(value)
        return base64.b64decode(value)  # IPython's formatters give base64 text
    if mime == "application/json" and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
    if isinstance(value, list):  # nbformat keeps multi-line text as a list of lines
        value = "".join(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return str(value).encode("utf-8")
