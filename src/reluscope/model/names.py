"""The names the model stage answers to, without loading torch: the command line checks a configuration
with them before it imports the library behind it (a bad ``--init`` fails at once).

``INIT_NAMES`` are the keys of ``reluscope.model.INITS`` in order and ``DRAWS_BIAS`` the schemes that draw
their biases; ``ACTIVATION_NAMES`` are the keys of ``reluscope.model.ACTIVATIONS``
(``tests/test_model.py::test_the_names_are_the_registries_keys``).
"""

from __future__ import annotations

from reluscope.errors import ReluscopeError

ACTIVATION_NAMES = ("relu", "leaky_relu", "tanh", "identity")
INIT_NAMES = ("normal", "lecun", "xavier", "xavier-uniform", "he", "he-uniform", "he-fan-out", "orthogonal",
              "torch-default", "torch-weights", "mean-field", "lsuv")
DRAWS_BIAS = frozenset({"torch-default", "mean-field"})  # the schemes that draw their own biases


def check_activation(name: str) -> str:
    if name not in ACTIVATION_NAMES:
        raise ReluscopeError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATION_NAMES)}")
    return name


def check_init(name: str, bias: float = 0.0) -> str:
    """``name`` if it is a registered scheme; a scheme that draws its biases refuses a constant ``bias ≠ 0``."""
    if name not in INIT_NAMES:
        raise ReluscopeError(f"unknown init {name!r}; choose one of {', '.join(INIT_NAMES)}")
    if name in DRAWS_BIAS and bias != 0.0:
        raise ReluscopeError(f"init {name!r} draws its own biases; a constant bias ({bias}) needs another scheme")
    return name
