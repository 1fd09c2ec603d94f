"""A JupyterLab of this checkout for tests and benchmarks: on 127.0.0.1, a free port, its own token and Jupyter
directories under ``home``, serving ``root``; stopped when the ``with`` block ends. No update or news check and a
read-only extension manager, so it makes no request beyond this machine."""

from __future__ import annotations

import contextlib
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from notebooks import kernel_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(root: Path, home: Path, timeout: float = 60.0) -> Iterator[tuple[str, str]]:
    """``(url, token)`` of a JupyterLab serving ``root`` while the block runs."""
    token, port = secrets.token_hex(16), free_port()
    env = kernel_env() | {"JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
                          "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
                          "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "HOME": str(home)}
    log = home / "lab.log"
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                             f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
                             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
                             "--allow-root", "--LabApp.news_url=", "--LabApp.extension_manager=readonly",
                             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
                            env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=log.open("w"))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urlopen(f"{url}/api/status?token={token}", timeout=2).read()
                break
            except (URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start:\n" + log.read_text()[-3000:]) from None
                time.sleep(0.3)
        yield url, token
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_notebook(page, url: str, token: str, name: str) -> None:
    """Open ``name`` alone in a fresh JupyterLab workspace of its own, wait for its kernel, run all its cells."""
    page.goto(f"{url}/lab/workspaces/{Path(name).stem}/tree/{name}?reset&token={token}")
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_selector(".jp-StatusBar-TextItem:has-text('| Idle')", timeout=60_000)  # the kernel is up
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
