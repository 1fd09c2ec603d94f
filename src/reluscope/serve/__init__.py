"""The live playground (``reluscope serve``): a local web page on which every layer answers while the network
trains. The server trains and measures with the library; the page only draws. Its drawing and controls are one
ES module with anywidget's interface (``static/``, joined by ``bundle``), which the notebook widget
(``reluscope.widget``) runs as well. Near the top of the pipeline: ``cli.serve`` and ``widget`` import it.

``settings`` (what a run is) → ``scene`` (what stays fixed in a run) → ``panels`` (the views of one step) →
``trainer`` (the run's thread; ``slots``, the cores its steps and the pages' drawing take in turn) → ``session``
(one live view) → ``app`` (the server); ``messages`` is the schema
both hosts speak, ``codec`` how arrays travel in it (binary buffers), ``upload`` and ``saving`` the two ways
files cross it. ``config`` (``ServeConfig``) imports without
them; the server's names load starlette, uvicorn and torch on first use (PEP 562).
"""

from importlib import import_module

from reluscope.serve.config import ServeConfig

__all__ = ["ServeConfig", "create_app", "running", "serve"]


def __getattr__(name: str):
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.app"), name)
