"""Shared test settings: torch on one thread (the suite's two workers share 2 cores), figures drawn with Agg,
hypothesis derandomized, so CI runs the same examples every time (a property failure is reproducible, never flaky),
and the order in which ``pytest -n 2 --dist loadgroup`` hands the tests to its two workers."""

import re
import os
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("reluscope", derandomize=True, deadline=None)
settings.register_profile("explore", max_examples=300, deadline=None)  # HYPOTHESIS_PROFILE=explore: new examples
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "reluscope"))


def pytest_configure(config):
    """Figures drawn with Agg (tests draw into files only) and torch on one thread, in each process that runs
    tests; an xdist controller, which only hands them out, spares the import of both."""
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return
    import matplotlib
    import torch

    matplotlib.use("Agg")
    torch.set_num_threads(1)

TESTS = Path(__file__).parent
# Modules whose shared run is cheap (a few steps of a tiny net) and whose tests are many or long: better spread
# over both workers, the run made on each.
SPREAD = {"test_fuzz_cli.py", "test_hostile_inputs.py", "test_cli.py"}
# The longest units, started first, longest first: the quick study read in a browser (with the tests that read
# it) and the German one, a JupyterLab and a Notebook 7 driven end to end, marimo, the notebooks run by nbclient.
FIRST = ("test_report_browser.py", "test_widget_jupyter.py", "test_widget_marimo.py", "test_notebook.py",
         "test_study.py", "test_watch_notebook.py")


def _rank(item) -> int:
    """FIRST in its order, then 10: slow and browser, 11: slow, 12: browser, 13: the rest."""
    if item.path.name in FIRST:
        return FIRST.index(item.path.name)
    return 13 - 2 * bool(item.get_closest_marker("slow")) - bool(item.get_closest_marker("browser"))


def _shared_group(item) -> str | None:
    """The xdist group of a test that uses a fixture of tests/ shared beyond the test, or None.

    A session-scoped one (``quick_study``): that fixture's name, the group of every module that reads it. A
    module-scoped one (a trained run, a server, a browser): the module's file name, and the parameters of its
    parametrized module fixtures, so each parameter's fixture (a JupyterLab or a Notebook 7) is a unit of its own
    that the other worker may take. No ``[`` or ``]`` in a name: xdist reads a group only after the last ``]`` of
    the node id."""
    shared = [d for defs in item._fixtureinfo.name2fixturedefs.values() for d in defs
              if d.scope in ("session", "module") and Path(d.func.__code__.co_filename).parent == TESTS]
    if session := sorted(d.argname for d in shared if d.scope == "session"):
        return "+".join(session)
    if not shared:
        return None
    params = getattr(item, "callspec", None)
    return ":".join([item.path.name, *(str(params.params[d.argname]) for d in shared
                                        if params and d.params is not None and d.argname in params.params)])


def _group_in_nodeid(item, group: str) -> None:
    """Put ``@group`` at the end of the item's node id, where xdist's loadgroup scheduler reads a test's group.

    xdist 3.8 writes that suffix to ``item._nodeid``, but pytest 9.2 derives ``item.nodeid`` from ``item._id``:
    the suffix was lost and every test became a unit of its own, its module's fixtures (trained runs, studies,
    servers, a Chromium) built again on each worker. Written where pytest reads it, once."""
    from _pytest.nodeid import coerce_node_id

    if not item.nodeid.endswith(f"@{group}"):
        item._id = coerce_node_id(f"{item.nodeid}@{group}")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    """Schedule for ``-n 2 --dist loadgroup --no-loadscope-reorder`` (the Makefile's), which hands the work out in
    this order, a worker taking the next unit when it has at most 2 tests left:

    - the tests that share a fixture of tests/ beyond one test (a trained run, a study, a server, a browser)
      become one unit (``xdist_group`` = ``_shared_group``, unless they name their own), so that fixture is built
      once, on one worker, instead of once on each; other tests are units of their own;
    - modules are ordered by their longest kind (``_rank``: FIRST, then slow, browser, the rest), in file order
      within a kind, each module's tests kept together: the long JupyterLab, notebook and study units start first
      and the many short tests fill in at the end, so both workers stay busy to the last test.
    """
    for item in items:
        if (item.path.name not in SPREAD and not item.get_closest_marker("xdist_group")
                and (group := _shared_group(item))):
            item.add_marker(pytest.mark.xdist_group(group))
        if getattr(config.option, "loadgroup", False) and (group := item.get_closest_marker("xdist_group")):
            _group_in_nodeid(item, group.args[0])
    rank: dict[Path, int] = {}
    for item in items:
        rank[item.path] = min(rank.get(item.path, 13), _rank(item))
    items.sort(key=lambda item: rank[item.path])  # stable: file order within a rank


@pytest.fixture(scope="session")
def quick_study(tmp_path_factory) -> Path:
    """``reluscope study --quick --seed 0 --pdf`` (``--pdf`` where a Chromium is on PATH), built once for the
    tests that only read it, in test_study.py and test_report_browser.py: one xdist group (``_shared_group``)."""
    from reluscope.cli import main
    from reluscope.report.pdf import find_chromium

    out = tmp_path_factory.mktemp("study") / "s0"
    pdf = ["--pdf"] if find_chromium() else []
    assert main(["study", "--quick", "--seed", "0", *pdf, "--out", str(out)]) == 0
    return out


def use_tiny_quick(monkeypatch) -> None:
    """Make ``--quick`` studies run on a tiny budget (20 steps, 2 frames, 12-point grids) while ``monkeypatch``
    lasts: for what a study does with its input and output, where the numbers of the quick study are not the
    point."""
    from dataclasses import replace

    from reluscope.report import config

    quick = config.QUICK
    monkeypatch.setattr(config, "QUICK", replace(quick, run=replace(quick.run, steps=20, snapshots=1), grid=12,
                                                 pixels=12, warp_grid=6))


@pytest.fixture
def tiny_quick(monkeypatch):
    """``--quick`` studies on a tiny budget for this test (``use_tiny_quick``)."""
    use_tiny_quick(monkeypatch)


CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright never downloads a browser here
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium driven by Playwright, one per test module; skips where it is not installed."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not found: `make browser` installs Debian's chromium")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def watch(page, local) -> tuple[list[str], list[str]]:
    """The page's console errors and its requests to anywhere but ``local`` (URL prefixes), as they happen."""
    errors, outside = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    return errors, outside


LIVE_VIEW = "document.querySelector('.reluscope')?.reluscope"  # the live view's state, kept on its root element
# an init script: every drawing of each canvas counted in window.__draws (each starts by clearing its canvas)
COUNT_DRAWS = """
  const clear = CanvasRenderingContext2D.prototype.clearRect;
  window.__draws = {};
  CanvasRenderingContext2D.prototype.clearRect = function (...args) {
    const id = this.canvas.dataset.id;
    window.__draws[id] = (window.__draws[id] || 0) + 1;
    return clear.apply(this, args);
  };
"""


@pytest.fixture(scope="module")
def live_page(chromium, tmp_path_factory):
    """open(hash_, query="?lang=en", size=(1400, 1000), touch=False, locale="en-US", route=None, init_script=None,
    ratio=1)
    -> a playground page on this module's server (127.0.0.1), once its first frame is painted, in a context of its
    own (closed, with a check for console errors and requests elsewhere, at the module's end); ``route`` handles the
    page's WebSocket (``page.route_web_socket``), ``init_script`` runs in the page before its own scripts, ``ratio``:
    the screen's device pixels per CSS pixel."""
    from reluscope.serve import ServeConfig, running

    contexts = []  # every page stays open to the module's end (its console checked then): as many sessions
    with running(ServeConfig(port=0, runs_dir=tmp_path_factory.mktemp("runs"), max_sessions=32)) as url:

        def open_(hash_, query="?lang=en", size=(1400, 1000), touch=False, locale="en-US", route=None,
                  init_script=None, ratio=1):
            context = chromium.new_context(viewport={"width": size[0], "height": size[1]}, has_touch=touch,
                                           locale=locale, device_scale_factor=ratio)
            page = context.new_page()
            page.set_default_timeout(30_000)
            contexts.append((context, *watch(page, url.rstrip("/"))))
            if init_script:
                page.add_init_script(init_script)
            if route:
                page.route_web_socket(re.compile(r"/ws(\?.*)?$"), route)
            page.goto(f"{url}{query}#{hash_}")
            page.wait_for_function(f"(() => {{ const S = {LIVE_VIEW}; return S && S.data && S.last "
                                   "&& S.last.run === S.run && S.painted.curves; })()")  # painted: the next frame
            return page

        yield open_
        for context, errors, outside in contexts:
            context.close()
            assert errors == [] and outside == []
