"""The network graph's numbers: the weights and biases of the units the page draws one node each.

The graph (``static/draw.js``, ``drawNetwork``) draws a column of at most ``MOST_NODES`` units as nodes, a wider one
as a single bar. For linear layer ``l`` (``z_l = W_l h_{l−1} + b_l``) whose units are nodes, the page gets ``b_l``
``(d_l,)``, and ``W_l`` ``(d_l, d_{l−1})`` when its inputs are nodes too: at most ``MOST_NODES² + MOST_NODES``
float32 numbers a layer, a few KB for the nets the graph draws node by node. They travel with the slow panels
(``session``), so every resting run's graph holds the run's current parameters.
"""

from __future__ import annotations

import torch
from torch import nn

from reluscope.model import linear_layers

MOST_NODES = 16  # units drawn as nodes in one column at most (drawNetwork's `most`)


@torch.no_grad()
def graph_weights(model: nn.Sequential, most: int = MOST_NODES) -> list[dict]:
    """Per linear layer (in order): ``{"b": b_l, "W": W_l}`` as float32 where its units (and, for ``W``, its
    inputs) are drawn as nodes; ``{}`` for a layer drawn as a bar."""
    out = []
    for lay in linear_layers(model):
        linear = lay.linear
        if linear.out_features > most:
            out.append({})
            continue
        entry = {"b": linear.bias.detach().cpu().numpy().astype("<f4")}  # (d_l,)
        if linear.in_features <= most:
            entry["W"] = linear.weight.detach().cpu().numpy().astype("<f4")  # (d_l, d_{l−1})
        out.append(entry)
    return out
