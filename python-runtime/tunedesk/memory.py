"""Measured memory for metrics events: GPU allocator counters, or the process's resident set on CPU.

Reading these counters does not synchronise the GPU, so sampling at every log step is free.
"""

from __future__ import annotations

import os
import sys

GB = 1024**3


def _peak_rss_bytes() -> int | None:
    try:
        import resource
    except ImportError:  # Windows: psutil reports the peak working set instead
        import psutil

        return getattr(psutil.Process().memory_info(), "peak_wset", None)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS reports bytes, Linux KiB


class MemoryMeter:
    def __init__(self, device_type: str):
        self.device_type = device_type
        import psutil

        self._process = psutil.Process(os.getpid())

    def sample(self) -> dict[str, float]:
        """mem_gb / mem_peak_gb: allocated and peak allocated on CUDA, RSS and peak RSS otherwise."""
        if self.device_type == "cuda":
            import torch

            return {
                "mem_gb": round(torch.cuda.memory_allocated() / GB, 4),
                "mem_peak_gb": round(torch.cuda.max_memory_allocated() / GB, 4),
                "mem_reserved_gb": round(torch.cuda.memory_reserved() / GB, 4),
                "mem_peak_reserved_gb": round(torch.cuda.max_memory_reserved() / GB, 4),
            }
        rss = self._process.memory_info().rss
        peak = _peak_rss_bytes() or rss
        return {"mem_gb": round(rss / GB, 4), "mem_peak_gb": round(max(peak, rss) / GB, 4)}
