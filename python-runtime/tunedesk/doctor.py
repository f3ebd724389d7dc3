"""``python -m tunedesk doctor [--json]``: what this machine's trainer can do.

Fast on purpose: imports torch (to ask what devices it sees) and nothing heavy else — the
other packages are looked up by their installed metadata, never imported.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import platform
import sys
from typing import Any

PACKAGES = ("torch", "transformers", "peft", "accelerate", "safetensors", "deepspeed")


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def torch_devices() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """torch build facts and every device torch can train on (CUDA GPUs, MPS, CPU)."""
    import torch

    info = {
        "version": torch.__version__,
        "cuda_build": torch.version.cuda,
        "cuda_available": torch.cuda.is_available(),
    }
    devices: list[dict[str, Any]] = []
    if info["cuda_available"]:
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            free, total = torch.cuda.mem_get_info(index)
            devices.append(
                {
                    "type": "cuda",
                    "index": index,
                    "name": props.name,
                    "total_gb": round(total / 1024**3, 2),
                    "free_gb": round(free / 1024**3, 2),
                    "capability": f"{props.major}.{props.minor}",
                    "bf16": bool(torch.cuda.is_bf16_supported())
                    if index == torch.cuda.current_device()
                    else props.major >= 8,
                }
            )
    mps = getattr(torch.backends, "mps", None)
    info["mps_available"] = bool(mps and mps.is_available())
    if info["mps_available"]:
        devices.append(
            {"type": "mps", "index": 0, "name": "Apple GPU (MPS)", "total_gb": None, "free_gb": None}
        )
    import psutil

    memory = psutil.virtual_memory()
    devices.append(
        {
            "type": "cpu",
            "index": 0,
            "name": platform.processor() or platform.machine(),
            "total_gb": round(memory.total / 1024**3, 2),
            "free_gb": round(memory.available / 1024**3, 2),
            "cores": psutil.cpu_count(logical=False) or psutil.cpu_count(),
        }
    )
    return info, devices


def engine_report(
    versions: dict[str, str | None], cuda_available: bool, gpu_count: int
) -> dict[str, dict[str, Any]]:
    """Which engines can run here and why; what to install to unlock the rest."""
    missing = [name for name in ("torch", "transformers", "peft", "safetensors") if not versions.get(name)]
    torch_ok = not missing
    engines: dict[str, dict[str, Any]] = {
        "torch": {
            "available": torch_ok,
            "reason": (
                "trains on one device: " + ("CUDA GPU" if cuda_available else "CPU (slow; fine for the demo)")
            )
            if torch_ok
            else f"missing packages: {', '.join(missing)} (run `npm run setup:python`)",
        }
    }
    if not versions.get("deepspeed"):
        reason = "deepspeed is not installed" + (
            " (pip install -r python-runtime/requirements-deepspeed.txt for ZeRO-2/3 and multi-GPU)"
            if cuda_available
            else "; it also needs Linux with an NVIDIA GPU"
        )
        engines["deepspeed"] = {"available": False, "reason": reason}
    elif not cuda_available:
        engines["deepspeed"] = {
            "available": False,
            "reason": "deepspeed is installed but torch sees no CUDA GPU",
        }
    else:
        engines["deepspeed"] = {
            "available": True,
            "reason": f"ZeRO-2/3 with CPU offload on {gpu_count} GPU(s)",
            "gpus": gpu_count,
        }
    return engines


def collect() -> dict[str, Any]:
    versions = package_versions()
    torch_info, devices = torch_devices() if importlib.util.find_spec("torch") else ({"version": None}, [])
    gpus = [d for d in devices if d["type"] == "cuda"]
    return {
        "python": {"version": platform.python_version(), "executable": sys.executable},
        "platform": {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
        },
        "torch": torch_info,
        "cuda": {
            "available": bool(torch_info.get("cuda_available")),
            "version": torch_info.get("cuda_build"),
            "device_count": len(gpus),
        },
        "devices": devices,
        "packages": versions,
        "engines": engine_report(versions, bool(torch_info.get("cuda_available")), len(gpus)),
    }


def render_text(report: dict[str, Any]) -> str:
    lines = [
        f"Python {report['python']['version']} ({report['python']['executable']})",
        f"torch {report['torch'].get('version')}  CUDA build {report['cuda']['version'] or '-'}  "
        f"CUDA available: {'yes' if report['cuda']['available'] else 'no'}",
        "",
        "Devices:",
    ]
    for device in report["devices"]:
        memory = f"{device['free_gb']} of {device['total_gb']} GB free" if device.get("total_gb") else ""
        lines.append(f"  {device['type']}:{device['index']}  {device['name']}  {memory}")
    lines += ["", "Packages:"]
    lines += [f"  {name:<13} {version or 'not installed'}" for name, version in report["packages"].items()]
    lines += ["", "Engines:"]
    for name, engine in report["engines"].items():
        lines.append(f"  {name:<10} {'yes' if engine['available'] else 'no ':<4} {engine['reason']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tunedesk doctor", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object (what the app reads)")
    args = parser.parse_args(argv)
    report = collect()
    print(json.dumps(report, indent=2) if args.json else render_text(report))
    return 0
