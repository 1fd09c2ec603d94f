"""Where the playground listens and what it allows (``ServeConfig``); checked before the server's libraries load."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reluscope.errors import ReluscopeError
from reluscope.outputs import check_text_name, check_writable


@dataclass(frozen=True)
class ServeConfig:
    """Where the playground listens and what it allows."""

    host: str = "127.0.0.1"  # another host exposes the playground to the network
    port: int = 8765  # 0: any free port
    runs_dir: Path = Path("out/playground")  # "save run" writes its run directories here
    max_sessions: int = 8  # pages training at once
    idle_timeout: float = 900.0  # seconds without a message before a page's session is closed
    open_browser: bool = False  # open the page in the default browser once listening

    def validate(self) -> ServeConfig:
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
        return self
