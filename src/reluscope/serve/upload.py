"""A CSV sent from the page: size and row limits, stored in the session's own directory, read by ``load_csv``.

The page sends the file's text; the server picks the file name, so no client ever names a server path, and
messages about the file name the user's file, not where the server keeps it.
"""

from __future__ import annotations

from pathlib import Path

from reluscope.data import load_csv
from reluscope.errors import ReluscopeError

MAX_ROWS = 20_000  # data rows of an uploaded CSV
FILE_NAME = "upload.csv"


def store_upload(directory: Path, name: str, text: str) -> Path:
    """Write ``text`` to ``directory/upload.csv`` if it is a readable CSV of at most ``MAX_ROWS`` rows.

    Raises
    ------
    ReluscopeError
        Naming ``name`` (never the server's path) if the text is too long, not UTF-8 encodable or not a
        ``x1, …, xd, label`` CSV (any d ≥ 2: more than two are seen on a slice) with two classes or more.
    """
    shown = Path(name).name or "upload"
    if text.count("\n") > MAX_ROWS + 1:
        raise ReluscopeError(f"{shown}: more than {MAX_ROWS} rows")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise ReluscopeError(f"{shown}: not valid text") from None
    path = directory / FILE_NAME
    path.write_bytes(data)
    try:
        load_csv(path, n_features=None)
    except ReluscopeError as e:
        path.unlink()
        raise ReluscopeError(str(e).replace(str(path), shown)) from None
    return path
