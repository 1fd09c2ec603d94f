"""Stage 2 of the pipeline: the MLP, its initialisation, and how any Sequential is read layer by layer.

The names below load torch on first use (PEP 562), so ``reluscope.model.names`` — what a configuration is
checked against — imports without it.
"""

from importlib import import_module

_HOMES = {"INITS": "init", "init_model_": "init", "Layer": "layers", "finite_parameters": "layers",
          "forward_layers": "layers", "linear_layers": "layers", "ACTIVATIONS": "mlp", "build_mlp": "mlp",
          "predict": "mlp"}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
