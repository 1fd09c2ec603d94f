"""Shared test settings: torch on one thread (the suite's two workers share 2 cores), figures drawn with Agg, and
hypothesis derandomized, so CI runs the same examples every time (a property failure is reproducible, never flaky)."""

import os

import matplotlib
import torch
from hypothesis import settings

settings.register_profile("reluscope", derandomize=True, deadline=None)
settings.register_profile("explore", max_examples=300, deadline=None)  # HYPOTHESIS_PROFILE=explore: new examples
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "reluscope"))

matplotlib.use("Agg")  # tests draw into files only
torch.set_num_threads(1)
