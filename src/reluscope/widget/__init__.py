"""The live view in a notebook: one anywidget that runs the playground's front-end (``serve/static``, the same
module the page loads) over the Jupyter comm — in JupyterLab, Notebook 7, VS Code, hosted notebooks and marimo
(``mo.ui.anywidget``).

``liveview`` (the widget: synced state as traits, frames as messages with binary buffers) → ``watch``
(``rs.watch``: the user's own net and loop) and ``playground`` (``rs.Playground``: the whole playground in a
cell). Above ``serve``, whose schema, panels and sessions it uses; the names load anywidget on first use.
"""

from importlib import import_module

__all__ = ["LiveView", "Playground", "Watch", "watch"]
_HOME = {"LiveView": "liveview", "Playground": "playground", "Watch": "watch", "watch": "watch"}


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
