"""Engines run the optimisation: ``torch`` on one device, ``deepspeed`` (ZeRO-2/3) on CUDA GPUs.

``select_engine`` decides which one runs and records why, for run_started.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass


@dataclass(frozen=True)
class EngineChoice:
    name: str  # "torch" or "deepspeed"
    reason: str


def deepspeed_installed() -> bool:
    return importlib.util.find_spec("deepspeed") is not None


def select_engine(
    device: str = "auto", cuda_available: bool | None = None, has_deepspeed: bool | None = None
) -> EngineChoice:
    """DeepSpeed when it imports AND CUDA is available (and no non-CUDA device was asked), else torch."""
    if cuda_available is None:
        import torch

        cuda_available = torch.cuda.is_available()
    if has_deepspeed is None:
        has_deepspeed = deepspeed_installed()
    if device in ("cpu", "mps"):
        return EngineChoice("torch", f"device {device} was requested; DeepSpeed runs on CUDA GPUs only")
    if not has_deepspeed and not cuda_available:
        return EngineChoice("torch", "deepspeed is not installed; CUDA not available")
    if not has_deepspeed:
        return EngineChoice(
            "torch", "deepspeed is not installed (pip install -r python-runtime/requirements-deepspeed.txt)"
        )
    if not cuda_available:
        return EngineChoice("torch", "deepspeed is installed but CUDA is not available")
    return EngineChoice("deepspeed", "deepspeed is installed and CUDA is available")
