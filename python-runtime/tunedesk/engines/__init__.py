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


def deepspeed_import_error() -> str | None:
    """None when deepspeed really imports; else why not (a broken install must not be selected)."""
    try:
        import deepspeed  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - any failure means "cannot use it"
        return f"{type(exc).__name__}: {exc}"
    return None


def select_engine(
    device: str = "auto", cuda_available: bool | None = None, has_deepspeed: bool | None = None
) -> EngineChoice:
    """DeepSpeed when it imports AND CUDA is available (and no non-CUDA device was asked), else torch."""
    if cuda_available is None:
        import torch

        cuda_available = torch.cuda.is_available()
    if device in ("cpu", "mps"):
        return EngineChoice("torch", f"device {device} was requested; DeepSpeed runs on CUDA GPUs only")
    broken = None
    if has_deepspeed is None:
        has_deepspeed = deepspeed_installed()
        if has_deepspeed and cuda_available:
            broken = deepspeed_import_error()  # importing costs seconds: only when it could be chosen
    if not has_deepspeed and not cuda_available:
        return EngineChoice("torch", "deepspeed is not installed; CUDA not available")
    if not has_deepspeed:
        return EngineChoice(
            "torch", "deepspeed is not installed (pip install -r python-runtime/requirements-deepspeed.txt)"
        )
    if not cuda_available:
        return EngineChoice("torch", "deepspeed is installed but CUDA is not available")
    if broken:
        return EngineChoice("torch", f"deepspeed is installed but does not import ({broken})")
    return EngineChoice("deepspeed", "deepspeed is installed and CUDA is available")
