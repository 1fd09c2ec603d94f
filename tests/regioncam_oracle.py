"""Regioncam (a Rust planar-graph partition of the plane, float32) as the oracle of the exact cells' counts;
shared by tests/test_regioncam.py and benchmarks/cells.py."""

import numpy as np
import regioncam
from torch import nn

from reluscope.geometry.patterns import piecewise_linear_net, splits
from reluscope.model.layers import Layer


def affine64(layer: Layer) -> tuple[np.ndarray, np.ndarray]:
    """The layer's ``W`` (fan_in, fan_out) and ``b`` (fan_out,) in float64, so that ``z = x W + b``."""
    W = layer.linear.weight.detach().double().numpy().T  # (fan_in, fan_out)
    b = layer.linear.bias
    b = np.zeros(W.shape[1]) if b is None else b.detach().double().numpy()  # (fan_out,)
    return W, b


def regioncam_counts(model: nn.Module, box) -> list[int]:
    """Regions after each linear layer by Regioncam: its square [−1, 1]² mapped onto ``box`` by a first affine
    layer, then the net's layers (float32, as Regioncam takes them)."""
    x0, x1, y0, y1 = box
    rc = regioncam.Regioncam(size=1.0)
    rc.linear(np.diag([(x1 - x0) / 2, (y1 - y0) / 2]).astype(np.float32),
              np.array([(x0 + x1) / 2, (y0 + y1) / 2], dtype=np.float32))
    counts = []
    for layer in piecewise_linear_net(model)[0]:
        W, b = affine64(layer)
        rc.linear(W.astype(np.float32), b.astype(np.float32))
        if splits(layer):
            if layer.kind == "relu":
                rc.relu()
            else:
                rc.leaky_relu(float(layer.activation.negative_slope))
        counts.append(rc.num_faces)
    return counts
