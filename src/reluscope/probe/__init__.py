"""Stage 4 of the pipeline: per-layer statistics of a network, and the theory they are set against."""
