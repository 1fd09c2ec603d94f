"""The offline, self-contained HTML report that answers the whole sheet.

``document`` is what a page is made of (sections, tables, figures, viewers over training steps × layers),
``html`` writes it as one file with everything inlined, ``markup`` turns Markdown with ``$…$`` math into
HTML with MathML, ``figures`` renders matplotlib figures and viewer frames to small PNGs, ``theory``
reads the derivations from ``docs/theory.md``, ``texts`` holds every word in English and German (with the
glossary, ``texts.glossary``) and ``numbers`` writes a number as each language does (``numbers.number``). ``study`` runs the whole sheet (``config``: what it is asked for
and how big) through its stages — ``task0``, ``task1``, ``task2`` and ``cells``, each a ``stage.Stage`` that
calls the analysis library and returns its section of the page.
"""
