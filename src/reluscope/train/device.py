"""Where training runs: a torch device name checked once, with a one-line error when it is not there."""

from __future__ import annotations

import torch

from reluscope.errors import ReluscopeError

_AVAILABLE = {"cuda": torch.cuda.is_available, "mps": torch.backends.mps.is_available}


def check_device(device: str | torch.device) -> torch.device:
    """``torch.device(device)`` if this machine has it; else ``ReluscopeError`` naming it."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ReluscopeError(f"unknown device {device!r}; use cpu, cuda, cuda:N or mps") from None
    if dev.type != "cpu" and not _AVAILABLE.get(dev.type, lambda: False)():
        raise ReluscopeError(f"device {device!r} is not available on this machine (torch {torch.__version__})")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ReluscopeError(f"device {device!r} is not available: {torch.cuda.device_count()} CUDA device(s)")
    return dev
