"""``import-chatglm``: a ChatGLM2/3 checkpoint -> a native transformers ``glm`` directory.

Reads config.json, the weight shards (safetensors, or .bin loaded with ``weights_only=True``) and
tokenizer.model; never imports the checkpoint's Python files. Writes into a hidden temporary directory
beside the target and renames it at the end, so an interrupted import leaves nothing at the target.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import ConfigError
from .detect import ChatGLMInfo, detect_chatglm, import_hint, rope_mode_of
from .tokenizer import build_fast_tokenizer
from .weights import Shapes, check_supported, convert_tensor, glm_config_kwargs

METADATA_FILE = "tunedesk_chatglm.json"
# Files that must travel with the weights (the model licence) but hold no code.
COPIED_FILES = ("MODEL_LICENSE", "LICENSE", "LICENSE.txt", "README.md")


@dataclass
class ImportSummary:
    """What the import converted; printed by the CLI and stored as tunedesk_chatglm.json."""

    source: str
    out: str
    model: str
    generation: int
    evidence: list[str]
    source_tensors: int = 0
    native_tensors: int = 0
    parameters: int = 0
    dtype: str = ""
    skipped_tensors: list[str] = field(default_factory=list)
    vocab_size: int = 0  # tokenizer: SentencePiece pieces + special tokens
    padded_vocab_size: int = 0  # rows of the embedding
    special_tokens: dict[str, int] = field(default_factory=dict)
    renamed_special_tokens: dict[str, str] = field(default_factory=dict)
    eos_token_ids: list[int] = field(default_factory=list)
    rope: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"format": "tunedesk-chatglm-import", "version": 1, **asdict(self)}


def weight_files(model_dir: Path) -> list[Path]:
    """The weight shards in order; safetensors preferred over pickled .bin files."""
    for index_name, single in (
        ("model.safetensors.index.json", "model.safetensors"),
        ("pytorch_model.bin.index.json", "pytorch_model.bin"),
    ):
        index = model_dir / index_name
        if index.is_file():
            weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map", {})
            files = sorted(set(weight_map.values()))
            missing = [f for f in files if not (model_dir / f).is_file()]
            if missing:
                raise ConfigError(
                    f"{index} names shards that are not there: {', '.join(missing)}.",
                    "Finish downloading the checkpoint (all shards), then import again.",
                )
            return [model_dir / f for f in files]
        if (model_dir / single).is_file():
            return [model_dir / single]
    shards = sorted(model_dir.glob("*.safetensors")) or sorted(model_dir.glob("pytorch_model*.bin"))
    if not shards:
        raise ConfigError(
            f"{model_dir} holds no weights (*.safetensors or pytorch_model*.bin).",
            "Point import-chatglm at the folder that holds config.json and the weight files.",
        )
    return shards


def load_shard(path: Path) -> dict:
    import torch
    from safetensors.torch import load_file

    if path.suffix == ".safetensors":
        return load_file(str(path))
    try:
        # weights_only: a pickled checkpoint may not run code while loading.
        return torch.load(str(path), map_location="cpu", weights_only=True, mmap=True)
    except RuntimeError:  # pre-zip serialization cannot be memory-mapped
        return torch.load(str(path), map_location="cpu", weights_only=True)


def import_chatglm(
    source: Path, out: Path, force: bool = False, generation: int | None = None
) -> ImportSummary:
    source, out = Path(source).resolve(), Path(out).resolve()
    info = _checked_source(source, generation)
    _check_target(source, out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(out)
    tmp = out.parent / f".{out.name}.tmp-import-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        summary = ImportSummary(str(source), str(out), info.name, info.generation, info.evidence)
        _convert_into(info, tmp, summary)
        (tmp / METADATA_FILE).write_text(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False) + "\n")
        _replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def _checked_source(source: Path, generation: int | None) -> ChatGLMInfo:
    if not (source / "config.json").is_file():
        raise ConfigError(f"{source} has no config.json.", "Point import-chatglm at the checkpoint folder.")
    info = detect_chatglm(source)
    if info is None:
        raise ConfigError(
            f"{source} is not a ChatGLM checkpoint (config.json has no model_type chatglm).",
            "This model needs no import: train it directly.",
        )
    if info.generation == 1:
        raise ConfigError(f"{source} is ChatGLM-6B, which cannot be converted.", import_hint(info))
    if generation in (2, 3) and generation != info.generation:
        info.evidence.append(f"generation {generation} forced by --generation (detected {info.generation})")
        info.generation = generation
        info.rope_mode = rope_mode_of(source, generation, [])
    check_supported(info.config, str(source / "config.json"))
    if not (source / "tokenizer.model").is_file():
        raise ConfigError(
            f"{source} has no tokenizer.model.",
            "Copy tokenizer.model from the original checkpoint into that folder, then import again.",
        )
    return info


def _check_target(source: Path, out: Path, force: bool) -> None:
    if out == source or source in out.parents:
        raise ConfigError(f"--out {out} is inside the source checkpoint.", "Choose a new folder outside it.")
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not force:
        raise ConfigError(
            f"{out} already exists and is not empty.", "Choose a new folder, or pass --force to replace it."
        )


def _remove_stale_temporaries(out: Path) -> None:
    # A killed import (SIGKILL, power loss) leaves its hidden temporary behind; clean those of dead pids.
    for stale in out.parent.glob(f".{out.name}.tmp-import-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _replace(tmp: Path, out: Path) -> None:
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


def _convert_into(info: ChatGLMInfo, tmp: Path, summary: ImportSummary) -> None:
    from transformers import GenerationConfig, GlmConfig

    config = info.config
    converted = build_fast_tokenizer(
        info.path / "tokenizer.model", info.generation, int(config.get("seq_length", 8192))
    )
    special = converted.special_ids
    eos_id = int(config.get("eos_token_id", 2) or 2)
    eos_ids = [eos_id] + ([special["<|user|>"], special["<|observation|>"]] if info.generation == 3 else [])
    pad_id = int(config.get("pad_token_id", 0) or 0)
    padded = int(config["padded_vocab_size"])
    if converted.vocab_size > padded:
        raise ConfigError(
            f"tokenizer.model has {converted.vocab_size} ids with special tokens, more than padded_vocab_size {padded}.",
            "tokenizer.model and config.json come from different checkpoints; copy both from the same one.",
        )
    _convert_weights(info, tmp, summary)
    kwargs = glm_config_kwargs(config, info.rope_mode, eos_ids, pad_id)
    kwargs["dtype"] = summary.dtype or kwargs["dtype"]  # what the weights really are, whatever config says
    GlmConfig(**kwargs).save_pretrained(str(tmp))
    GenerationConfig(eos_token_id=eos_ids, pad_token_id=pad_id).save_pretrained(str(tmp))
    converted.tokenizer.save_pretrained(str(tmp))
    _portable_tokenizer_class(tmp / "tokenizer_config.json")
    for name in COPIED_FILES:
        if (info.path / name).is_file():
            shutil.copy2(info.path / name, tmp / name)

    summary.vocab_size = converted.vocab_size
    summary.padded_vocab_size = padded
    summary.special_tokens = special
    summary.renamed_special_tokens = converted.renamed
    summary.eos_token_ids = eos_ids
    summary.rope = {
        **kwargs["rope_parameters"],
        "rope_ratio": config.get("rope_ratio", 1),
        "mode": info.rope_mode,
    }
    if config.get("pre_seq_len"):
        summary.notes.append(
            f"config.pre_seq_len={config['pre_seq_len']} (ChatGLM's built-in prefix encoder) is not carried over: "
            "train P-Tuning v2 on the imported model instead."
        )
    for name, content in converted.renamed.items():
        summary.notes.append(
            f"the SentencePiece vocabulary already has a normal piece {name!r}; the special token "
            f"{name} (id {special[name]}) is named {content!r} in the converted tokenizer."
        )


def _portable_tokenizer_class(path: Path) -> None:
    # transformers 5 writes its internal class name; PreTrainedTokenizerFast loads in 4.x and 5.x alike,
    # so the imported folder (and exports made from it) stay usable by other tools.
    data = json.loads(path.read_text(encoding="utf-8"))
    data["tokenizer_class"] = "PreTrainedTokenizerFast"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _convert_weights(info: ChatGLMInfo, tmp: Path, summary: ImportSummary) -> None:
    from safetensors.torch import save_file

    shapes = Shapes(info.config)
    shards = weight_files(info.path)
    weight_map: dict[str, str] = {}
    total_bytes = 0
    for number, shard in enumerate(shards, start=1):
        native = {}
        for name, tensor in load_shard(shard).items():
            summary.source_tensors += 1
            pieces = convert_tensor(name, tensor, shapes)
            if not pieces:
                summary.skipped_tensors.append(name)
            for new_name, new_tensor in pieces:
                native[new_name] = new_tensor.contiguous()
        file_name = (
            "model.safetensors"
            if len(shards) == 1
            else f"model-{number:05d}-of-{len(shards):05d}.safetensors"
        )
        save_file(native, str(tmp / file_name), metadata={"format": "pt"})
        for new_name, tensor in native.items():
            weight_map[new_name] = file_name
            summary.parameters += tensor.numel()
            total_bytes += tensor.numel() * tensor.element_size()
            summary.dtype = str(tensor.dtype).replace("torch.", "")
        del native
    summary.native_tensors = len(weight_map)
    if "lm_head.weight" not in weight_map or "model.embed_tokens.weight" not in weight_map:
        raise ConfigError(
            f"{info.path}: the word embeddings or the output layer are missing from the weights.",
            "Finish downloading the checkpoint (all shards), then import again.",
        )
    if len(shards) > 1:
        index = {"metadata": {"total_size": total_bytes}, "weight_map": dict(sorted(weight_map.items()))}
        (tmp / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
