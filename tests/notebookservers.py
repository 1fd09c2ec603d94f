"""The notebook front-ends of this checkout for tests and benchmarks — JupyterLab, Notebook 7 and marimo — each on
127.0.0.1, a free port, its own token and its own directories under ``home``; stopped when the ``with`` block ends.
No update or news check and a read-only extension manager, so they make no request beyond this machine."""

from __future__ import annotations

import contextlib
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.request import urlopen

from notebooks import kernel_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


QUIET = ("--LabApp.news_url=", "--LabApp.extension_manager=readonly",  # JupyterLab's; Notebook 7 checks nothing
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")


@contextlib.contextmanager
def jupyterlab(root: Path, home: Path, timeout: float = 60.0, app: str = "jupyterlab") -> Iterator[tuple[str, str]]:
    """``(url, token)`` of a JupyterLab serving ``root`` while the block runs; ``app="notebook"``: Notebook 7, the
    same server with the classic page layout."""
    token = secrets.token_hex(16)
    env = kernel_env() | {"JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
                          "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
                          "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "HOME": str(home)}
    log = home / "lab.log"

    def start(port: int) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", app, "--no-browser", "--ServerApp.ip=127.0.0.1",
                                 f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
                                 f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
                                 "--allow-root", *(QUIET if app == "jupyterlab" else ())],
                                env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=log.open("w"))

    with _serving(start, f"/api/status?token={token}", log, timeout) as url:
        yield url, token


@contextlib.contextmanager
def marimo(notebook: Path, home: Path, timeout: float = 60.0) -> Iterator[str]:
    """The URL (with its token) of ``marimo run notebook`` while the block runs: the app view, every cell run at
    the session's start."""
    token, log = secrets.token_hex(16), home / "marimo.log"

    def start(port: int) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "marimo", "-y", "run", str(notebook), "--headless",
                                 "--host", "127.0.0.1", "--port", str(port), "--token-password", token,
                                 "--no-sandbox", "--no-check"],
                                env=kernel_env() | {"HOME": str(home)}, cwd=home, stdout=subprocess.DEVNULL,
                                stderr=log.open("w"))

    with _serving(start, "/health", log, timeout) as url:
        yield f"{url}/?access_token={token}"


@contextlib.contextmanager
def _serving(start: Callable[[int], subprocess.Popen], probe: str, log: Path, timeout: float,
             tries: int = 3) -> Iterator[str]:
    """``start(port)`` on a free port; wait until ``url + probe`` answers (or fail with the end of ``log``), then keep
    the server for the block, ``url`` its address; stop it. A free port may be taken by another process between
    ``free_port`` and the server's own bind: a server that ends before it answers, saying so, starts again on another
    (``tries`` in all)."""
    deadline = time.monotonic() + timeout
    for attempt in range(tries):
        port = free_port()
        url, proc = f"http://127.0.0.1:{port}", start(port)
        try:
            while not _answers(url + probe):
                if proc.poll() is not None or time.monotonic() > deadline:
                    text = log.read_text()
                    if proc.poll() is not None and "in use" in text and attempt + 1 < tries:
                        break  # the port was taken: the next try
                    raise RuntimeError(f"{proc.args[2]} did not start:\n" + text[-3000:])
                time.sleep(0.3)
            else:  # it answers
                yield url
                return
        finally:
            _stop(proc)


def _answers(url: str) -> bool:
    try:
        urlopen(url, timeout=2).read()
    except OSError:  # refused, reset, or timed out (not yet answering, or not this server)
        return False
    return True


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_notebook(page, url: str, token: str, name: str, app: str = "jupyterlab") -> None:
    """Open ``name`` alone (``open_notebook``) and run all its cells."""
    open_notebook(page, url, token, name, app)
    run_all(page)


def open_notebook(page, url: str, token: str, name: str, app: str = "jupyterlab") -> None:
    """Open ``name`` alone (JupyterLab: in a fresh workspace of its own) and wait for its kernel."""
    if app == "jupyterlab":
        page.goto(f"{url}/lab/workspaces/{Path(name).stem}/tree/{name}?reset&token={token}")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        page.wait_for_selector(".jp-StatusBar-TextItem:has-text('| Idle')", timeout=60_000)  # the kernel is up
    else:  # Notebook 7: one notebook a page, its kernel's state in the toolbar
        page.goto(f"{url}/notebooks/{name}?token={token}")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        page.wait_for_function("(() => { const e = document.querySelector('.jp-NotebookKernelStatus');"
                               "return e && e.className.endsWith('jp-NotebookKernelStatus-fade')"
                               " && !e.textContent })()",
                               timeout=60_000)  # the kernel is up: its status faded out, with no message


def run_all(page) -> None:
    """Run every cell of the open notebook from the menu."""
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
