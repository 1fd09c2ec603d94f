"""Ensemble training against a loop over networks, and its GFLOP/s against this machine's matmul.

K MLPs (default 64, depth 11, width 32) trained full batch on 1000 points, three ways, in one run:

* loop      — ``train_model`` once per network (what K calls of ``reluscope train`` do, minus the I/O);
* ensemble  — ``reluscope.train.ensemble.train_ensemble`` (stacked parameters, one ``torch.baddbmm`` per layer);
* and the bare training step batched two ways: ``StackedMLP`` (baddbmm, what train_ensemble uses) against
  ``torch.func`` (``stack_module_state`` + ``vmap(functional_call)``), best of 15 steps each.

Achieved GFLOP/s counts the matmul work of a step (forward 2·n·Σ in·out, backward twice that minus the
first layer's input gradient) and is set against ``torch.mm`` on two square float32 matrices (1024² on the CPU,
8192² on a GPU).

Run::

    .venv/bin/python benchmarks/ensemble.py [--members 64] [--steps 30] [--threads 1] [--device cuda]

On a GPU (``--device cuda``) the loop pays a kernel launch per op and network while the ensemble pays one per op.

Each time is the best of 3 runs (2 for the loop), whole trainings (init, evaluation, divergence checks).
"""

from __future__ import annotations

import argparse
import copy
import time
from collections.abc import Callable
from dataclasses import replace

import torch
from torch import nn
from torch.func import functional_call, stack_module_state

from reluscope.data import load_dataset
from reluscope.train import TrainConfig, train_model
from reluscope.train.ensemble import Member, StackedMLP, init_member, train_ensemble


DEVICE = "cpu"


def sync() -> None:
    if DEVICE.startswith("cuda"):
        torch.cuda.synchronize()


def best_of(fn, repeats: int = 3) -> float:
    """The fastest of ``repeats`` wall times of ``fn()`` in seconds (GPU work finished included)."""
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_gflops(n: int = 1024, reps: int = 20) -> float:
    n = n if DEVICE == "cpu" else 8192  # a GPU needs a large matmul to reach its peak
    a, b = torch.randn(n, n, device=DEVICE), torch.randn(n, n, device=DEVICE)
    a @ b  # warm up
    return 2 * n ** 3 * reps / best_of(lambda: [a @ b for _ in range(reps)]) / 1e9


def step_flops(cfg: TrainConfig, n_points: int, n_classes: int) -> float:
    dims = [2] + [cfg.width] * (cfg.depth - 1) + [n_classes]
    macs = sum(a * b for a, b in zip(dims[:-1], dims[1:]))
    return 2 * n_points * (3 * macs - dims[0] * dims[1])


def bare_steps(models: list[nn.Sequential], data, cfg: TrainConfig) -> dict[str, Callable[[], None]]:
    """One full-batch SGD step of all members, batched two ways (no evaluation or divergence bookkeeping)."""
    X, y, _, _ = data.tensors(DEVICE)  # (n, 2), (n,)
    models = [m.to(DEVICE) for m in models]
    net = StackedMLP(models)
    opt = torch.optim.SGD(net.parameters(), lr=cfg.lr, momentum=cfg.momentum)

    def baddbmm_step():
        logits = net(X)  # (K, n, c)
        loss = nn.functional.cross_entropy(logits.transpose(1, 2), y.expand(len(net), -1), reduction="none")
        opt.zero_grad(set_to_none=True)
        loss.mean(1).sum().backward()
        opt.step()

    params, buffers = stack_module_state(models)
    template = copy.deepcopy(models[0]).to("meta")
    batched_loss = torch.vmap(lambda p, b: nn.functional.cross_entropy(functional_call(template, (p, b), (X,)), y))
    opt_func = torch.optim.SGD(params.values(), lr=cfg.lr, momentum=cfg.momentum)

    def func_step():
        opt_func.zero_grad(set_to_none=True)
        batched_loss(params, buffers).sum().backward()
        opt_func.step()

    return {"baddbmm": baddbmm_step, "torch.func vmap": func_step}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=64)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--depth", type=int, default=11)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--points", type=int, default=1000, help="training points")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: the machine is shared)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    global DEVICE
    DEVICE = args.device

    data = load_dataset("moons", round(args.points / 0.75), random_state=0)  # 25 % go to the test split
    n = len(data.y_train)
    cfg = TrainConfig(dataset="moons", depth=args.depth, width=args.width, steps=args.steps,
                      eval_every=args.steps)
    configs = [replace(cfg, seed=s) for s in range(args.members)]
    flops = step_flops(cfg, n, data.n_classes) * args.members * args.steps

    def loop():
        for c in configs:
            model, gen = init_member(Member(c), data.n_classes)
            train_model(model, data, c, generator=gen, device=DEVICE)

    if DEVICE != "cpu":
        train_ensemble(configs[:2], data, device=DEVICE)  # warm up the GPU's kernels
    t_loop = best_of(loop, repeats=2)
    t_ens = best_of(lambda: train_ensemble(configs, data, device=DEVICE))
    steps = bare_steps([init_member(Member(c), data.n_classes)[0] for c in configs], data, cfg)
    t_step = {name: float("inf") for name in steps}
    for _ in range(3):  # interleaved, so a busy moment of a shared machine hits both
        for name, fn in steps.items():
            t_step[name] = min(t_step[name], best_of(fn, repeats=5))
    peak = matmul_gflops()

    print(f"K = {args.members} MLPs, depth {args.depth}, width {args.width}, {n} points, {args.steps} full-batch "
          f"SGD steps, {torch.get_num_threads()} thread(s), torch {torch.__version__}, device {DEVICE}")
    print(f"matmul (square, float32):         {peak:7.1f} GFLOP/s")
    for name, t in (("loop over networks (train_model)", t_loop), ("train_ensemble", t_ens)):
        print(f"{name:33s} {t:7.2f} s = {t / (args.members * args.steps) * 1e3:6.3f} ms per net-step, "
              f"{flops / t / 1e9:6.1f} GFLOP/s = {flops / t / 1e9 / peak:5.1%} of matmul")
    print(f"speed-up of train_ensemble over the loop: {t_loop / t_ens:.2f}x")
    step_flops_all = flops / args.steps
    for name, t in t_step.items():
        print(f"bare step, {name:22s} {t * 1e3:7.1f} ms = {step_flops_all / t / 1e9:6.1f} GFLOP/s")


if __name__ == "__main__":
    main()
