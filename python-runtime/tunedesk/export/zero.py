"""Consolidating a DeepSpeed ZeRO-2/3 checkpoint into one ordinary model directory.

Full training with ZeRO-3 saves every parameter split across ranks. DeepSpeed's own
`zero_to_fp32` is used when deepspeed imports; otherwise the partitions are stitched here
(same layout rules: ZeRO-3 pads each parameter to a multiple of the world size and gives
every rank one equal slice; ZeRO-2 splits the flat group as a whole).
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from tunedesk.errors import ConfigError

OPTIM_FILE = re.compile(r"^(bf16_)?zero_pp_rank_(\d+)_mp_rank_00_optim_states\.pt$")


def find_zero_checkpoint(path: Path) -> Path | None:
    """The folder holding *_optim_states.pt (e.g. <ckpt>/deepspeed/global_step500), if any."""
    for candidate in sorted(path.rglob("*_optim_states.pt")):
        if OPTIM_FILE.match(candidate.name):
            return candidate.parent
    return None


def _load(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickled DeepSpeed objects need deepspeed's own loader
        raise ConfigError(
            f"{path}: cannot read this DeepSpeed file without deepspeed ({type(exc).__name__})",
            "Install deepspeed (pip install -r python-runtime/requirements-deepspeed.txt) and export again.",
        ) from exc


def zero_state_dict(zero_dir: Path) -> dict[str, torch.Tensor]:
    """fp32 state dict from the rank files in `zero_dir`."""
    try:
        from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint
    except ImportError:
        return _stitch(zero_dir)
    return get_fp32_state_dict_from_zero_checkpoint(str(zero_dir.parent), tag=zero_dir.name)


def _stitch(zero_dir: Path) -> dict[str, torch.Tensor]:
    ranks = sorted(
        (int(m.group(2)), zero_dir / m.group(0))
        for f in zero_dir.iterdir()
        if (m := OPTIM_FILE.match(f.name))
    )
    optim = [_load(path)["optimizer_state_dict"] for _, path in ranks]
    world = len(optim)
    stage = optim[0]["zero_stage"]
    if optim[0].get("partition_count", world) != world:
        raise ConfigError(
            f"{zero_dir}: {world} rank files but the checkpoint was saved by {optim[0]['partition_count']} ranks",
            "Copy every zero_pp_rank_* file of the checkpoint, then export again.",
        )
    model_file = next(iter(sorted(zero_dir.glob("*model_states.pt"))), None)
    if model_file is None:
        raise ConfigError(f"{zero_dir}: no *model_states.pt", "The DeepSpeed checkpoint is incomplete.")
    model_states = _load(model_file)
    shapes = [
        (name, torch.Size(shape)) for group in model_states["param_shapes"] for name, shape in group.items()
    ]
    state: dict[str, torch.Tensor] = {k: v.float() for k, v in model_states.get("buffers", {}).items()}
    if stage == 3:
        flat = [torch.cat([g.flatten() for g in o["fp32_flat_groups"]]) for o in optim]
        offset = 0
        for name, shape in shapes:
            part = -(-shape.numel() // world)  # ceil: every rank holds an equal, padded slice
            pieces = [flat[r].narrow(0, offset, part) for r in range(world)]
            state[name] = torch.cat(pieces).narrow(0, 0, shape.numel()).view(shape).clone()
            offset += part
    elif stage in (1, 2):
        flat_all = torch.cat(
            [torch.cat([g.flatten() for g in o["single_partition_of_fp32_groups"]]) for o in optim]
        )
        offset = 0
        for name, shape in shapes:
            state[name] = flat_all.narrow(0, offset, shape.numel()).view(shape).clone()
            offset += shape.numel()
    else:
        raise ConfigError(f"{zero_dir}: unknown ZeRO stage {stage}", "Install deepspeed and export again.")
    for alias, target in model_states.get("shared_params", {}).items():
        state[alias] = state[target]
    return state


def load_zero_model(checkpoint: Path, base_model: Path | None, zero_dir: Path) -> torch.nn.Module:
    """The consolidated model in memory (the checkpoint itself is never modified).

    `checkpoint` is the checkpoint folder and `base_model` the base it was trained from (its
    config.json is used when the checkpoint has no model/config.json of its own).
    """
    from transformers import AutoConfig, AutoModelForCausalLM

    config_dir = checkpoint / "model" if (checkpoint / "model" / "config.json").is_file() else base_model
    if config_dir is None:
        raise ConfigError(
            f"{checkpoint}: no config.json for the ZeRO checkpoint", "Keep the base model directory."
        )
    state = zero_state_dict(zero_dir)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(config_dir), dtype=torch.float32)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("lm_head.weight") or not model.config.tie_word_embeddings]
    if missing or unexpected:
        raise ConfigError(
            f"{zero_dir}: consolidated ZeRO weights do not fit the model ({len(missing)} missing, {len(unexpected)} unexpected)",
            "The checkpoint belongs to another model; export the matching run.",
        )
    model.eval()
    return model
