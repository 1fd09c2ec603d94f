"""Stage 2 of the pipeline: the MLP, its initialisation, and how any Sequential is read layer by layer."""

from reluscope.model.init import INITS, init_model_
from reluscope.model.layers import Layer, forward_layers, linear_layers
from reluscope.model.mlp import ACTIVATIONS, build_mlp, predict

__all__ = ["ACTIVATIONS", "INITS", "Layer", "build_mlp", "forward_layers", "init_model_", "linear_layers", "predict"]
