"""``python -m tunedesk convert-weights <model dir>``: pickle weights -> safetensors, beside them.

TuneDesk loads models only from safetensors, because loading a pickle file can run code. Many older
checkpoints -- ChatGLM-6B among them -- ship only ``pytorch_model*.bin``. This command reads each
shard with torch's restricted unpickler (``weights_only=True``: tensors and plain containers only;
a file that needs anything else is refused, and nothing of it runs) and writes
``model-0000i-of-0000n.safetensors`` plus ``model.safetensors.index.json`` beside the originals,
which are left untouched.

Safe to interrupt: everything is written into a hidden temporary folder inside the model folder
first; the shards are then moved in and the index is moved in LAST, so an index means a complete
conversion (an interrupted one is cleaned up and redone by the next call). One shard is in memory
at a time.

Exit status: 0 converted (or nothing to do), 1 refused or failed (message + what to do), 2 bad
command line.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .checkpoint import fsync_dir
from .errors import ConfigError, TuneDeskError, report_command_failure

INDEX = "model.safetensors.index.json"
BIN_INDEX = "pytorch_model.bin.index.json"
TMP_PREFIX = ".tmp-convert-weights-"


@dataclass
class ConversionSummary:
    model_dir: str
    converted: bool = False
    sources: list[str] = field(default_factory=list)
    shards: list[str] = field(default_factory=list)
    tensors: int = 0
    bytes: int = 0
    note: str = ""


def pickle_shards(model_dir: Path) -> list[Path]:
    """The pickle weight files, in order: from pytorch_model.bin.index.json, else by name."""
    index = model_dir / BIN_INDEX
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"{index} is not a readable shard index ({exc}).",
                "Download that file again: it lists which .bin file holds each tensor.",
            ) from exc
        names = sorted(set(weight_map.values()))
        missing = [name for name in names if not (model_dir / name).is_file()]
        if missing:
            raise ConfigError(
                f"{index} names shards that are not there: {', '.join(missing)}.",
                "Finish downloading the checkpoint (all shards), then convert again.",
            )
        return [model_dir / name for name in names]
    return sorted(model_dir.glob("pytorch_model*.bin")) or sorted(model_dir.glob("*.pt"))


def already_converted(model_dir: Path) -> bool:
    """A single model.safetensors, or an index whose shards are all present."""
    if (model_dir / "model.safetensors").is_file():
        return True
    index = model_dir / INDEX
    if not index.is_file():
        return False
    try:
        names = set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values())
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return all((model_dir / name).is_file() for name in names)


def load_restricted(path: Path) -> dict:
    """A state dict through torch's weights-only unpickler; anything but tensors is refused."""
    import torch

    try:
        try:
            data = torch.load(str(path), map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as exc:
            if "mmap" not in str(exc).lower() and "zip" not in str(exc).lower():
                raise
            data = torch.load(str(path), map_location="cpu", weights_only=True)  # legacy (pre-zip) format
    except (pickle.UnpicklingError, RuntimeError, AttributeError, ValueError, EOFError) as exc:
        raise ConfigError(
            f"{path} is not a plain tensor file: loading it would need more than tensors "
            f"({_unpickler_reason(exc)}). TuneDesk does not run code from weight files.",
            "Get a safetensors copy of this model from where you downloaded it, or a freshly downloaded .bin.",
        ) from exc
    if isinstance(data, dict) and isinstance(data.get("state_dict"), dict):
        data = data["state_dict"]
    if not isinstance(data, dict) or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise ConfigError(
            f"{path} holds no state dict (name -> tensor).",
            "Point convert-weights at a folder of model weight files (pytorch_model*.bin).",
        )
    return data


def _unpickler_reason(exc: BaseException) -> str:
    """What torch's weights-only unpickler objected to, without the rest of its message: that text
    suggests loading again with weights_only=False, which is exactly what must not be done here."""
    import re

    text = str(exc)
    for pattern in (
        r"Unsupported global: GLOBAL (\S+)",
        r"Unsupported operand \d+",
        r"WeightsUnpickler error: ([^\n]+)",
    ):
        found = re.search(pattern, text)
        if found:
            return f"it asks for {found.group(1)}" if found.groups() else found.group(0)
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
    return first if "weights_only" not in first else type(exc).__name__


def _unshared(tensors: dict) -> dict:
    """Contiguous tensors that own their memory: safetensors refuses tensors that share storage
    (tied embeddings saved twice, views of one buffer)."""
    seen: set[tuple[int, int]] = set()
    out = {}
    for name, tensor in tensors.items():
        tensor = tensor.contiguous()
        key = (tensor.untyped_storage().data_ptr(), tensor.untyped_storage().nbytes())
        if key in seen:
            tensor = tensor.clone()
        else:
            seen.add(key)
        out[name] = tensor
    return out


def _remove_stale_temporaries(model_dir: Path) -> None:
    for stale in model_dir.glob(f"{TMP_PREFIX}*"):
        shutil.rmtree(stale, ignore_errors=True)
    index = model_dir / INDEX
    if index.is_file() and not already_converted(model_dir):
        index.unlink()  # an index whose shards are not all there: an interrupted conversion


def _check_disk(model_dir: Path, need: int) -> None:
    free = shutil.disk_usage(model_dir).free
    if free < need * 1.02 + 64 * 2**20:
        raise ConfigError(
            f"{model_dir}: the safetensors copy needs about {need / 1e9:.1f} GB and the disk has {free / 1e9:.1f} GB free.",
            "Free some space on that disk (the .bin files can be deleted after the conversion), then convert again.",
        )


def convert_weights(model_dir: Path) -> ConversionSummary:
    from safetensors.torch import save_file

    model_dir = Path(model_dir).expanduser().resolve()
    if not (model_dir / "config.json").is_file():
        raise ConfigError(
            f"{model_dir} has no config.json.",
            "Point convert-weights at the model folder (the one with config.json).",
        )
    summary = ConversionSummary(model_dir=str(model_dir))
    if already_converted(model_dir):
        summary.note = "already has safetensors weights: nothing to do"
        return summary
    sources = pickle_shards(model_dir)
    if not sources:
        raise ConfigError(
            f"{model_dir} holds no weights (*.safetensors or pytorch_model*.bin).",
            "Finish downloading the model: the weight files go beside config.json.",
        )
    _remove_stale_temporaries(model_dir)
    _check_disk(model_dir, sum(source.stat().st_size for source in sources))
    tmp = model_dir / f"{TMP_PREFIX}{os.getpid()}"
    tmp.mkdir()
    try:
        count = len(sources)
        weight_map: dict[str, str] = {}
        for number, source in enumerate(sources, start=1):
            name = "model.safetensors" if count == 1 else f"model-{number:05d}-of-{count:05d}.safetensors"
            tensors = _unshared(load_restricted(source))
            clashes = sorted(set(tensors) & set(weight_map))
            if clashes:
                raise ConfigError(
                    f"{source} repeats tensors already in another shard: {', '.join(clashes[:3])}.",
                    "The shards come from different checkpoints: download the model again.",
                )
            save_file(tensors, str(tmp / name), metadata={"format": "pt"})
            for tensor_name, tensor in tensors.items():
                weight_map[tensor_name] = name
                summary.bytes += tensor.numel() * tensor.element_size()
            summary.tensors += len(tensors)
            summary.sources.append(source.name)
            summary.shards.append(name)
            del tensors
        if count > 1:
            index = {
                "metadata": {"total_size": summary.bytes},
                "weight_map": dict(sorted(weight_map.items())),
            }
            (tmp / INDEX).write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
        for path in tmp.iterdir():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        # Shards first, the index (or the single file) last: its presence marks a complete conversion.
        marker = INDEX if count > 1 else "model.safetensors"
        for name in summary.shards:
            if name != marker:
                os.replace(tmp / name, model_dir / name)
        os.replace(tmp / marker, model_dir / marker)
        fsync_dir(str(model_dir))
        summary.converted = True
        return summary
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def describe(summary: ConversionSummary) -> str:
    if not summary.converted:
        return f"{summary.model_dir}: {summary.note}"
    return (
        f"Converted {summary.tensors} tensors ({summary.bytes / 1e9:.2f} GB) from {', '.join(summary.sources)}\n"
        f"  into {', '.join(summary.shards)}"
        + (f" + {INDEX}" if len(summary.shards) > 1 else "")
        + f" in {summary.model_dir}.\n  The .bin files are untouched; TuneDesk now loads the safetensors copy."
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tunedesk convert-weights",
        description="Write a safetensors copy of a model's pickle weights (pytorch_model*.bin), beside them. "
        "Reads tensors only (torch weights_only); no code from the files runs.",
    )
    parser.add_argument("model_dir", help="the model folder (with config.json and pytorch_model*.bin)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args(argv)
    try:
        summary = convert_weights(Path(args.model_dir))
    except KeyboardInterrupt:
        print("convert-weights: interrupted; the model folder is as it was.", file=sys.stderr)
        return 1
    except (TuneDeskError, OSError) as exc:
        return report_command_failure("convert-weights", exc, args.json)
    print(json.dumps({"ok": True, **asdict(summary)}) if args.json else describe(summary))
    return 0
