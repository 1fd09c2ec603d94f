"""Stage 5 of the pipeline: the geometry of the input plane: back-projection and decision cells (float64)."""
