"""Execute a notebook from a fresh kernel and save it with its outputs (used by `nox -s notebook`).

Usage: ``python docs/notebooks/execute.py SOURCE TARGET``. Any cell that raises fails the run.
The kernel runs in the notebook's own folder, as Jupyter runs it, so that a notebook reads
its data files (``erp/invoices.csv``) by the same relative path in CI and on a desk.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def main(source: str, target: str) -> None:
    """Run every cell of *source* in order and write the executed notebook to *target*."""
    notebook = nbformat.read(source, as_version=4)
    started = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(Path(source).parent)}},
    ).execute()
    nbformat.write(notebook, target)
    elapsed = time.perf_counter() - started
    print(f"executed {source} in {elapsed:.1f} s -> {Path(target)}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
