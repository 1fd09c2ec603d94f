"""Stage 3 of the pipeline: training, and the run directory that keeps what a run produced.

``TrainConfig`` imports without torch (a configuration is checked before the library loads); the training
loop's names load it on first use (PEP 562).
"""

from importlib import import_module

from reluscope.train.config import TrainConfig

_HOMES = {"TrainResult": "loop", "fit": "loop", "train_model": "loop"}
__all__ = ["TrainConfig", *_HOMES]


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
