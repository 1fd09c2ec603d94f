"""What the page says in its language: every notice and note the server raises names a key of the live view's catalog
(checked on the source, so a new one cannot slip past), the panels explain why a view is off with such a key, and an
upload's CSV faults name the user's file with the line, never the server's path."""

import ast
from pathlib import Path

import pytest
import torch

from reluscope.serve.bundle import catalog
from reluscope.serve.notice import Notice, said, why
from reluscope.serve.upload import store_upload

SOURCES = [Path(__file__).resolve().parents[1] / "src" / "reluscope" / host for host in ("serve", "widget")]


def raised_keys() -> list[str]:
    """The key of every ``Notice(message, key, …)`` and ``said(key, …)`` in the server's and the widget's source: a
    literal, or the literal start of an f-string (``csv_{reason}``) followed by ``*`` (a key passed on, ``e.key``,
    is checked where it was raised)."""
    keys = []
    for path in (p for folder in SOURCES for p in folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Notice", "said"):
                arg = node.args[1 if node.func.id == "Notice" else 0]
                if isinstance(arg, ast.Constant):
                    keys.append(arg.value)
                elif isinstance(arg, ast.JoinedStr):
                    keys.append(arg.values[0].value + "*")  # else a key passed on (a Notice's): checked where raised
    return keys


def test_every_notice_names_a_key_of_the_catalog():
    texts = catalog()["texts"]["en"]
    keys = raised_keys()
    assert len(keys) >= 20 and {"setting_*", "csv_*", "busy_full", "note_diverged"} <= set(keys)
    for key in keys:
        assert (key in texts) if not key.endswith("*") else any(k.startswith(key[:-1]) for k in texts), key
    for kind in (int, float, str):
        assert f"setting_{kind.__name__}" in texts
    for reason in ("encoding", "empty", "columns", "number", "finite", "rows", "classes", "split", "scale"):
        assert f"csv_{reason}" in texts


def test_a_view_that_cannot_be_drawn_says_why_with_a_key():
    tanh = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    from reluscope.geometry.patterns import grid_regions
    with pytest.raises(Exception) as refused:
        grid_regions(tanh, (-1.0, 1.0, -1.0, 1.0), 8)
    assert why(refused.value, tanh) == said("note_not_piecewise", activation="tanh")
    relu = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        relu[2].weight[0, 0] = float("inf")
    with pytest.raises(Exception) as refused:
        grid_regions(relu, (-1.0, 1.0, -1.0, 1.0), 8)
    assert why(refused.value, relu) == said("note_diverged")
    gelu = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.GELU(), torch.nn.Linear(4, 2))
    from reluscope.probe.theory import predicted_moments
    with pytest.raises(Exception) as refused:
        predicted_moments(gelu, 1.0)
    assert why(refused.value, gelu) == said("note_no_theory", activation="gelu")
    from reluscope.geometry.backproject import pinv
    with pytest.raises(Exception) as refused:
        pinv(torch.tensor([[1.0, 0.0], [0.0, 1e-20]]))
    assert why(refused.value, gelu) == said("note_singular")  # finite parameters


def test_the_note_follows_the_errors_reason_not_its_words():
    from reluscope.errors import ReluscopeError
    relu = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    for text in ("not finite", "not piecewise linear", "no moment formula", "its pseudo-inverse"):
        assert why(ReluscopeError(text), relu) == said("note_library", text=text)
    assert why(ReluscopeError("layer 2 went wrong", "not_finite"), relu) == said("note_diverged")


@pytest.mark.parametrize(("text", "key", "values"), [
    ("x1,x2,label\n1,zwei,0\n1,2,1\n3,4,0\n5,6,1\n", "csv_number", {"line": 2}),
    ("x1,x2,label\n1,2,0\n1,2\n", "csv_columns", {"line": 3, "columns": 3}),
    ("x1,x2,label\n1,2,0\n", "csv_rows", {"rows": 1, "need": 4}),
    ("x1,x2,label\n1,2,0\n1,3,0\n3,4,0\n5,6,0\n", "csv_classes", {}),
    ("x1,x2,label\n1,2,0\n1,3,0\n3,4,0\n5,6,1\n", "csv_split", {}),
])
def test_a_bad_csv_is_named_by_the_users_file_with_a_key(tmp_path, text, key, values):
    with pytest.raises(Notice) as refused:
        store_upload(tmp_path, "C:\\Users\\kim\\messung.csv", text)
    assert refused.value.key == key and refused.value.values == {"name": "messung.csv", **values}
    assert str(tmp_path) not in str(refused.value) and "messung.csv" in str(refused.value)
    assert not list(tmp_path.iterdir())  # the refused file is gone


def test_every_error_kind_survives_pickling():
    """A worker process's error reaches its parent whole, whatever its class's ``__init__`` takes."""
    import pickle

    from reluscope.errors import ReluscopeError
    from reluscope.geometry.backproject import IllConditioned
    from reluscope.geometry.regions import TooManyRegions

    for error in (ReluscopeError("bad", "not_finite"), Notice("too big", "setting_int", name="steps"),
                  TooManyRegions(3, 100), IllConditioned("2", (4, 4), 3, float("inf"), 1e8)):
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error) and again.args == error.args and vars(again) == vars(error)
