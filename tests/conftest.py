"""Shared test fixtures: keep torch on one thread so the suite's two workers don't oversubscribe 2 cores."""

import matplotlib
import torch

matplotlib.use("Agg")  # tests draw into files only
torch.set_num_threads(1)
