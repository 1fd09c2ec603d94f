"""Initialisation schemes in the manner of ``torch.nn.init``: in place, return the tensor, ``generator=``, math stated.

The weight functions (``normal_``, ``he_normal_``, …) act on a weight of PyTorch's shape ``(fan_out, fan_in)``.
``INITS`` is the one registry of the schemes (``--init``): each name of ``names.INIT_NAMES`` maps to one
``Scheme`` record — the function that initialises one ``nn.Linear`` (weight and, where the scheme says how, bias),
whether its variance follows the activation, and whether it needs data. ``init_model_`` applies a scheme to
every ``nn.Linear`` of a model, first layer to last.

Schemes whose variance depends on the non-linearity (``he*``, ``orthogonal``) take ``activation=`` (and
``negative_slope=`` for leaky ReLU); ``init_model_`` passes the activation that feeds the layer — the one
after the previous Linear — and, for the first layer, the network's own (He et al. 2015 use ``2/n`` in the
first layer too "for simplicity"). ``torch-default`` and ``mean-field`` draw their biases
(``names.DRAWS_BIAS``); every other scheme sets them to a constant. ``lsuv`` is data dependent (``lsuv_``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import torch
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.model.layers import Layer, linear_layers, negative_slope
from reluscope.model.names import DRAWS_BIAS, check_init

MODES = ("fan_in", "fan_out")


def activation_gain(activation: str = "relu", negative_slope: float = 0.0) -> float:
    """``torch.nn.init.calculate_gain``: ``√2`` for ReLU, ``√(2/(1+α²))`` for leaky ReLU, 5/3 for tanh, 1 for
    identity.

    For the piecewise-linear activations ``E[a(z)²] = E[z²]/gain²`` holds exactly for every symmetric ``z``
    (``a(z)² = z²`` on one half-line, ``α²z²`` on the other), so ``Var(W) = gain²/fan_in`` keeps the second
    moment. For tanh no constant does: ``E[tanh(z)²]/E[z²]`` falls with the scale of ``z`` (0.39 at
    ``E[z²] = 1``, 0.98 at ``E[z²] = 0.01``), and 5/3 is PyTorch's recommended value, not that ratio.
    """
    if activation == "leaky_relu":
        return nn.init.calculate_gain("leaky_relu", negative_slope)
    if activation in ("relu", "tanh", "sigmoid"):
        return nn.init.calculate_gain(activation)
    if activation in ("identity", "linear"):
        return 1.0
    plain = ", ".join(name for name, scheme in INITS.items() if not scheme.gain_from_activation)
    raise ReluscopeError(f"no initialisation gain known for activation {activation!r}; choose a scheme whose "
                         f"variance does not follow the activation: {plain}")


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
    """A (semi-)orthogonal ``W`` (fan_out, fan_in) times ``gain``: ``W Wᵀ = gain²·I`` when fan_out ≤ fan_in
    (orthonormal rows), ``Wᵀ W = gain²·I`` when fan_out ≥ fan_in (orthonormal columns); only a square ``W``
    has both.

    ``gain=None`` takes it from ``activation`` (√2 for ReLU; Saxe et al. 2014). All ``min(fan_in, fan_out)``
    singular values equal ``gain``: a widening layer stretches no direction by more or less than ``gain``; a
    narrowing one also maps the ``fan_in − fan_out`` directions of its null space to 0.
    ``Var(W) = gain²/max(fan_in, fan_out)``. A float16 or bfloat16 ``W`` (no QR in half precision) is drawn in
    float32 and rounded into its dtype.
    """
    g = activation_gain(activation, negative_slope) if gain is None else gain
    if w.dtype in (torch.float16, torch.bfloat16):
        return w.copy_(nn.init.orthogonal_(torch.empty_like(w, dtype=torch.float32), gain=g, generator=generator))
    return nn.init.orthogonal_(w, gain=g, generator=generator)


@torch.no_grad()
def torch_default_weight_(w: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """``W ~ U(−1/√fan_in, 1/√fan_in)``, ``Var(W) = 1/(3·fan_in)``: the weight of ``nn.Linear.reset_parameters``
    (PyTorch writes it as ``kaiming_uniform_(w, a=√5)``)."""
    return nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=generator)


@torch.no_grad()
def torch_default_(linear: nn.Linear, *, generator: torch.Generator | None = None) -> nn.Linear:
    """What ``nn.Linear.reset_parameters`` does, drawn from ``generator``: the weight as
    ``torch_default_weight_``, then the bias ``b ~ U(−1/√fan_in, 1/√fan_in)``, ``Var(b) = 1/(3·fan_in)``.

    With ReLU and width ``n`` a hidden layer maps ``q ↦ n·Var(W)·q/2 + Var(b) = q/6 + 1/(3n)``: the variance
    does not vanish with depth but settles at ``q* = (1/(3n))/(5/6) = 2/(5n)`` (0.0125 at n = 32).
    """
    torch_default_weight_(linear.weight, generator=generator)
    if linear.bias is not None:
        bound = 1.0 / math.sqrt(linear.weight.shape[1])
        linear.bias.uniform_(-bound, bound, generator=generator)
    return linear


@torch.no_grad()
def mean_field_(linear: nn.Linear, *, sigma_w2: float = 2.0, sigma_b2: float = 0.0,
                generator: torch.Generator | None = None) -> nn.Linear:
    """The mean-field network of ``probe.meanfield``: ``W ~ N(0, σ_w²/fan_in)``, then ``b ~ N(0, σ_b²)``
    (σ_b² = 0: zero biases, nothing drawn). ``σ_w² = 2``, ``σ_b² = 0`` is He init."""
    if not (sigma_w2 > 0 and sigma_b2 >= 0 and math.isfinite(sigma_w2) and math.isfinite(sigma_b2)):
        raise ReluscopeError(f"need σ_w² > 0 and σ_b² ≥ 0, got {sigma_w2}, {sigma_b2}")
    linear.weight.normal_(0.0, math.sqrt(sigma_w2 / linear.weight.shape[1]), generator=generator)
    if linear.bias is not None:
        if sigma_b2 > 0:
            linear.bias.normal_(0.0, math.sqrt(sigma_b2), generator=generator)
        else:
            linear.bias.zero_()
    return linear


@torch.no_grad()
def lsuv_(linear: nn.Linear, h: torch.Tensor, *, bias: float = 0.0, tol: float = 0.05, max_iter: int = 10,
          generator: torch.Generator | None = None) -> nn.Linear:
    """Layer-sequential unit variance (Mishkin & Matas 2016) for one layer given its input ``h`` (N, fan_in).

    An orthonormal weight (``orthogonal_`` with gain 1) and the constant ``bias`` (0 in the paper); then ``W``
    is divided by the standard deviation of ``z = h Wᵀ + b`` (pooled over the N points and the units; a
    constant bias does not change it) until ``|std − 1| ≤ tol`` or
    ``max_iter`` rescalings, so the layer's output has unit variance on the batch. ``z`` constant (std 0) or
    non-finite: left as it is. ``init_model_`` runs it first layer to last, each on the previous one's output.
    """
    orthogonal_(linear.weight, gain=1.0, generator=generator)
    if linear.bias is not None:
        linear.bias.fill_(bias)
    for _ in range(max_iter):
        std = float(linear(h).std())  # over (N, fan_out)
        if not math.isfinite(std) or std == 0.0 or abs(std - 1.0) <= tol:
            break
        linear.weight.div_(std)
    return linear


def _with_constant_bias(weight_: Callable[..., torch.Tensor]) -> Callable[..., nn.Linear]:
    """A layer initialiser from a weight initialiser: ``weight_`` draws ``W``, the bias is the constant ``bias``."""
    @torch.no_grad()
    def init_(linear: nn.Linear, *, bias: float = 0.0, generator: torch.Generator | None = None,
              **options) -> nn.Linear:
        weight_(linear.weight, generator=generator, **options)
        if linear.bias is not None:
            linear.bias.fill_(bias)
        return linear
    init_.__doc__ = f"{getattr(weight_, 'func', weight_).__doc__}\n\nThe bias is set to the constant ``bias``."
    return init_


@dataclass(frozen=True)
class Scheme:
    """One initialisation scheme: how it draws a layer and what it needs to know."""

    init_: Callable[..., nn.Linear]  # init_(linear, *, generator=None, **options): weight and bias in place
    gain_from_activation: bool = False  # takes activation=, negative_slope= of the activation feeding the layer
    data_dependent: bool = False  # takes h=, the layer's input on a batch (N, fan_in)


INITS: dict[str, Scheme] = {
    "normal": Scheme(_with_constant_bias(normal_)),
    "lecun": Scheme(_with_constant_bias(lecun_normal_)),
    "xavier": Scheme(_with_constant_bias(xavier_normal_)),
    "xavier-uniform": Scheme(_with_constant_bias(xavier_uniform_)),
    "he": Scheme(_with_constant_bias(he_normal_), gain_from_activation=True),
    "he-uniform": Scheme(_with_constant_bias(he_uniform_), gain_from_activation=True),
    "he-fan-out": Scheme(_with_constant_bias(partial(he_normal_, mode="fan_out")), gain_from_activation=True),
    "orthogonal": Scheme(_with_constant_bias(orthogonal_), gain_from_activation=True),
    "torch-default": Scheme(torch_default_),
    "torch-weights": Scheme(_with_constant_bias(torch_default_weight_)),  # PyTorch's weights, constant biases
    "mean-field": Scheme(mean_field_),
    "lsuv": Scheme(lsuv_, data_dependent=True),
}


def feeding_activation(layers: list[Layer], i: int) -> tuple[str, float]:
    """``(kind, negative slope)`` of the activation that feeds layer ``i``; for ``i = 0`` the network's own."""
    source = layers[i - 1] if i > 0 else next((la for la in layers if la.activation is not None), layers[0])
    return source.kind, negative_slope(source) if source.kind == "leaky_relu" else 0.0


@torch.no_grad()
def init_model_(model: nn.Module, scheme: str, *, generator: torch.Generator | None = None,
                bias: float = 0.0, X: torch.Tensor | None = None, **options) -> nn.Module:
    """Initialise every ``nn.Linear`` of ``model`` in place with ``scheme``, first layer to last.

    Parameters
    ----------
    scheme
        A name in ``INITS``.
    bias
        The constant bias of schemes that do not draw theirs (``torch-default`` and ``mean-field`` do).
    X
        (N, in_dim) batch for data-dependent schemes (``lsuv``); ``None``: 1024 standard-normal points from
        ``generator`` (reluscope's data are standardised), drawn before the weights.
    **options
        Passed to the scheme's function (e.g. ``std=0.1`` for ``normal``, ``mode="fan_out"`` for ``he``,
        ``sigma_w2=``/``sigma_b2=`` for ``mean-field``, ``tol``/``max_iter`` for ``lsuv``).
    """
    spec = INITS[check_init(scheme, bias)]
    layers = linear_layers(model)
    h = None
    if spec.data_dependent:
        weight = layers[0].linear.weight
        if X is None:
            X = torch.randn(1024, weight.shape[1], generator=generator, dtype=weight.dtype)  # (1024, in_dim)
        h = torch.as_tensor(X, dtype=weight.dtype)  # (N, in_dim)
    for i, layer in enumerate(layers):
        kw = dict(options)
        if spec.gain_from_activation and "activation" not in kw:
            kw["activation"], kw["negative_slope"] = feeding_activation(layers, i)
        if scheme not in DRAWS_BIAS:
            kw["bias"] = bias
        if spec.data_dependent:
            kw["h"] = h
        spec.init_(layer.linear, generator=generator, **kw)
        if spec.data_dependent:
            h = layer.act(layer.linear(h))  # (N, fan_out)
    return model
