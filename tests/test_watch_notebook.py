"""The watch example (``examples/watch-your-own-net.ipynb``): committed without outputs, run top to bottom by
nbclient. It trains the sheet's 11×32 net with a hand-written loop under ``rs.watch``: N(0, 1) diverges, He trains,
and each watched cell displays the widget."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from notebooks import execute, read_checked

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "watch-your-own-net.ipynb"
BUDGET_S = 180  # kernel start included, on the shared 2-core machine
WIDGET = "application/vnd.jupyter.widget-view+json"


def test_committed_notebook_has_no_outputs():
    nb = read_checked(NOTEBOOK)
    assert not [c for c in nb["cells"]
                if c["metadata"] or (c["cell_type"] == "code" and (c["outputs"] or c["execution_count"]))]


@pytest.mark.slow
def test_the_watched_loops_run_and_show_the_widget(tmp_path):
    nb, seconds = execute(NOTEBOOK, tmp_path / "kernels", tmp_path, BUDGET_S)
    assert seconds <= BUDGET_S
    code = [c for c in nb.cells if c.cell_type == "code"]
    watched = [c for c in code if "rs.watch(" in c.source]
    assert len(watched) == 2 and all(any(WIDGET in o.get("data", {}) for o in c.outputs) for c in watched)
    assert not [o for c in code for o in c.outputs if o.output_type == "stream" and o.name == "stderr"]
    record = json.loads("".join(o.text for o in code[-1].outputs if o.output_type == "stream"))
    assert not math.isfinite(record["normal"]["loss"])  # N(0, 1) at depth 11: diverged
    assert record["he"]["accuracy"] >= 0.6 and record["watched_steps"] == 1000
