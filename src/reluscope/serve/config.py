"""Where the playground listens and what it allows (``ServeConfig``); checked before the server's libraries load.

A playground that listens beyond this machine (a class on the room's network) is *shared*: as Jupyter does, it
asks for a token in the link (``?token=…``: the page, and the page's WebSocket) and lets one client address hold
at most ``max_sessions_per_client`` of the ``max_sessions`` training slots.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from reluscope.errors import ReluscopeError
from reluscope.outputs import check_text_name, check_writable


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
TOKEN_BYTES = 24  # random bytes of a generated token (32 URL-safe characters)


@dataclass(frozen=True)
class ServeConfig:
    """Where the playground listens and what it allows."""

    host: str = "127.0.0.1"  # another host exposes the playground to the network
    port: int = 8765  # 0: any free port
    runs_dir: Path = Path("out/playground")  # "save run" writes its run directories here
    max_sessions: int = 8  # pages training at once
    idle_timeout: float = 900.0  # seconds without a message before a page's session is closed
    open_browser: bool = False  # open the page in the default browser once listening
    token: str | None = None  # asked for in the link; None: none on this machine, a generated one beyond it
    max_sessions_per_client: int = 2  # slots one client address may hold on a shared playground

    @property
    def shared(self) -> bool:
        """Whether the page asks for the token and the per-client limit holds (a token is set)."""
        return self.token is not None

    def validate(self) -> ServeConfig:
        """Raise ``ReluscopeError`` naming the first impossible setting; return the config to serve, with a
        generated token (``secrets``) when it listens beyond this machine without one."""
        self._check()
        if self.token is None and self.host not in LOCAL_HOSTS:
            return replace(self, token=secrets.token_urlsafe(TOKEN_BYTES))
        return self

    def _check(self) -> None:
        if not 0 <= self.port < 65536:
            raise ReluscopeError(f"port must be in [0, 65535], got {self.port}")
        if self.max_sessions < 1:
            raise ReluscopeError(f"max_sessions must be at least 1, got {self.max_sessions}")
        if not self.idle_timeout > 0:
            raise ReluscopeError(f"idle_timeout must be positive, got {self.idle_timeout}")
        check_writable(self.runs_dir, replace=False, option="--runs-dir")
        check_text_name(self.runs_dir.absolute(), "--runs-dir")  # a saved run records its CSV's path as text
        if self.runs_dir.exists() and not self.runs_dir.is_dir():
            raise ReluscopeError(f"--runs-dir {self.runs_dir} exists and is not a directory")
        if self.max_sessions_per_client < 1:
            raise ReluscopeError(f"max_sessions_per_client must be at least 1, got {self.max_sessions_per_client}")
        if self.token is not None and not re.fullmatch(r"[A-Za-z0-9._~-]{1,200}", self.token):
            raise ReluscopeError("--token must be 1 to 200 letters, digits and . _ ~ - (it travels in the link)")
