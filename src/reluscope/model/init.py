"""Weight initialisation schemes in the manner of ``torch.nn.init``: in place, ``generator=``, math stated.

``INITS`` is the one registry that maps the names used everywhere (``--init``) to functions
``fn(weight, *, generator=None, **options)``; ``init_model_`` applies a scheme to every ``nn.Linear`` of a
model and sets the biases. ``weight`` has PyTorch's shape ``(fan_out, fan_in)``.

Schemes whose variance depends on the non-linearity (``he*``, ``orthogonal``) take ``activation=`` (and
``negative_slope=`` for leaky ReLU); ``init_model_`` passes the activation that feeds the layer — the one
after the previous Linear — and, for the first layer, the network's own (He et al. 2015 use ``2/n`` in the
first layer too "for simplicity"). ``lsuv`` is data dependent: an orthonormal start, then every layer is
rescaled on a batch until its pre-activations have unit standard deviation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import torch
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.model.layers import Layer, linear_layers, negative_slope

MODES = ("fan_in", "fan_out")


def activation_gain(activation: str = "relu", negative_slope: float = 0.0) -> float:
    """The factor that keeps the second moment through ``activation``: ``E[a(z)²] = E[z²]/gain²``.

    ``√2`` for ReLU, ``√(2/(1+α²))`` for leaky ReLU with slope ``α``, ``5/3`` for tanh, 1 for identity
    (``torch.nn.init.calculate_gain``).
    """
    if activation == "leaky_relu":
        return nn.init.calculate_gain("leaky_relu", negative_slope)
    if activation in ("relu", "tanh", "sigmoid"):
        return nn.init.calculate_gain(activation)
    if activation in ("identity", "linear"):
        return 1.0
    raise ReluscopeError(f"no initialisation gain known for activation {activation!r}")


def _fan(w: torch.Tensor, mode: str) -> int:
    if mode not in MODES:
        raise ReluscopeError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    return w.shape[1] if mode == "fan_in" else w.shape[0]


@torch.no_grad()
def normal_(w: torch.Tensor, *, std: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """``W ~ N(0, std²)``; the sheet's baseline is ``std = 1`` whatever the layer's size."""
    return w.normal_(0.0, std, generator=generator)


@torch.no_grad()
def lecun_normal_(w: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """``W ~ N(0, 1/fan_in)``: keeps ``Var`` constant through *linear* layers (LeCun et al. 1998)."""
    return w.normal_(0.0, 1.0 / math.sqrt(w.shape[1]), generator=generator)


@torch.no_grad()
def xavier_normal_(w: torch.Tensor, *, gain: float = 1.0,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """``W ~ N(0, gain²·2/(fan_in + fan_out))`` (Glorot & Bengio 2010): a compromise of both directions."""
    return nn.init.xavier_normal_(w, gain=gain, generator=generator)


@torch.no_grad()
def xavier_uniform_(w: torch.Tensor, *, gain: float = 1.0,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """``W ~ U(−a, a)``, ``a = gain·√(6/(fan_in + fan_out))``: the same variance as ``xavier_normal_``."""
    return nn.init.xavier_uniform_(w, gain=gain, generator=generator)


@torch.no_grad()
def he_normal_(w: torch.Tensor, *, activation: str = "relu", negative_slope: float = 0.0, mode: str = "fan_in",
               generator: torch.Generator | None = None) -> torch.Tensor:
    """``W ~ N(0, gain²/fan)`` (He et al. 2015), ``gain = √2`` for ReLU: ``Var(W) = 2/n``.

    ``mode="fan_in"`` keeps the forward second moment, ``"fan_out"`` the backward gradient variance.
    """
    std = activation_gain(activation, negative_slope) / math.sqrt(_fan(w, mode))
    return w.normal_(0.0, std, generator=generator)


@torch.no_grad()
def he_uniform_(w: torch.Tensor, *, activation: str = "relu", negative_slope: float = 0.0, mode: str = "fan_in",
                generator: torch.Generator | None = None) -> torch.Tensor:
    """``W ~ U(−a, a)``, ``a = gain·√(3/fan)``: the variance of ``he_normal_``."""
    bound = activation_gain(activation, negative_slope) * math.sqrt(3.0 / _fan(w, mode))
    return w.uniform_(-bound, bound, generator=generator)


@torch.no_grad()
def orthogonal_(w: torch.Tensor, *, activation: str = "identity", negative_slope: float = 0.0,
                gain: float | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """A (semi-)orthogonal ``W`` times ``gain``: ``W Wᵀ = gain²·I`` (or ``Wᵀ W``, whichever is smaller).

    ``gain=None`` takes it from ``activation`` (√2 for ReLU; Saxe et al. 2014). Every singular value is
    ``gain``, so the map neither stretches nor shrinks any direction.
    """
    g = activation_gain(activation, negative_slope) if gain is None else gain
    return nn.init.orthogonal_(w, gain=g, generator=generator)


@torch.no_grad()
def torch_default_(w: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """What ``nn.Linear.reset_parameters`` does: ``W ~ U(−1/√fan_in, 1/√fan_in)``, i.e. Var(W) = 1/(3·fan_in).

    (PyTorch writes it as ``kaiming_uniform_(w, a=√5)``.)
    """
    return nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=generator)


INITS: dict[str, Callable[..., torch.Tensor]] = {
    "normal": normal_,
    "lecun": lecun_normal_,
    "xavier": xavier_normal_,
    "xavier-uniform": xavier_uniform_,
    "he": he_normal_,
    "he-uniform": he_uniform_,
    "he-fan-out": partial(he_normal_, mode="fan_out"),
    "orthogonal": orthogonal_,
    "torch-default": torch_default_,
    "lsuv": partial(orthogonal_, gain=1.0),  # the orthonormal start; init_model_ then rescales on data
}
GAIN_FROM_ACTIVATION = frozenset({"he", "he-uniform", "he-fan-out", "orthogonal"})
DATA_DEPENDENT = frozenset({"lsuv"})


def check_init(name: str) -> None:
    if name not in INITS:
        raise ReluscopeError(f"unknown init {name!r}; choose one of {', '.join(INITS)}")


def feeding_activation(layers: list[Layer], i: int) -> tuple[str, float]:
    """``(kind, negative slope)`` of the activation that feeds layer ``i``; for ``i = 0`` the network's own."""
    source = layers[i - 1] if i > 0 else next((la for la in layers if la.activation is not None), layers[0])
    return source.kind, negative_slope(source) if source.kind == "leaky_relu" else 0.0


@torch.no_grad()
def lsuv_(model: nn.Module, X: torch.Tensor, *, tol: float = 0.05, max_iter: int = 10) -> nn.Module:
    """Layer-sequential unit variance (Mishkin & Matas 2016), in place, first layer to last.

    Each layer's weight and bias are divided by the standard deviation of its pre-activations
    ``z = h W^T + b`` (pooled over the N points and the units) on ``X`` (N, in_dim), which divides ``z``
    itself by it, until ``|std − 1| ≤ tol`` or ``max_iter`` rescalings; the next layer sees the rescaled
    one's output. A layer whose ``z`` is constant (std 0) or non-finite is left as it is.
    """
    h = X
    for layer in linear_layers(model):
        for _ in range(max_iter):
            z = layer.linear(h)  # (N, fan_out)
            std = float(z.std())
            if not math.isfinite(std) or std == 0.0 or abs(std - 1.0) <= tol:
                break
            layer.linear.weight.div_(std)
            if layer.linear.bias is not None:
                layer.linear.bias.div_(std)
        h = layer.act(layer.linear(h))  # (N, fan_out)
    return model


@torch.no_grad()
def init_model_(model: nn.Module, scheme: str, *, generator: torch.Generator | None = None,
                bias: float = 0.0, X: torch.Tensor | None = None, **options) -> nn.Module:
    """Initialise every ``nn.Linear`` of ``model`` in place with ``scheme``; biases set to ``bias``.

    Parameters
    ----------
    scheme
        A name in ``INITS``.
    X
        (N, in_dim) batch for data-dependent schemes (``lsuv``); ``None``: 1024 standard-normal points from
        ``generator`` (reluscope's data are standardised).
    **options
        Passed to the scheme's function (e.g. ``std=0.1`` for ``normal``, ``mode="fan_out"`` for ``he``);
        for ``lsuv`` they are ``tol`` and ``max_iter`` of ``lsuv_``.
    """
    check_init(scheme)
    layers = linear_layers(model)
    weight_options = {} if scheme in DATA_DEPENDENT else options
    for i, layer in enumerate(layers):
        kw = dict(weight_options)
        if scheme in GAIN_FROM_ACTIVATION and "activation" not in kw:
            kw["activation"], kw["negative_slope"] = feeding_activation(layers, i)
        INITS[scheme](layer.linear.weight, generator=generator, **kw)
        if layer.linear.bias is not None:
            layer.linear.bias.fill_(bias)
    if scheme in DATA_DEPENDENT:
        weight = layers[0].linear.weight
        if X is None:
            X = torch.randn(1024, weight.shape[1], generator=generator, dtype=weight.dtype)  # (1024, in_dim)
        lsuv_(model, torch.as_tensor(X, dtype=weight.dtype), **options)
    return model
