"""Run a cell in a real IPython shell and keep what it showed.

Its own module (not conftest): tests/e2e has a conftest too, and `from conftest import`
would find whichever was imported first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CellRun:
    """What running one cell showed: the last expression's value, the captured streams,
    the display outputs (bundles, in order) and the error raised, if any."""

    result: object
    stdout: str
    stderr: str
    outputs: list[dict]
    error: BaseException | None

    @property
    def text(self) -> str:
        """stdout, stderr and each display's text/plain, as a terminal shows them."""
        shown = [o["text/plain"] for o in self.outputs if "text/plain" in o]
        return "\n".join([self.stdout, self.stderr, *shown])

    @property
    def traceback_shown(self) -> bool:
        return "Traceback (most recent call last)" in self.text

    @property
    def usage_error(self) -> str | None:
        """The one-line message of a UsageError (None if the cell had none)."""
        from IPython.core.error import UsageError

        return str(self.error) if type(self.error) is UsageError else None


def run_cell(shell, source: str) -> CellRun:
    """Run `source` as one notebook cell (in the history) and capture what it shows."""
    from IPython.utils.capture import capture_output

    with capture_output(stdout=True, stderr=True, display=True) as captured:
        result = shell.run_cell(source, store_history=True)
    return CellRun(
        result=result.result,
        stdout=captured.stdout,
        stderr=captured.stderr,
        outputs=[dict(o.data) for o in captured.outputs],
        error=result.error_before_exec or result.error_in_exec,
    )
