"""The offline, self-contained HTML report that answers the whole sheet.

``document`` is what a page is made of (sections, tables, figures, viewers over training steps × layers),
``html`` writes it as one file with everything inlined, ``markup`` turns Markdown with ``$…$`` math into
HTML with MathML, ``figures`` renders matplotlib figures and viewer frames to small PNGs, ``theory``
reads the derivations from ``docs/theory.md``, ``texts`` holds every word in English and German (the glossary
among them) and ``numbers`` writes a number as each language does (``numbers.number``). ``study`` runs the
whole sheet (``config``: what it is asked for and how big) through its stages (``study.stages``) — ``task0``,
``linear`` (Task 1.1, the linear net), ``task1``, ``task2``, ``cells`` and ``meanfield`` (trainability against
mean-field theory), each a ``stage.Stage`` that calls the analysis library and returns its section of the page;
``slice`` chooses the plane that inputs of more than two dimensions are drawn on, and ``pdf`` prints the page
to A4 through headless Chromium.
"""
