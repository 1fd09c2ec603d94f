"""``reluscope study``: the quick study end to end, its numbers are the run's, and bad input exits 2."""

import csv
import io
import json
import multiprocessing
import os
import re
import subprocess
import sys
import threading
from importlib.metadata import version

import numpy as np
import pytest
import torch
from PIL import Image as PILImage

from reluscope.cli import main
from reluscope.data import generate, load_dataset, save_csv
from reluscope.errors import ReluscopeError
from reluscope.report.document import Axis, Image, Part, Report, Section, Table, Viewer
from reluscope.report import figures
from reluscope.report.figures import render_viewer, to_png
from reluscope.report.html import data_uri, image_type, render_html, write_report
from reluscope.report.markup import markdown_to_html
from reluscope.report.numbers import parse_number
from reluscope.report.config import StudyConfig
from reluscope.report.stage import StudyContext
from reluscope.report.study import stages, total_units, write_study
from reluscope.report.task0 import Task0
from reluscope.report.task1 import Task1, runs_table
from reluscope.report.texts import texts
from reluscope.report.theory import theory_section
from reluscope.plots.style import plt
from reluscope.studies.initstudy import InitStudyConfig, InitStudyResult
from reluscope.train import fit

pytestmark = pytest.mark.slow  # whole-sheet studies, end to end

SECTIONS = ["task0", "task1-linear", "task1", "task2", "cells", "meanfield", "summary"]  # the sheet's order


def _table(path):
    with path.open() as fh:
        return list(csv.reader(fh))


def _size(path) -> tuple[int, int]:
    """An image file's (width, height), the file closed again (an open one warns later, in another test)."""
    with PILImage.open(path) as img:
        return img.size


@pytest.fixture(scope="module")
def quick(quick_study):
    """One quick study with seed 0 (conftest's, also read by test_report_browser.py), shared by the tests that
    only read it."""
    return quick_study


def test_quick_study_writes_the_report_and_its_files(quick):
    page = (quick / "report.html").read_text()
    assert re.findall(r'<section id="([^"]+)">', page) == SECTIONS
    text = re.sub(r"<[^>]+>", "", page)
    assert "<math" in page and not re.search(r"\$\\|\\frac|\\operatorname|\$\$", text)  # no LaTeX left raw
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing loaded from the network
    assert (quick / "figures").is_dir() and any((quick / "figures").rglob("*.png"))
    study = json.loads((quick / "study.json").read_text())
    assert study["config"]["seed"] == 0
    pdf = ["--pdf"] if (quick / "report.pdf").is_file() else []  # conftest's study prints one with a Chromium
    assert study["provenance"]["command"].split() == ["reluscope", "study", "--dataset", "spirals", "--seed", "0",
                                                      "--quick", *pdf, "--out", str(quick)]  # reruns this study
    assert (quick / "report.html").stat().st_size < 5_000_000


def test_every_figure_and_frame_is_drawn_for_the_text_column(quick):
    """Static figures are PNG, viewer frames WebP, all at least 720 px wide (the page shows them ≥ 720 px wide
    on a 1280 px screen: drawn narrower, they would be stretched and blurred); a viewer's frames share one size."""
    figures = quick / "figures"
    static = sorted(figures.glob("*.*"))
    assert static and {p.suffix for p in static} == {".png"}
    for path in static:
        assert _size(path)[0] >= 720, path.name
    viewers = [d for d in figures.iterdir() if d.is_dir()]
    assert {d.name for d in viewers} >= {"task0_boundary", "task1_variance", "backprojection", "cells"}
    for folder in viewers:
        frames = sorted(folder.iterdir())
        assert frames and {p.suffix for p in frames} == {".webp"}, folder.name
        sizes = {_size(p) for p in frames}
        assert len(sizes) == 1 and next(iter(sizes))[0] >= 720, (folder.name, sizes)
    page = (quick / "report.html").read_text()
    assert page.count("data:image/webp;base64,") >= sum(len(list(d.iterdir())) for d in viewers)  # and shown ones


def test_task_2_names_the_other_layers_only_when_there_are_any(quick):
    header, *rows = _table(quick / "tables" / "task2_equivalence.csv")
    held = [r[header.index("Equal (≤ 10⁻⁸)")] for r in rows].count("yes")
    text = " ".join(re.sub(r"<[^>]+>", "", (quick / "report.html").read_text()).split())
    assert f"in {held} of {len(rows)} layers." in text
    assert ("Of the others, the table shows" in text) == (held < len(rows))


def test_the_cells_summary_says_whether_a_deeper_layer_has_fewer_cells(quick):
    header, *rows = _table(quick / "tables" / "cells_counts.csv")
    exact = [[parse_number(r[i]) for r in rows] for i, name in enumerate(header) if name.startswith("Exact")]
    kept = all(a <= b for counts in exact for a, b in zip(counts, counts[1:]))
    text = " ".join(re.sub(r"<[^>]+>", "", (quick / "report.html").read_text()).split())
    said = "no layer has fewer than the one before (exact)" if kept else "a layer has fewer than the one before"
    assert exact and said in text


def test_every_table_on_the_page_is_written_as_csv(quick):
    page = (quick / "report.html").read_text()
    for path in (quick / "tables").glob("*.csv"):
        header, *rows = _table(path)
        for row in rows:
            cells = "".join(f"<td>{c}</td>" for c in row)
            assert cells in page.replace("&#39;", "'").replace('<td class="num">', "<td>"), (path.name, row)


def test_the_reported_numbers_are_the_runs_numbers(quick):
    """Retrain the baseline independently with the study's own config: the table shows its loss."""
    cfg = StudyConfig(quick=True, seed=0)
    _, result = fit(cfg.train_config(cfg.budget.shallow, "normal"))
    header, row = _table(quick / "tables" / "task0_baseline.csv")
    assert row[header.index("Final train loss")] == f"{result.metrics['final_loss']:.4g}"
    assert row[header.index("Test accuracy")] == f"{result.metrics['test_accuracy']:.3f}"
    deep = fit(cfg.train_config(cfg.budget.deep, "normal"))[1].metrics  # diverges: its accuracy's step is said
    text = " ".join(re.sub(r"<[^>]+>", "", (quick / "report.html").read_text()).split())
    assert (f"test accuracy {deep['test_accuracy']:.3f} at its last evaluation "
            f"(step {deep['evaluated_at_step']})") in text


@pytest.fixture
def first_stages(monkeypatch):
    """Only Tasks 0 and 1: enough for what a test checks, a third of the quick study's time."""
    from reluscope.report import study

    monkeypatch.setattr(study, "stages", lambda: [Task0(), Task1()])


def test_another_seed_changes_the_tables(quick, tmp_path, first_stages):
    out = tmp_path / "s1"
    assert main(["study", "--quick", "--seed", "1", "--out", str(out)]) == 0
    for name in ("task0_baseline", "task1_moments_depth3", "task1_moments_depth11"):
        assert _table(out / "tables" / f"{name}.csv") != _table(quick / "tables" / f"{name}.csv")
    assert "--seed 1" in (out / "report.html").read_text()


def test_a_csv_data_set_and_rerunning_into_the_same_directory(tmp_path, first_stages, tiny_quick):
    X, y = generate("moons", 200, random_state=3)
    path = tmp_path / "mine.csv"
    save_csv(path, X, y)
    cfg = StudyConfig(dataset=str(path), quick=True, out=tmp_path / "study")
    ticks = []
    write_study(cfg, progress=ticks.append)
    assert sum(ticks) == total_units(cfg)  # one progress display over all stages, ending exactly at its total
    (cfg.out / "figures" / "stale.png").write_bytes(b"")
    write_study(cfg)  # an earlier study in --out is replaced as a whole
    assert not (cfg.out / "figures" / "stale.png").exists()
    assert "mine.csv" in (cfg.out / "report.html").read_text()


def test_a_digits_study_draws_the_slice_in_every_section(tmp_path, tiny_quick):
    """64 inputs: Task 0 and the cells on the plane through three data points, Task 2 carried back from it with
    every layer's x̂ of those points as 8×8 images (the German page: tests/test_texts.py's German study)."""
    out = tmp_path / "digits"
    assert main(["study", "--quick", "--dataset", "digits", "--out", str(out)]) == 0
    page = (out / "report.html").read_text()
    assert re.findall(r'<section id="([^"]+)">', page) == SECTIONS
    y = load_dataset("digits").y
    indices = plane_indices_of(out)
    assert sorted(y[indices]) == [0, 1, 2]  # typical points of three classes span the plane
    named = ", ".join(f"#{i} ({y[i]})" for i in indices)
    text = re.sub(r"<[^>]+>", "", page)
    assert text.count(named) >= 4  # Task 0's caption, Task 2's views and images, the cells' finding: one plane
    assert texts("cells", "en")("space_plane") in text
    assert "× 64 in layer 1, then ×" in text  # the summary's expected growth of N(0, 1) starts at n = 64
    assert _size(out / "figures" / "task2_images.png")[0] == 960  # the text column
    cells = _table(out / "tables" / "cells_counts.csv")
    assert len(cells) == 1 + 10 and all(int(row[1]) >= 1 for row in cells[1:])  # every hidden layer, counted


def plane_indices_of(out) -> list[int]:
    """The three data indices a study's Task 0 caption names (``#i (class)``)."""
    caption = re.search(r"#(\d+) \(\d\), #(\d+) \(\d\), #(\d+) \(\d\)", (out / "report.html").read_text())
    return [int(i) for i in caption.groups()]


def test_a_csv_of_three_columns_is_drawn_on_a_plane_without_images(tmp_path, tiny_quick):
    out = tmp_path / "three"
    path = _csv3(tmp_path / "three.csv", lambda i: (i % 5, (i * i) % 7, (i % 3) + 0.1 * i))
    assert main(["study", "--quick", "--dataset", path, "--out", str(out)]) == 0
    page = (out / "report.html").read_text()
    assert re.findall(r'<section id="([^"]+)">', page) == SECTIONS
    assert texts("cells", "en")("space_plane") in page
    assert not (out / "figures" / "task2_images.png").exists()  # 3 inputs are no square image


def test_every_stage_reports_units_and_reads_runs_at_the_budgets_depths():
    for quick in (True, False):
        b = StudyConfig(quick=quick).budget
        for stage in stages():
            assert stage.units(b) > 0
            assert {depth for depth, _ in stage.runs(b)} <= {b.shallow, b.deep}


def test_the_runs_table_says_where_a_run_collapsed():
    """A run that learned and lost it shows as collapsed, with its step, its best accuracy and the dead layer."""
    collapsed = dict(scheme="lecun", depth=11, seed=0, status="collapsed", train_accuracy=0.52, test_accuracy=0.5,
                     chance_accuracy=0.5, collapsed_at_step=500, best_train_accuracy=0.997, best_step=450,
                     collapsed_layer="layer 9 (16)", unstable_layer_at_init=None)
    ok = {**collapsed, "scheme": "he", "status": "ok", "train_accuracy": 1.0, "test_accuracy": 0.99}
    study = InitStudyResult(InitStudyConfig(depths=(11,), schemes=("lecun", "he"), seeds=1), [collapsed, ok])
    lecun, he = runs_table(study).rows
    assert lecun[2] == "collapsed" and "collapsed at step 500" in lecun[5] and "0.997" in lecun[5]
    assert "450" in lecun[5] and "layer 9 passes nothing on" in lecun[5]  # the layer, not its module index
    assert he[2] == "ok" and he[5] == "—"


BAD = {
    "unknown data set": lambda t: ["--dataset", "spiralz"],
    "missing csv": lambda t: ["--dataset", str(t / "nope.csv")],
    "csv name too long": lambda t: ["--dataset", str(t / ("n" * 300 + ".csv"))],
    "negative seed": lambda t: ["--seed", "-1"],
    "seed beyond 2³²": lambda t: ["--seed", str(2**64)],
    "seed not a number": lambda t: ["--seed", "one"],
    "out is a file": lambda t: ["--out", str(t / "file.txt")],
    "out holds something else": lambda t: ["--out", str(t / "other")],
    "all points coincide": lambda t: ["--dataset", _csv(t / "same.csv", [(1.0, 2.0, c) for c in (0, 1) * 4])],
    "3 points on one line": lambda t: ["--dataset", _csv3(t / "line.csv", lambda i: (i % 4, 2 * (i % 4), 3 * (i % 4)))],
}


def _csv3(path, row):
    """A CSV of three feature columns: ``row(i)`` for i < 24, labels 0, 1, 2 in turn."""
    path.write_text("x1,x2,x3,label\n" + "".join(f"{a},{b},{c},{i % 3}\n" for i in range(24) for a, b, c in [row(i)]))
    return str(path)


def _csv(path, rows):
    path.write_text("x1,x2,label\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows))
    return str(path)


@pytest.mark.parametrize("case", BAD)
def test_bad_input_exits_2_with_one_line(case, tmp_path, capsys):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("precious")
    assert main(["study", "--quick", *BAD[case](tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("reluscope: error:") and "\n" not in err
    assert (tmp_path / "other" / "keep.txt").read_text() == "precious"


# --- the report builder on its own -------------------------------------------------------------------------

def _png(color):
    fig = plt.figure(figsize=(1, 1))
    fig.patch.set_facecolor(color)
    return to_png(fig)


def test_viewer_needs_a_frame_for_every_combination():
    axes = [Axis("step", "slider", ["0", "10"]), Axis("layer", "select", ["1", "2", "3"])]
    frames = {(i, j): _png("white") for i in range(2) for j in range(3)}
    assert Viewer("v", axes, frames).keys()[-1] == (1, 2)
    del frames[1, 2]
    with pytest.raises(ReluscopeError, match="no frame"):
        Viewer("v", axes, frames)


def test_page_inlines_frames_in_axis_order_and_escapes_text():
    axes = [Axis("scheme", "toggle", ["a", "b"], initial=1)]
    red, blue = _png("red"), _png("blue")
    blocks = [Viewer("v", axes, {(0,): red, (1,): blue}), "**<b>**", Table(["c"], [["</td>"]]), Image("i", red)]
    report = Report("<t>", {"seeds": "0"},
                    [Section("s", "S & T", answer="x $a^2$", blocks=blocks, derivation="derived $b$")])
    page = render_html(report)
    data = json.loads(re.search(r'<script type="application/json" id="frames-v">(.*?)</script>', page).group(1))
    assert data["sizes"] == [2] and data["initial"] == [1] and len(data["frames"]) == 2
    assert data["frames"][1] is None and data["frames"][0] == data_uri(red)  # the initial frame is inlined once,
    assert (page.count(data_uri(blue)) == 1
            and data_uri(blue) in page.split('<script type="application/json"')[0])  # in <img>
    assert "&lt;t&gt;" in page and "S &amp; T" in page and "&lt;b&gt;" in page and "&lt;/td&gt;" in page
    assert "<msup>" in page and "<details" in page and page.count("<math") == 2
    assert f'<meta name="generator" content="reluscope {version("reluscope")}">' in page


@pytest.mark.parametrize("blit", [False, True])
def test_frames_drawn_in_worker_processes_are_the_same_bytes(blit):
    """With ``blit`` each worker keeps its own background, which frames on other axes replace."""
    axes = [Axis("a", "slider", ["0", "1", "2"]), Axis("b", "select", ["x", "y"])]

    def draw(axs, key):
        axs[0].plot(np.arange(5) * (key[0] + 1), color="C0" if key[1] else "C3")
        if blit:  # frames of a slider position share their axes, each position has its own
            axs[0].set(xlim=(0, 4), ylim=(0, 4 * (key[0] + 1)))

    one = render_viewer("v", axes, draw, figsize=(2, 2), workers=1, blit=blit)
    two = render_viewer("v", axes, draw, figsize=(2, 2), workers=2, blit=blit)
    assert list(one.frames) == list(two.frames)
    assert one.frames == two.frames and len(set(one.frames.values())) == 6


def test_a_forked_process_starts_without_the_parsed_mathtext_of_its_parent():
    """A cached parse holds its fonts, whose file offset forked copies share: a forked process parses anew."""
    from matplotlib.mathtext import MathTextParser

    MathTextParser("agg").parse(r"$\hat x_1$", 100)
    assert MathTextParser._parse_cached.cache_info().currsize > 0
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if its cache is empty
        os._exit(0 if MathTextParser._parse_cached.cache_info().currsize == 0 else 1)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    assert MathTextParser._parse_cached.cache_info().currsize > 0  # the parent keeps its parses


def test_runs_trained_at_once_in_workers_are_the_runs_trained_one_after_another():
    cfg = StudyConfig(quick=True, seed=3)
    data = load_dataset(cfg.base.dataset, cfg.base.n_samples, noise=cfg.base.noise, random_state=cfg.seed)
    runs = [(3, "he"), (4, "normal"), (3, "he"), (5, "lecun")]
    contexts = []
    for workers in (1, 2):
        ticks = []
        ctx = StudyContext(cfg, data, ticks.append)
        ctx.train(runs, workers=workers)
        assert sum(ticks) == 3 * cfg.budget.run.steps  # every run's steps, once each
        contexts.append(ctx)
    one, two = contexts
    assert one.runs.keys() == two.runs.keys() == set(runs)
    for key, a in one.runs.items():
        b = two.runs[key]
        assert a.metrics == b.metrics and a.history == b.history and a.snapshots.keys() == b.snapshots.keys()
        for name, p in a.model.state_dict().items():
            assert torch.equal(p, b.model.state_dict()[name])


class _Recorded:
    """A stage that reads ``reads`` and records when it is built."""

    def __init__(self, name, reads, built):
        self.name, self.reads, self.built = name, reads, built

    def runs(self, b):
        return self.reads

    def units(self, b):
        return 1

    def build(self, ctx):
        self.built.append(self.name)
        for depth, init in self.reads:
            assert ctx.run(depth, init).metrics["steps_run"] > 0
        return Part(Section(self.name, self.name))


@pytest.mark.parametrize("can_fork", [True, False])
def test_stages_are_built_as_their_runs_end_and_the_page_keeps_the_sheets_order(monkeypatch, can_fork):
    """A stage that reads no run is built while the others' runs train; the sections stay in the sheet's order,
    and the progress ends at its total either way (no fork: every run trained first, the sheet's order)."""
    from reluscope.report import stage, study

    built = []
    sheet = [_Recorded("trained", [(3, "he"), (4, "normal")], built), _Recorded("untrained", [], built)]
    monkeypatch.setattr(study, "stages", lambda: sheet)
    monkeypatch.setattr(stage, "CAN_FORK", can_fork)
    cfg, ticks = StudyConfig(quick=True), []
    report = study.run_study(cfg, progress=ticks.append)
    assert built == (["untrained", "trained"] if can_fork else ["trained", "untrained"])
    assert [s.id for s in report.sections] == ["trained", "untrained", "summary"]
    assert sum(ticks) == total_units(cfg)


def test_the_run_most_stages_read_trains_first_and_a_failed_run_raises_its_error(monkeypatch):
    from reluscope.report import stage

    def fit_or_fail(cfg, data):
        if cfg.depth == 4:
            raise ReluscopeError("depth 4 failed")
        return fit(cfg, data=data)

    monkeypatch.setattr(stage, "fit", fit_or_fail)  # the workers are forked after this
    cfg = StudyConfig(quick=True)
    data = load_dataset(cfg.base.dataset, cfg.base.n_samples, noise=cfg.base.noise, random_state=cfg.seed)
    ctx = StudyContext(cfg, data, lambda n=1: None, readers={(3, "he"): 3, (5, "lecun"): 1})
    ctx.start([(5, "lecun"), (4, "normal"), (3, "he")], workers=2)
    try:
        assert list(ctx.pending) == [(3, "he"), (5, "lecun"), (4, "normal")]  # most read, then deepest
        ctx.start([(3, "lecun")], workers=2)  # joins the runs still training: no more processes
        assert len(multiprocessing.active_children()) == 2 and (3, "lecun") in ctx.pending
        with pytest.raises(ReluscopeError, match="depth 4 failed"):
            ctx.run(4, "normal")
        while not ctx.ready([(3, "he")]):
            ctx.wait()
        assert ctx.run(3, "he").metrics["steps_run"] == cfg.budget.run.steps
    finally:
        ctx.close()
    assert not ctx.pending and not multiprocessing.active_children()


def test_a_run_comes_back_from_its_process_without_passing_file_descriptors(monkeypatch):
    """The runs cross from the training processes as bytes: with file-descriptor passing broken in this process
    (as a refused socket breaks it) every run still arrives, where torch's shared-memory handles ended the pool's
    result thread and left ``run`` waiting for ever."""
    from multiprocessing import resource_sharer

    cfg = StudyConfig(quick=True)
    data = load_dataset(cfg.base.dataset, cfg.base.n_samples, noise=cfg.base.noise, random_state=cfg.seed)
    ctx = StudyContext(cfg, data, lambda n=1: None)
    ctx.start([(3, "he"), (3, "lecun")], workers=2)

    def refused(self):
        raise ConnectionRefusedError("no file descriptors here")

    monkeypatch.setattr(resource_sharer.DupFd, "detach", refused)  # in this process only: the workers forked
    got = []
    waiter = threading.Thread(target=lambda: got.append(ctx.run(3, "lecun")), daemon=True)
    waiter.start()
    waiter.join(timeout=60)
    try:
        assert got and got[0].metrics["steps_run"] == cfg.budget.run.steps
        assert ctx.run(3, "he").metrics["steps_run"] == cfg.budget.run.steps
    finally:
        ctx.close()


def test_the_first_optimizer_imports_dynamo_before_the_workers_fork():
    """What ``import_optimizers`` spares each training worker: the import of ``torch._dynamo`` that torch's
    first optimizer makes (a fresh interpreter: this one may have imported it already)."""
    code = ("import sys; from reluscope.report.stage import import_optimizers; "
            "before = 'torch._dynamo' in sys.modules; import_optimizers(); "
            "print(before, 'torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]


def test_frames_are_drawn_in_process_where_fork_is_unsafe(monkeypatch):
    """macOS and Windows (CAN_FORK false): no process pool is opened, whatever ``workers`` says."""
    axes = [Axis("a", "slider", ["0", "1", "2", "3"])]

    def no_pool(*args, **kwargs):
        raise AssertionError("a process pool was opened")

    monkeypatch.setattr(figures, "CAN_FORK", False)
    monkeypatch.setattr(figures.multiprocessing, "get_context", no_pool)
    viewer = render_viewer("v", axes, lambda axs, key: axs[0].plot([0, key[0]]), figsize=(2, 2), workers=4)
    assert len(set(viewer.frames.values())) == 4


def test_markdown_math_becomes_mathml():
    html = markdown_to_html("inline $x^2$ and display\n\n$$\\frac{1}{n}$$\n")
    assert html.count("<math") == 2 and "<mfrac>" in html and 'display="block"' in html


def test_frames_honour_their_margins():
    """Every frame, not only the first, its panels in one row between the margins."""
    axes = [Axis("a", "slider", ["0", "1", "2"])]
    boxes = []
    render_viewer("v", axes, lambda axs, key: boxes.append([ax.get_position().bounds for ax in axs]), figsize=(2, 2),
                  panels=2, margins=dict(left=0.3, right=0.9, wspace=0), workers=1)
    assert len(boxes) == 3 and all(len(b) == 2 for b in boxes)
    for (left, right) in boxes:
        assert left[0] == pytest.approx(0.3) and left[0] + left[2] == pytest.approx(right[0])
        assert right[0] + right[2] == pytest.approx(0.9) and left[1] == right[1]


def _ragged_frame(axs, key):
    """A frame whose look depends on every property a frame before it may leave behind: scales, limits set or
    autoscaled, the aspect, titles, labels, a legend, an image, error bars, the colour cycle, hidden ticks."""
    ax = axs[0]
    i = key[0]
    if i % 4 == 3:
        ax.text(0.5, 0.5, "no data")  # the view a new Axes has
    elif i % 4 == 0:
        ax.set_yscale("log")
        ax.plot(np.arange(1, 6) ** (i + 1), label="power")
        ax.errorbar([1, 2], [3, 4], yerr=[0.5, 0.5], label="bars")
        ax.legend()
        ax.set_title(f"frame {i}", loc="left")
        ax.set(xlabel="x", ylabel="y")
    elif i % 4 == 1:
        ax.imshow(np.arange(12.0).reshape(3, 4) * i, extent=(-i, i, 0, 2))
        ax.set(xlim=(-2 * i, 2 * i), aspect="equal", xticks=[], yticks=[])
    else:
        ax.plot(np.sin(np.arange(10) * i))  # the cycle's first colour, autoscaled
        ax.scatter([0, i], [1, -i])
        ax.text(0.5, 0.5, str(i))


def test_frames_on_recycled_axes_are_the_frames_of_new_axes():
    """Whatever the frames before left on the Axes (``clear_for_frame``), a frame is the bytes of the same
    drawing on a new figure of its own."""
    axes = [Axis("a", "slider", [str(i) for i in range(9)])]
    viewer = render_viewer("v", axes, _ragged_frame, figsize=(3, 2), panels=1, workers=1)
    for i in range(9):
        alone = render_viewer("v", [Axis("a", "slider", ["0"])], lambda axs, key: _ragged_frame(axs, (i,)),
                              figsize=(3, 2), panels=1, workers=1)
        assert viewer.frames[i,] == alone.frames[0,], f"frame {i}"
    assert len(set(viewer.frames.values())) == 8  # frames 3 and 7 are alike


def test_a_frame_is_lossless_webp_of_a_palette_within_the_tolerance():
    fig = plt.figure(figsize=(4, 3))
    ax = fig.subplots()
    for k in range(12):  # more colours and anti-aliased shades than the smallest palette holds
        ax.plot(np.arange(10) * (k + 1), color=plt.get_cmap("viridis")(k / 11), lw=2)
    drawn = np.asarray(figures.pixels(fig, dpi=50, close=False), dtype=int)  # (150, 200, 3)
    data = figures.to_webp(fig, dpi=50)
    assert image_type(data) == ("image/webp", ".webp") and data_uri(data).startswith("data:image/webp;base64,")
    img = PILImage.open(io.BytesIO(data))
    assert img.format == "WEBP" and img.size == (200, 150)
    shown = np.asarray(img.convert("RGB"), dtype=int)
    assert np.abs(shown - drawn).max() <= figures.PALETTE_TOLERANCE
    assert len(np.unique(shown.reshape(-1, 3), axis=0)) <= max(figures.PALETTES)


def test_image_files_and_data_uris_are_named_by_their_bytes(tmp_path):
    png, webp = _png("red"), figures.to_webp(plt.figure(figsize=(1, 1)))
    assert data_uri(png).startswith("data:image/png;base64,")
    axes = [Axis("step", "slider", ["0"])]
    report = Report("t", {}, [Section("s", "S", blocks=[Image("still", png), Viewer("v", axes, {(0,): webp})])])
    write_report(report, tmp_path)
    assert (tmp_path / "figures" / "still.png").read_bytes() == png
    assert (tmp_path / "figures" / "v" / "step-0.webp").read_bytes() == webp
    with pytest.raises(ValueError, match="neither PNG nor WebP"):
        data_uri(b"GIF89a")


def test_png_is_a_small_palette_image():
    fig = plt.figure(figsize=(4, 3))
    fig.subplots().plot(np.arange(10))
    img = PILImage.open(__import__("io").BytesIO(to_png(fig, dpi=50)))
    assert img.mode == "P" and img.size == (200, 150)


def test_theory_section_is_read_from_the_markdown(tmp_path):
    doc = tmp_path / "theory.md"
    doc.write_text("# T\n\n## 1. One\n\n<!-- owner -->\nbody $a$\n\n### sub\n\n## 2. Two\n\n<!-- only -->\n")
    assert theory_section(1, docs=tmp_path).derivation == "body $a$\n\n#### sub"
    assert "docs/theory.md" in theory_section(2, docs=tmp_path).derivation  # empty section: a pointer, not a blank
    assert "docs/theory.de.md" in theory_section(1, "de", docs=tmp_path).derivation


def test_evidence_quotes_leave_the_derivation_for_the_appendix(tmp_path):
    (tmp_path / "theory.md").write_text("## 1. One\n\nintro\n\n### 1.1 Linear\n\n$a = b$ holds.\n\n"
                                        "> **Tests:** `tests/t.py::test_a` (exact)\n> and `::test_b`.\n\n"
                                        "after\n\n### 1.2 Next\n\n> a plain quote stays\n")
    theory = theory_section(1, docs=tmp_path)
    assert theory.evidence == [("1.1 Linear", "**Tests:** `tests/t.py::test_a` (exact)\nand `::test_b`.")]
    assert "Tests" not in theory.derivation and "> a plain quote stays" in theory.derivation
    assert theory.derivation.startswith("intro\n\n#### 1.1 Linear\n\n$a = b$ holds.\n\nafter")


def test_numbers_are_right_aligned_and_text_is_not():
    from reluscope.report.html import is_number

    assert all(map(is_number, ["7", "0.980", "1.31e+10", "−5", "12%", "53317", "0,980", "53\u202f317",
                               "1,31\u202f·\u202f10¹⁰", "12\xa0%"]))
    assert not any(map(is_number, ["32 × 32, 32", "yes", "layer 3 (4)", "", "he", "10 (Layer)"]))


def test_a_column_is_right_aligned_when_it_holds_numbers_only():
    table = Table(["task", "steps", "status"], [["0", "3", "ok"], ["1.2", "—", "ok"], ["cells", "12", "7"]])
    page = render_html(Report("t", {}, [Section("s", "S", blocks=[table])]))
    cells = re.findall(r"<td( class=\"num\")?>([^<]*)</td>", page)
    assert [c for c, _ in cells] == ["", ' class="num"', ""] * 3  # labels and text left, the numbers right
