"""A model's parameters as files a reader can take away: JSON (one nested list per tensor) and PyTorch's own
state-dict format (``torch.load(..., weights_only=True)`` reads it back)."""

from __future__ import annotations

import io
import json
import math

import torch
from torch import nn

FORMATS = ("json", "pt")


def weights_json(model: nn.Module) -> str:
    """``{"state_dict": {name: nested list}}`` in the state dict's order; a value that is not finite (a diverged
    run) is ``null``. Floats print as Python's shortest round-trip ``repr``, so ``float32`` values read back
    exactly."""
    def finite(v):
        return [finite(x) for x in v] if isinstance(v, list) else v if math.isfinite(v) else None

    state = {name: finite(t.detach().cpu().double().tolist()) for name, t in model.state_dict().items()}
    return json.dumps({"state_dict": state}, allow_nan=False, separators=(",", ":"))


def state_dict_bytes(model: nn.Module) -> bytes:
    """The model's state dict as ``torch.save`` writes it, on the CPU."""
    buffer = io.BytesIO()
    torch.save({name: t.detach().cpu().clone() for name, t in model.state_dict().items()}, buffer)
    return buffer.getvalue()


def export_weights(model: nn.Module, fmt: str) -> bytes:
    """The model's parameters as the bytes of a ``fmt`` file (``FORMATS``)."""
    return weights_json(model).encode() if fmt == "json" else state_dict_bytes(model)
