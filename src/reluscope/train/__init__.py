"""Stage 3 of the pipeline: training, and the run directory that keeps what a run produced."""

from reluscope.train.config import TrainConfig
from reluscope.train.loop import TrainResult, fit, train_model

__all__ = ["TrainConfig", "TrainResult", "fit", "train_model"]
