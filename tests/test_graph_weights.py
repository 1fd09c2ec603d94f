"""The network graph's numbers: each layer drawn node by node gets its biases and, where its inputs are nodes too,
its weights, exactly the model's (as float32); a layer drawn as a bar gets nothing."""

import numpy as np
import torch

from reluscope.model import linear_layers
from reluscope.serve.graph import MOST_NODES, graph_weights
from reluscope.train.loop import build_model
from reluscope.train.config import TrainConfig


def test_the_graph_gets_the_parameters_of_the_nodes_it_draws():
    widths = [4, MOST_NODES + 1, 3]  # hidden layers: nodes, a bar, nodes
    model = build_model(TrainConfig(widths=widths), 2, torch.Generator().manual_seed(0))
    got = graph_weights(model)
    layers = [lay.linear for lay in linear_layers(model)]  # 2 -> 4 -> 17 -> 3 -> 2
    assert [sorted(g) for g in got] == [["W", "b"], [], ["b"], ["W", "b"]]
    for g, linear in zip(got, layers):
        for key, param in (("W", linear.weight), ("b", linear.bias)):
            if key in g:
                assert g[key].dtype == np.float32 and np.array_equal(g[key], param.detach().numpy())
