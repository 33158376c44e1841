"""Running code in the user namespace from inside a magic, optionally recording outputs.

`run_nested` runs a cell with `shell.run_cell` (as `%%capture` does), so outputs and
tracebacks show as usual. The value of the last expression is shown as display data,
which keeps it out of the outer cell's Out history and lets a recorder capture it on
every kernel (the terminal prints results; ipykernel sends them on its own channel).

`OutputRecorder` tees: outputs still reach the user live and in order, and a copy is
kept — stdout text and, for each display, its richest representation — to store as
attachments.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher

if TYPE_CHECKING:  # pragma: no cover - typing only
    from IPython.core.interactiveshell import ExecutionResult, InteractiveShell

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


class OutputRecorder:
    """While active, copies stdout and display outputs (they still reach the user)."""

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell
        self._events: list[tuple[str, Any]] = []
        self._paused = False
        self._saved_stdout: Any = None
        self._saved_pub: DisplayPublisher | None = None

    # -- recording -------------------------------------------------------------------
    def add_text(self, text: str) -> None:
        if self._paused or not text:
            return
        if self._events and self._events[-1][0] == "text":
            self._events[-1] = ("text", self._events[-1][1] + text)
        else:
            self._events.append(("text", text))

    def add_display(self, data: dict) -> None:
        self._events.append(("display", data))

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Stop recording stdout (a terminal publisher prints what it displays)."""
        self._paused, before = True, self._paused
        try:
            yield
        finally:
            self._paused = before

    def attachments(self) -> list[tuple[str, bytes]]:
        """The recorded outputs as (mime type, bytes), in the order they appeared."""
        found = []
        for kind, value in self._events:
            if kind == "text":
                found.append(("text/plain", value.encode("utf-8")))
                continue
            best = richest(value)
            if best is not None:
                found.append(best)
        return found

    # -- activation ------------------------------------------------------------------
    def __enter__(self) -> OutputRecorder:
        self._saved_stdout = sys.stdout
        sys.stdout = _TeeStream(sys.stdout, self)
        self._saved_pub = self.shell.display_pub
        self.shell.display_pub = _TeePublisher(self._saved_pub, self, shell=self.shell)
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            sys.stdout.flush()
        finally:
            sys.stdout = self._saved_stdout
            self.shell.display_pub = self._saved_pub


class _TeeStream:
    """Writes go to the real stream and, unless paused, to the recorder."""

    def __init__(self, target: Any, recorder: OutputRecorder) -> None:
        self._target = target
        self._recorder = recorder

    def write(self, text: str) -> int:
        self._recorder.add_text(text)
        return self._target.write(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._target.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


class _TeePublisher(DisplayPublisher):
    """Records each display and hands it on to the shell's real publisher."""

    def __init__(self, original: DisplayPublisher, recorder: OutputRecorder, **kw):
        super().__init__(**kw)
        self.__dict__["_original"] = original
        self.__dict__["_recorder"] = recorder

    def publish(self, data, metadata=None, *args, **kwargs) -> None:
        self._recorder.add_display(dict(data))
        with self._recorder.paused():
            self._original.publish(data, metadata, *args, **kwargs)

    def clear_output(self, wait: bool = False) -> None:
        self._original.clear_output(wait)

    def __getattr__(self, name: str) -> Any:
        original = self.__dict__.get("_original")
        if original is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(original, name)


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


def run_nested(
    shell: InteractiveShell, code: str, recorder: OutputRecorder | None = None
) -> ExecutionResult:
    """Run `code` in the user namespace from inside a magic; run_cell's result."""
    saved_result = shell.displayhook.exec_result
    try:
        with ExitStack() as stack:
            if recorder is not None:
                stack.enter_context(recorder)
            stack.enter_context(_results_as_display(shell, code))
            return shell.run_cell(code, store_history=False)
    finally:
        shell.displayhook.exec_result = saved_result
