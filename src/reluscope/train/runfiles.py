"""The files every run directory holds, checked without loading torch: a wrong path is refused at once."""

from __future__ import annotations

from pathlib import Path

from reluscope.errors import ReluscopeError

REQUIRED = ("config.json", "metrics.json", "model.pt", "data.npz")  # of the layout in ``reluscope.train.rundir``


def check_run_dir(path: str | Path) -> Path:
    """``path`` as a ``Path`` if it is a directory holding every ``REQUIRED`` file; else ``ReluscopeError``."""
    path = Path(path)
    try:
        if not path.is_dir():
            raise ReluscopeError(f"run directory not found: {path}")
        missing = [f for f in REQUIRED if not (path / f).is_file()]
    except OSError as e:
        raise ReluscopeError(f"run directory {path}: {e.strerror or e}") from None
    if missing:
        raise ReluscopeError(f"{path} is not a run directory (missing {', '.join(missing)})")
    return path
