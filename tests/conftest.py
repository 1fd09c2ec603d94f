"""Shared test fixtures: keep torch on one thread so the suite's two workers don't oversubscribe 2 cores."""

import torch

torch.set_num_threads(1)
