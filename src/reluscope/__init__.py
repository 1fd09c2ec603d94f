"""reluscope: why deep ReLU networks need the right initialisation, and what each layer does to the input plane.

The pipeline, one subpackage a stage: ``data`` → ``model`` (MLP, init) → ``train`` (loop, run directories)
→ ``probe`` (layer statistics, theory) → ``geometry`` (back-projection, decision cells) → ``plots`` →
``studies`` → ``report`` → ``cli``.
"""

from reluscope.data import load_dataset
from reluscope.errors import ReluscopeError
from reluscope.model import build_mlp, init_model_, linear_layers
from reluscope.train import TrainConfig, fit
from reluscope.train.artifacts import train_to_dir
from reluscope.train.rundir import load_run

__version__ = "0.1.0"

__all__ = ["ReluscopeError", "TrainConfig", "build_mlp", "fit", "init_model_", "linear_layers", "load_dataset",
           "load_run", "train_to_dir"]
