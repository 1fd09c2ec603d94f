"""Writing outputs atomically: a directory appears complete, in one rename, or not at all.

Every command that writes a directory (a run, a study, a region or back-projection analysis) checks ``out``
with ``prepare_out_dir`` (``check_writable``: can a directory be made there at all) before any work, fills a
temporary directory beside it inside ``atomic_dir`` and lets the rename put it in place; ``atomic_file`` does
the same for one file rewritten in place. An OS error on the way (a full disk, a vanished directory) ends as
one ``ReluscopeError`` naming the path. ``write_json`` and ``write_csv`` are the two table formats those
directories hold.

A path is any bytes the OS accepts: a name that is not UTF-8 (the Latin-1 bytes of "café") reaches Python as
surrogate escapes, is written under its own bytes (``os.fsencode``), and is shown in a message or summary
line by ``printable`` with the undecodable bytes as ``\\xNN``; a path that is recorded as text (a data set's
name) must be UTF-8 (``check_text_name``). Each component of a name must fit the file system's ``NAME_MAX``
bytes and the whole its ``PATH_MAX`` (``check_name_length``), checked with the rest before any work.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from reluscope.errors import ReluscopeError

TAG = 32  # characters of a name kept in its temporary sibling's name
INSIDE = 128  # bytes a directory's own files add to its path (figures/…, tables/…, .runs.tmp.csv)


def prepare_out_dir(out: str | Path, *, force: bool = False) -> Path:
    """Check that ``out`` may be written: ``check_writable``, and it must not exist as a non-empty directory
    unless ``force``."""
    out = check_writable(out)
    if out.exists() and not out.is_dir():
        raise ReluscopeError(f"--out {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ReluscopeError(f"--out {out} exists and is not empty (use --force to overwrite)")
    return out


def check_writable(out: str | Path, *, replace: bool = True, option: str = "--out") -> Path:
    """``Path(out)`` if a directory could be created there: a name the OS accepts (``check_name``, and each
    component and the whole within the file system's length limits), not the current directory or one above it
    when it will be replaced as a whole (``replace``: ``atomic_dir``), and a nearest existing ancestor that is a
    directory in which a directory can be made (tried: a read-only file system, ``/proc`` or missing
    permissions fail here, before any work). ``ReluscopeError`` naming ``option`` and the path otherwise."""
    out = check_name(out, option)
    cwd = Path.cwd().resolve()
    try:
        if replace and out.resolve() in (cwd, *cwd.parents):
            raise ReluscopeError(f"{option} {out} is the current directory or one above it; name a new directory")
        ancestor = next(p for p in (out.absolute(), *out.absolute().parents) if p.exists())
        if not ancestor.is_dir():
            raise ReluscopeError(f"{option} {out} lies below {ancestor}, which is not a directory")
        check_name_length(out, ancestor, option)
        os.rmdir(tempfile.mkdtemp(prefix=".reluscope-probe-", dir=ancestor))
    except OSError as e:
        raise ReluscopeError(f"{option} {out}: cannot create a directory there ({e.strerror or e})") from None
    return out


def check_name(path: str | Path, option: str) -> Path:
    """``Path(path)`` if it is a name the OS can take: not blank, no NUL, encodable as bytes (``os.fsencode``:
    a surrogate that is no escaped byte cannot be); ``ReluscopeError`` naming ``option`` otherwise."""
    try:
        if not str(path).strip() or b"\x00" in os.fsencode(path):
            raise ReluscopeError(f"{option} {printable(repr(str(path)))} is not a usable name")
    except UnicodeEncodeError:
        raise ReluscopeError(f"{option} {printable(repr(str(path)))} holds characters no file name can") from None
    return Path(path)


def check_text_name(path: str | Path, what: str) -> None:
    """Refuse a path that a run records as text (a CSV's path is its data set's name, in configs, tables and
    titles) when its bytes are not UTF-8: such a name can be read and written, but not recorded as text."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise ReluscopeError(f"{what} {printable(path)}: the name is not UTF-8 text; rename it") from None


def check_name_length(path: Path, ancestor: Path, option: str) -> None:
    """Refuse ``path`` if a component is longer than ``NAME_MAX`` bytes or the whole (absolute, with the
    ``INSIDE`` bytes of the files written in it) than ``PATH_MAX``, as the file system holding ``ancestor`` (an
    existing directory) counts them."""
    longest = max(len(os.fsencode(part)) for part in path.absolute().parts)
    too_long = len(os.fsencode(path.absolute())) + INSIDE >= os.pathconf(ancestor, "PC_PATH_MAX")
    if too_long or longest > os.pathconf(ancestor, "PC_NAME_MAX"):
        raise ReluscopeError(f"{option} {printable(path)[:200]}: file name too long")


def printable(text) -> str:
    """``str(text)`` that any stream can print: bytes of a path that are not UTF-8 (surrogate escapes) as
    ``\\xNN``, any other lone surrogate as ``\\uNNNN`` (four hex digits)."""
    text = str(text)
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


@contextmanager
def atomic_dir(out: str | Path):
    """Yield a temporary directory beside ``out``; on success it replaces ``out`` in one rename.

    A crash leaves ``out`` as it was (no half-written directory); the temporary one is removed. The
    temporary directory is made by a plain ``mkdir``, so ``out`` gets the mode any new directory gets
    (``0o777`` less the umask), not the private ``0o700`` of ``tempfile.mkdtemp``.
    """
    out = check_writable(out)
    tmp = out.with_name(f".{out.name[:TAG]}.{os.getpid()}-{secrets.token_hex(4)}")  # fits NAME_MAX as out does
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
    except OSError as e:
        raise ReluscopeError(f"cannot create {out}: {e.strerror or e}") from None
    try:
        yield tmp
        old = None
        if out.exists():
            old = out.with_name(f".{out.name[:TAG]}.old-{os.getpid()}-{secrets.token_hex(4)}")
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old)
    except OSError as e:
        raise ReluscopeError(f"cannot write {out}: {e.strerror or e} ({e.filename or tmp})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def atomic_file(path: str | Path):
    """Yield a temporary path beside ``path`` (same suffix); on success it replaces ``path`` in one rename.

    For a file that is rewritten in place (a resumable sweep's table): readers see the old or the new file,
    never half of one; on a failure the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as e:
        raise ReluscopeError(f"cannot write {path}: {e.strerror or e} ({e.filename or tmp})") from None
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: Path, obj) -> None:
    """``obj`` as indented JSON; NaN and infinity are refused (JSON has neither)."""
    path.write_text(json.dumps(obj, indent=2, allow_nan=False) + "\n")


def write_csv(path: Path, rows: list[dict]) -> None:
    """``rows`` (dicts with the same keys, in column order) as a CSV file with a header."""
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
