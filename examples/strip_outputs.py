"""Strip notebooks for git: no outputs, no execution counts, no cell metadata, the kernel's name only.

    .venv/bin/python examples/strip_outputs.py examples/sheet-LE12.ipynb

rewrites each notebook named in place (``tests/test_notebook.py`` fails on a notebook committed with outputs).
"""

from __future__ import annotations

import sys

import nbformat

METADATA = {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
            "language_info": {"name": "python"}}


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` without what running it adds: outputs, execution counts, cell and notebook metadata."""
    for cell in nb.cells:
        cell.metadata = {}
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata = nbformat.from_dict(METADATA)
    return nb


if __name__ == "__main__":
    for path in sys.argv[1:]:
        nbformat.write(strip(nbformat.read(path, as_version=4)), path)
