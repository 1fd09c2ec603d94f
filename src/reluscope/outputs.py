"""Writing outputs atomically: a directory appears complete, in one rename, or not at all.

Every command that writes a directory (a run, a study, a region or back-projection analysis) checks ``out``
with ``prepare_out_dir`` (``check_writable``: can a directory be made there at all) before any work, fills a
temporary directory beside it inside ``atomic_dir`` and lets the rename put it in place; ``atomic_file`` does
the same for one file rewritten in place. An OS error on the way (a full disk, a vanished directory) ends as
one ``ReluscopeError`` naming the path. ``write_json`` and ``write_csv`` are the two table formats those
directories hold.
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


def prepare_out_dir(out: str | Path, *, force: bool = False) -> Path:
    """Check that ``out`` may be written: ``check_writable``, and it must not exist as a non-empty directory
    unless ``force``."""
    out = check_writable(out)
    if out.exists() and not out.is_dir():
        raise ReluscopeError(f"--out {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ReluscopeError(f"--out {out} exists and is not empty (use --force to overwrite)")
    return out


def check_writable(out: str | Path, *, replace: bool = True) -> Path:
    """``Path(out)`` if a directory could be created there: a name the OS accepts, not the current directory
    or one above it when it will be replaced as a whole (``replace``: ``atomic_dir``), and a nearest existing
    ancestor that is a directory in which a directory can be made (tried: a read-only file system, ``/proc``
    or missing permissions fail here, before any work). ``ReluscopeError`` naming the path otherwise."""
    if not str(out).strip() or "\x00" in str(out):
        raise ReluscopeError(f"--out {str(out)!r} is not a usable directory name")
    out = Path(out)
    cwd = Path.cwd().resolve()
    try:
        if replace and out.resolve() in (cwd, *cwd.parents):
            raise ReluscopeError(f"--out {out} is the current directory or one above it; name a new directory")
        ancestor = next(p for p in (out.absolute(), *out.absolute().parents) if p.exists())
        if not ancestor.is_dir():
            raise ReluscopeError(f"--out {out} lies below {ancestor}, which is not a directory")
        longest = max(len(part.encode()) for part in out.absolute().parts)
        too_long = len(str(out.absolute()).encode()) >= os.pathconf(ancestor, "PC_PATH_MAX")
        if too_long or longest > os.pathconf(ancestor, "PC_NAME_MAX"):
            raise ReluscopeError(f"--out {out}: file name too long")
        os.rmdir(tempfile.mkdtemp(prefix=".reluscope-probe-", dir=ancestor))
    except OSError as e:
        raise ReluscopeError(f"--out {out}: cannot create a directory there ({e.strerror or e})") from None
    return out


@contextmanager
def atomic_dir(out: str | Path):
    """Yield a temporary directory beside ``out``; on success it replaces ``out`` in one rename.

    A crash leaves ``out`` as it was (no half-written directory); the temporary one is removed. The
    temporary directory is made by a plain ``mkdir``, so ``out`` gets the mode any new directory gets
    (``0o777`` less the umask), not the private ``0o700`` of ``tempfile.mkdtemp``.
    """
    out = check_writable(out)
    tmp = out.with_name(f".{out.name}.{os.getpid()}-{secrets.token_hex(4)}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
    except OSError as e:
        raise ReluscopeError(f"cannot create {out}: {e.strerror or e}") from None
    try:
        yield tmp
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
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
