"""The live playground (``reluscope serve``): a local web page on which every layer answers while the network
trains. The server trains and measures with the library; the page (plain JS and canvas, in ``static/``) only
draws. The top of the pipeline, beside ``cli``: it may import every stage, and only ``cli.serve`` imports it.

``settings`` (what a run is) → ``scene`` (what stays fixed in a run) → ``panels`` (the views of one step) →
``trainer`` (the run's thread) → ``session`` (one page) → ``app`` (the server); ``messages`` is the wire
format, ``upload`` and ``saving`` the two ways files cross it.
"""

from reluscope.serve.app import ServeConfig, create_app, running, serve

__all__ = ["ServeConfig", "create_app", "running", "serve"]
