"""DeepSpeed configuration and launcher commands: pure functions, testable without DeepSpeed or GPUs."""

from __future__ import annotations

import copy
import json
import os
from typing import Any

from tunedesk.config import TrainConfig
from tunedesk.errors import ConfigError

RESOURCES = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
    "resources",
    "deepspeed",
)
BUNDLED = {"zero2": "zero2.json", "zero3": "zero3.json", "zero3_offload": "zero3_offload.json"}
# The original ChatGLM-Finetuning file names, so their command lines keep working.
ORIGINAL_NAMES = {
    "ds_zero2_no_offload.json": "zero2",
    "ds_zero2.json": "zero2",
    "ds_zero3_no_offload.json": "zero3",
    "ds_zero3_offload.json": "zero3_offload",
}
BETAS = (0.9, 0.95)  # as the original scripts
EPS = 1e-8


def resolve_ds_file(ds_file: str | None, resources: str = RESOURCES) -> str:
    """An existing file as given; else a bundled name (zero2, zero3, zero3_offload) or an original one."""
    if not ds_file:
        return os.path.join(resources, BUNDLED["zero2"])
    if os.path.isfile(ds_file):
        return ds_file
    name = os.path.basename(ds_file)
    key = ORIGINAL_NAMES.get(name) or (name[:-5] if name.endswith(".json") else name)
    if key in BUNDLED:
        return os.path.join(resources, BUNDLED[key])
    raise ConfigError(
        f"ds_file: {ds_file} does not exist and is not a bundled config",
        "Use zero2, zero3 or zero3_offload (or the original ds_zero*_offload.json names), or a path to your own file.",
    )


def _fill(section: dict[str, Any], values: dict[str, Any]) -> None:
    """Replace "auto" (or missing) keys with our values; explicit user values stay."""
    for key, value in values.items():
        if section.get(key, "auto") == "auto":
            section[key] = value


def build_ds_config(config: TrainConfig, world_size: int, base: dict[str, Any]) -> dict[str, Any]:
    """The DeepSpeed config for this run. weight_decay is honoured (the originals forced 0.1)."""
    ds = copy.deepcopy(base)
    micro, accum = config.per_device_train_batch_size, config.gradient_accumulation_steps
    ds["train_micro_batch_size_per_gpu"] = micro
    ds["gradient_accumulation_steps"] = accum
    ds["train_batch_size"] = micro * accum * world_size
    ds["gradient_clipping"] = config.max_grad_norm
    ds["steps_per_print"] = 10**9  # our own metrics events report progress
    ds.setdefault("bf16", {})["enabled"] = bool(config.bf16)
    ds.setdefault("fp16", {})["enabled"] = bool(config.fp16)
    optimizer = ds.setdefault("optimizer", {"type": "AdamW", "params": {}})
    _fill(
        optimizer.setdefault("params", {}),
        {"lr": config.learning_rate, "betas": list(BETAS), "eps": EPS, "weight_decay": config.weight_decay},
    )
    # Our warm-up-then-decay schedule is passed to deepspeed.initialize, identical to the torch engine's.
    ds.pop("scheduler", None)
    for key, value in list(ds.items()):
        if value == "auto":
            raise ConfigError(
                f'ds_file: {key} is "auto" and TuneDesk has no value for it',
                "Set it in the DeepSpeed config.",
            )
    return ds


def load_ds_config(config: TrainConfig, world_size: int) -> dict[str, Any]:
    path = resolve_ds_file(config.ds_file)
    try:
        with open(path, encoding="utf-8") as handle:
            base = json.load(handle)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}:{exc.lineno}: invalid JSON ({exc.msg})", "Fix the DeepSpeed config file."
        ) from exc
    return build_ds_config(config, world_size, base)


def zero_stage(ds_config: dict[str, Any]) -> int:
    return int(ds_config.get("zero_optimization", {}).get("stage", 0))


def launcher_command(
    train_argv: list[str],
    gpus: list[int] | None = None,
    master_port: int = 29500,
    hostfile: str | None = None,
    master_addr: str | None = None,
    num_nodes: int | None = None,
) -> list[str]:
    """The `deepspeed` launcher command line for a multi-GPU (one node) or multi-node run.

    ``--module`` runs `python -m tunedesk`; ``--no_local_rank`` because our dispatcher takes the
    command first (the rank arrives in the LOCAL_RANK environment variable instead).
    """
    command = ["deepspeed"]
    if hostfile:
        command += ["--hostfile", hostfile]
        if num_nodes:
            command += ["--num_nodes", str(num_nodes)]
        if master_addr:
            command += ["--master_addr", master_addr]
    elif gpus:
        command += ["--include", "localhost:" + ",".join(str(g) for g in gpus)]
    command += [
        "--master_port",
        str(master_port),
        "--no_local_rank",
        "--module",
        "tunedesk",
        "train",
        *train_argv,
    ]
    return command


def hostfile_text(hosts: dict[str, int]) -> str:
    """An MPI-style hostfile: one `host slots=N` line per node (N GPUs on that node)."""
    if not hosts:
        raise ConfigError("hostfile: no hosts given", "List each node with its number of GPUs.")
    return "".join(f"{host} slots={slots}\n" for host, slots in hosts.items())
