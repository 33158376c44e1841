"""Re-execute the tutorial notebooks in place, so their committed outputs are current.

    python notebooks/execute.py                      # every notebook in this folder
    python notebooks/execute.py notebooks/sharing.ipynb

Each notebook runs top to bottom in a fresh kernel started from *this* Python (so it
uses this virtualenv's resource_magic, whatever kernels are installed elsewhere), with
the notebook's folder as the working directory. Cells tagged `raises-exception` show a
refused command on purpose; any other error stops the run and names the cell. Then
`pytest notebooks` compares fresh runs against what was written here (nbval).
team_postgres.ipynb uses RESOURCE_MAGIC_TEST_POSTGRES_URL when set, else starts a
throwaway server with pgserver.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from ipykernel.kernelspec import RESOURCES, get_kernel_dict
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent
CELL_TIMEOUT_S = 600


class ThisPython(KernelSpecManager):
    """Every kernel name means an ipykernel on the running interpreter."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())


def execute(path: Path) -> None:
    """Run `path` in a fresh kernel and write it back with its new outputs."""
    notebook = nbformat.read(path, as_version=4)
    kernel = KernelManager(kernel_name="python3", kernel_spec_manager=ThisPython())
    client = NotebookClient(
        notebook,
        km=kernel,
        timeout=CELL_TIMEOUT_S,
        record_timing=False,  # timings would change every run: noise in git diffs
        store_widget_state=True,  # front ends can draw the saved browser widget
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nbformat.write(notebook, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=Path,
        help="default: every .ipynb in notebooks/",
    )
    paths = parser.parse_args(argv).notebooks or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        print(f"executing {path} ...", flush=True)
        try:
            execute(path.resolve())
        except CellExecutionError as exc:
            print(f"{path}: a cell failed, nothing written:\n{exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
