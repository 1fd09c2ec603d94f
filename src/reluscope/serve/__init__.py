"""The live playground (``reluscope serve``): a local web page on which every layer answers while the network
trains. The server trains and measures with the library; the page (plain JS and canvas, in ``static/``) only
draws. The top of the pipeline, beside ``cli``: it may import every stage, and only ``cli.serve`` imports it.

``settings`` (what a run is) → ``scene`` (what stays fixed in a run) → ``panels`` (the views of one step) →
``trainer`` (the run's thread) → ``session`` (one page) → ``app`` (the server); ``messages`` is the wire
format, ``upload`` and ``saving`` the two ways files cross it. ``config`` (``ServeConfig``) imports without
them; the server's names load starlette, uvicorn and torch on first use (PEP 562).
"""

from importlib import import_module

from reluscope.serve.config import ServeConfig

__all__ = ["ServeConfig", "create_app", "running", "serve"]


def __getattr__(name: str):
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.app"), name)
