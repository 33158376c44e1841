"""Run the tutorial notebooks headless: show what they print, or refresh their outputs.

    python notebooks/execute.py --show notebooks/quickstart.ipynb  # read it as text
    python notebooks/execute.py                    # re-execute every notebook in place
    python notebooks/execute.py notebooks/sharing.ipynb          # ... or just these

Each notebook runs top to bottom in a fresh kernel started from *this* Python (so it
uses this virtualenv's resource_magic, whatever kernels are installed elsewhere), with
the notebook's folder as the working directory. `--show` prints every cell (the text
as written, the code and what it showed) as plain text, and leaves the file alone;
without it the new outputs are written back, which is how the committed outputs are
refreshed after a command changes what it prints (then `pytest notebooks` compares
fresh runs against them, under nbval).
Cells tagged `raises-exception` show a refused command on purpose; any other error
stops the run and names the cell. team_postgres.ipynb uses
RESOURCE_MAGIC_TEST_POSTGRES_URL when set, else starts a throwaway server (pgserver).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import textwrap
from pathlib import Path

import nbformat
from ipykernel.kernelspec import RESOURCES, get_kernel_dict
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent
CELL_TIMEOUT_S = 600
WIDGET = "application/vnd.jupyter.widget-view+json"


class ThisPython(KernelSpecManager):
    """Every kernel name means an ipykernel on the running interpreter."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())


def _kernel_manager(sockets: str) -> KernelManager:
    """A kernel on this Python. Where the system has them, it talks over Unix sockets
    in the private folder `sockets` (no TCP port, and so no warning from the kernel
    about unencrypted TCP in the output); Windows has only TCP."""
    if os.name == "nt":
        return KernelManager(kernel_name="python3", kernel_spec_manager=ThisPython())
    return KernelManager(
        kernel_name="python3",
        kernel_spec_manager=ThisPython(),
        transport="ipc",
        ip=os.path.join(sockets, "kernel"),  # absolute: the kernel runs elsewhere
    )


def execute(path: Path) -> nbformat.NotebookNode:
    """Run `path` in a fresh kernel; the notebook with its new outputs.

    The kernel process's own stderr (its logging: e.g. ipykernel's occasional
    "Socket operation on non-socket" while it shuts down) goes to a file, shown only
    when the run fails, where it may say why."""
    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="rm-kernel-") as sockets:
        kernel = _kernel_manager(sockets)
        with open(os.path.join(sockets, "kernel.log"), "w+b") as log:
            try:
                _run(notebook, kernel, path, log)
            except BaseException:
                _stop(kernel)
                log.seek(0)
                sys.stderr.write(log.read().decode(errors="replace"))
                raise
            _stop(kernel)
    return notebook


def _stop(kernel: KernelManager) -> None:
    # nbclient leaves a kernel it was handed running; stop it here, or it notices its
    # parent gone and logs that.
    if kernel.has_kernel:
        kernel.shutdown_kernel()


def _run(
    notebook: nbformat.NotebookNode, kernel: KernelManager, path: Path, log
) -> None:
    client = NotebookClient(
        notebook,
        km=kernel,
        timeout=CELL_TIMEOUT_S,
        record_timing=False,  # timings would change every run: noise in git diffs
        store_widget_state=True,  # front ends can draw the saved browser widget
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(stderr=log)  # passed on to the kernel's process


def as_text(notebook: nbformat.NotebookNode) -> str:
    """Every cell in order: the text (markdown) as written, each code cell and what it
    showed as a terminal would print them."""
    parts = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            parts.append(cell.source.rstrip("\n"))
            parts.append("")
            continue
        parts.append(f"In [{cell.execution_count}]:")
        parts.append(textwrap.indent(cell.source, "    "))
        for output in cell.outputs:
            if output.output_type == "stream":
                parts.append(output.text.rstrip("\n"))
            elif output.output_type == "error":
                parts.append(f"{output.ename}: {output.evalue}")
            elif WIDGET in output.get("data", {}):
                parts.append("[a widget: open the notebook in JupyterLab to use it]")
            elif "text/plain" in output.get("data", {}):
                parts.append(output.data["text/plain"])
        parts.append("")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=Path,
        help="default: every .ipynb in notebooks/",
    )
    parser.add_argument(
        "--show",
        action="store_true",
        help="print every cell (text, code and outputs) as plain text; "
        "do not write the notebook",
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        print(f"executing {path} ...", file=sys.stderr, flush=True)
        try:
            notebook = execute(path.resolve())
        except CellExecutionError as exc:
            print(f"{path}: a cell failed, nothing written:\n{exc}", file=sys.stderr)
            return 1
        if args.show:
            print(as_text(notebook))
        else:
            nbformat.write(notebook, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
