"""reluscope: why deep ReLU networks need the right initialisation, and what each layer does to the input plane.

The pipeline, one subpackage a stage: ``data`` → ``model`` (MLP, init) → ``train`` (loop, run directories)
→ ``probe`` (layer statistics, theory) → ``geometry`` (back-projection, decision cells) → ``plots`` →
``studies`` → ``report`` → ``serve`` (the live playground) → ``widget`` (the live view in a notebook:
``watch``, ``Playground``) → ``cli``.

The names below are loaded on first use (``reluscope.TrainConfig`` imports torch then), so ``import reluscope``
and the command line's ``--help`` start without torch, matplotlib, scikit-learn or SciPy.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {  # name -> the module that defines it
    "Playground": "reluscope.widget.playground",
    "ReluscopeError": "reluscope.errors",
    "TrainConfig": "reluscope.train",
    "build_mlp": "reluscope.model",
    "fit": "reluscope.train",
    "init_model_": "reluscope.model",
    "linear_layers": "reluscope.model",
    "load_dataset": "reluscope.data",
    "load_run": "reluscope.train.rundir",
    "train_to_dir": "reluscope.studies.training",
    "watch": "reluscope.widget.watch",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'reluscope' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
