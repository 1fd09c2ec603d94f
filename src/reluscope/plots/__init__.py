"""Stage 6 of the pipeline: figures. Every function takes ax= (or returns a figure) and never shows."""
