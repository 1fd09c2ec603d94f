"""The report on paper: ``report.html`` printed to an A4 ``report.pdf`` by headless Chromium.

The page's print stylesheet does the layout (A4, a page break before each section, viewers as their
current frame, derivations open); this module only finds a Chromium and asks it to print.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from reluscope.errors import ReluscopeError

BROWSERS = ("chromium", "chromium-browser", "google-chrome")  # looked up on PATH in this order
TIMEOUT = 180  # seconds; the full report prints in a few


def find_chromium() -> str | None:
    """The first of ``BROWSERS`` on PATH, or None."""
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def require_chromium() -> str:
    """A Chromium to print with; ``ReluscopeError`` when there is none."""
    path = find_chromium()
    if path is None:
        raise ReluscopeError("--pdf needs Chromium (chromium or google-chrome on PATH); install it or leave out --pdf")
    return path


def print_pdf(page: Path, pdf: Path, *, timeout: float = TIMEOUT) -> Path:
    """Print the HTML file ``page`` to ``pdf`` (no header or footer); return ``pdf``."""
    browser = require_chromium()
    with tempfile.TemporaryDirectory(prefix="reluscope-chromium-") as profile:  # no state from a user's profile
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                   "--no-first-run", "--disable-background-networking", "--disable-component-update",
                   f"--user-data-dir={profile}", f"--print-to-pdf={Path(pdf).resolve()}", Path(page).resolve().as_uri()]
        # its own process group: Chromium's helper processes hold the pipe too and must end with it
        with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              start_new_session=True) as browser_process:
            try:
                _, stderr = browser_process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(browser_process.pid, signal.SIGKILL)
                browser_process.communicate()
                raise ReluscopeError(f"Chromium did not print {page} within {timeout:g} s") from None
    if browser_process.returncode != 0 or not Path(pdf).is_file() or Path(pdf).stat().st_size == 0:
        said = [line for line in stderr.splitlines() if line.strip()]
        raise ReluscopeError(f"Chromium could not print {page} to PDF (exit code {browser_process.returncode})"
                             + (f": {said[-1].strip()}" if said else ""))
    return Path(pdf)
