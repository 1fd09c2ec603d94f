"""The offline, self-contained HTML report that answers the whole sheet.

``document`` is what a page is made of (sections, tables, figures, viewers over training steps × layers),
``html`` writes it as one file with everything inlined, ``markup`` turns Markdown with ``$…$`` math into
HTML with MathML, ``figures`` renders matplotlib figures and viewer frames to small PNGs, and ``theory``
reads the derivations from ``docs/theory.md``. ``study`` runs the whole sheet (``config``: what it is asked for
and how big) through its stages — ``task0``, ``task1``, ``task2`` and ``cells``, each a ``stage.Stage`` that
calls the analysis library and returns its section of the page.
"""
