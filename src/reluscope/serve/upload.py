"""A CSV sent from the page: size and row limits, stored in the session's own directory, read by ``load_csv`` and
split by ``load_dataset`` as the run will read it.

The page sends the file's text; the server picks the file name, so no client ever names a server path, and
messages about the file name the user's file, not where the server keeps it; each is a ``Notice``, which the page
says in its language.
"""

from __future__ import annotations

from pathlib import Path

from reluscope.data import CsvError, load_dataset
from reluscope.errors import ReluscopeError
from reluscope.serve.notice import Notice

MAX_ROWS = 20_000  # data rows of an uploaded CSV
FILE_NAME = "upload.csv"


def shown_name(name: str) -> str:
    """The file name of an upload as messages quote it: without any folder (``/`` or ``\\``), at most 60
    characters."""
    return (name.replace("\\", "/").rsplit("/", 1)[-1] or "upload")[:60]


def store_upload(directory: Path, name: str, text: str) -> Path:
    """Write ``text`` to ``directory/upload.csv`` if it is a readable CSV of at most ``MAX_ROWS`` rows.

    Raises
    ------
    ReluscopeError
        Naming ``name`` (never the server's path) if the text is too long, not UTF-8 encodable or not a
        ``x1, …, xd, label`` CSV (any d ≥ 2: more than two are seen on a slice) with two classes or more, each
        of at least two points.
    """
    shown = shown_name(name)
    if text.count("\n") > MAX_ROWS + 1:
        raise Notice(f"{shown}: more than {MAX_ROWS} rows", "upload_rows", name=shown, most=MAX_ROWS)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise Notice(f"{shown}: not valid text", "upload_text", name=shown) from None
    path = directory / FILE_NAME
    path.write_bytes(data)
    try:
        load_dataset(str(path))  # load_csv(path, n_features=None), then the split and the scale
    except CsvError as e:
        path.unlink()
        raise Notice(str(e).replace(str(path), shown), f"csv_{e.reason}", name=shown, **e.values) from None
    except ReluscopeError as e:
        path.unlink()
        raise ReluscopeError(str(e).replace(str(path), shown)) from None
    return path
