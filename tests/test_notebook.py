"""The sheet's notebook (``examples/sheet-LE12.ipynb``): committed without outputs, and run top to bottom.

The run uses ``notebooks.execute``: a kernel of this interpreter on this checkout, torch on one thread.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from notebooks import execute, read_checked

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "sheet-LE12.ipynb"
STRIP = ".venv/bin/python examples/strip_outputs.py examples/sheet-LE12.ipynb"
BUDGET_S = 120  # the whole run, kernel start included, on the shared 2-core machine
NOTEBOOK_METADATA = {"kernelspec", "language_info"}
FONT_CACHE = "Matplotlib is building the font cache"  # a fresh environment's first figure says so on stderr


def test_committed_notebook_has_no_outputs():
    nb = read_checked(NOTEBOOK)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, "the notebook has no code cells"
    dirty = [i for i, c in enumerate(nb["cells"])
             if c["metadata"] or (c["cell_type"] == "code" and (c["outputs"] or c["execution_count"] is not None))]
    assert not dirty, f"cells {dirty} carry outputs, execution counts or metadata; strip them: {STRIP}"
    assert set(nb["metadata"]) <= NOTEBOOK_METADATA, f"notebook metadata {sorted(nb['metadata'])}; strip it: {STRIP}"
    assert set(nb["metadata"].get("language_info", {})) <= {"name"}, f"language_info beyond its name; {STRIP}"


def _tree(source: str) -> ast.Module:
    """The cell's code without its IPython magics (``%matplotlib inline``)."""
    return ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith("%")))


def _plots(node: ast.AST, helpers: set[str]) -> bool:
    """Whether ``node`` calls a plot function (``plot_*``, ``.plot``) or one of the notebook's ``helpers``."""
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
    return name == "plot" or name.startswith("plot_") or name in helpers


def plotting_cells(cells) -> list:
    """The code cells whose top-level code plots, directly or through a function the notebook defines."""
    helpers = {fn.name for cell in cells for fn in _tree(cell.source).body
               if isinstance(fn, ast.FunctionDef) and any(_plots(n, set()) for n in ast.walk(fn))}
    return [cell for cell in cells
            if any(_plots(n, helpers) for stmt in _tree(cell.source).body if not isinstance(stmt, ast.FunctionDef)
                   for n in ast.walk(stmt))]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook run top to bottom by nbclient: ``(notebook with outputs, seconds)``."""
    return execute(NOTEBOOK, tmp_path_factory.mktemp("kernels"), tmp_path_factory.mktemp("cwd"), BUDGET_S)


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_within_budget(executed):
    nb, seconds = executed
    assert seconds <= BUDGET_S, f"the notebook ran {seconds:.0f} s, budget {BUDGET_S} s"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            stderr = [line for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"
                      for line in o.text.splitlines() if not line.startswith(FONT_CACHE)]
            assert not stderr, f"cell {i} wrote to stderr: {stderr}"


@pytest.mark.slow
def test_every_plotting_cell_displays_a_figure(executed):
    nb, _ = executed
    plotting = plotting_cells([c for c in nb.cells if c.cell_type == "code"])
    assert len(plotting) >= 8, f"only {len(plotting)} plotting cells found"
    for cell in plotting:
        images = [o for o in cell.outputs if o.output_type == "display_data" and "image/png" in o.data]
        assert images, f"no inline figure from the cell:\n{cell.source}"


@pytest.mark.slow
def test_notebook_makes_every_point_of_the_sheet(executed):
    """The record the last cell prints: the baseline beats chance, the linear net's variance follows n·Var(W),
    N(0, 1) diverges at depth 11 with ×n/2 per layer, He trains it, the back-projection is affinely equivalent."""
    nb, _ = executed
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    s = json.loads("".join(o.text for o in last.outputs if o.output_type == "stream" and o.name == "stdout"))
    assert s["task0"]["status"] == "ok"
    assert s["task0"]["test_accuracy"] >= s["task0"]["chance_accuracy"] + 0.2
    width = 32
    assert width / 2 <= s["task1_1_linear_growth"]["normal"] <= 2 * width  # theory: n·Var(W) = 32
    assert 0.5 <= s["task1_1_linear_growth"]["lecun"] <= 2  # theory: 1
    normal = s["task1_2_normal_depth11"]
    assert normal["status"] == "diverged" and normal["diverged_layer"]
    assert width / 4 <= normal["growth_per_layer"] <= width  # theory: n·Var(W)/2 = 16
    he = s["task1_4_he_depth11"]
    assert he["status"] == "ok" and he["train_accuracy"] >= 0.9
    assert he["hidden_var_spread"] <= 4  # flat, against 16¹⁰ for N(0, 1)
    assert s["task2_equivalence"]["input_per_region_holds"]
    assert s["task2_equivalence"]["embedded"].get("no", 0) == 0  # equal wherever float64 can resolve it
    assert s["task2_equivalence"]["nonzero_minus_input"] <= 1e-9  # the sheet's two display options agree
    counts = s["cells"]
    assert counts[0] > 1 and counts == sorted(counts)  # each layer refines the cells of the one before
