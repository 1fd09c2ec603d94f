"""``reluscope serve``: the live playground in the browser."""

from __future__ import annotations

from pathlib import Path

import click

from reluscope.cli.app import app
from reluscope.cli.options import INT
from reluscope.serve.config import ServeConfig


@app.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but this machine prints a warning.")
@click.option("--port", type=INT, default=8765, show_default=True, help="Port (0: any free one).")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
@click.option("--runs-dir", type=click.Path(path_type=Path), default=Path("out/playground"), show_default=True,
              help="Where 'save run' writes run directories.")
@click.option("--max-sessions", type=INT, default=8, show_default=True, help="Pages that may train at once.")
@click.option("--token", default=None,
              help="The token the link must carry. [default: none on this machine; beyond it, a random one]")
@click.option("--max-sessions-per-client", type=INT, default=2, show_default=True,
              help="Pages one computer may train at once when the playground has a token.")
def serve(host, port, open_browser, runs_dir, max_sessions, token, max_sessions_per_client) -> None:
    """A live playground in the browser: every layer's statistics, back-projection and cells."""
    config = ServeConfig(host=host, port=port, runs_dir=runs_dir, max_sessions=max_sessions,
                         open_browser=open_browser, token=token,
                         max_sessions_per_client=max_sessions_per_client).validate()
    from reluscope.serve.app import serve as run_server  # starlette, uvicorn, torch: only when serving

    run_server(config)
