"""Run a notebook top to bottom with nbclient, in a kernel of this interpreter that imports this checkout.

The kernel spec is written to a temporary directory and starts ``sys.executable`` (the project's ``.venv``), so
nothing is installed into the user's Jupyter directories and no other Python can be picked up; ``src/`` comes
first on the kernel's path. Torch runs on one thread in the kernel, as in the rest of the suite.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nbformat

SRC = Path(__file__).resolve().parents[1] / "src"


def kernel_env() -> dict:
    """The environment a kernel (or a Jupyter server's kernels) of this checkout runs in."""
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)
    return {k: v for k, v in os.environ.items() if k != "MPLBACKEND"} | {"OMP_NUM_THREADS": "1", "PYTHONPATH": path}


def read_checked(notebook: Path) -> dict:
    """``notebook`` as written (JSON), checked against nbformat's own schema for its version 4.minor.

    Validated as ``nbformat.validate`` does with ``NBFORMAT_VALIDATOR=fastjsonschema``, without importing
    nbformat: its import builds jsonschema's IRI grammar (rfc3987_syntax, ~2 CPU-s), which the check never uses."""
    import importlib.util

    import fastjsonschema

    nb = json.loads(notebook.read_text(encoding="utf-8"))
    assert nb.get("nbformat") == 4, f"{notebook.name}: nbformat {nb.get('nbformat')}, not 4"
    schemas = Path(importlib.util.find_spec("nbformat").submodule_search_locations[0]) / "v4"
    schema = schemas / f"nbformat.v4.{nb.get('nbformat_minor')}.schema.json"
    assert schema.is_file(), f"{notebook.name}: no nbformat schema for minor version {nb.get('nbformat_minor')}"
    fastjsonschema.compile(json.loads(schema.read_text(encoding="utf-8")))(nb)  # raises JsonSchemaValueException
    return nb


def write_notebook(path: Path, *sources: str) -> None:
    """A notebook of one code cell per source, on the ``python3`` kernel, written as nbformat 4.5 JSON (what
    ``nbformat.write(new_notebook(...))`` writes, without nbformat's import); checked by ``read_checked``."""
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = [{"cell_type": "code", "id": f"cell-{i}", "metadata": {}, "execution_count": None, "outputs": [],
              "source": source} for i, source in enumerate(sources)]
    path.write_text(json.dumps({"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4,
                                "nbformat_minor": 5}, indent=1), encoding="utf-8")
    read_checked(path)


def execute(notebook: Path, kernels: Path, cwd: Path, timeout: float) -> tuple[nbformat.NotebookNode, float]:
    """``notebook`` run in ``cwd`` (a kernel spec is written under ``kernels``): (it with outputs, seconds)."""
    import nbformat  # here, not at the top: only the worker that runs a notebook pays its import (~1.5 s)
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    (kernels / "reluscope").mkdir(parents=True, exist_ok=True)
    (kernels / "reluscope" / "kernel.json").write_text(json.dumps(
        {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
         "display_name": "reluscope", "language": "python"}))
    km = AsyncKernelManager(kernel_name="reluscope", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, km=km, timeout=timeout, resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    client.execute(cleanup_kc=True, env=kernel_env() | {"IPYTHONDIR": str(kernels / "ipython")})  # its own history
    return nb, time.perf_counter() - start
