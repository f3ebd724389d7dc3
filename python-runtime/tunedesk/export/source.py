"""What an export starts from: a checkpoint (format v1) and the run it belongs to.

Reads manifest.json and run_config.json, finds the base model the run trained from, and
builds the *training-time* model (base + adapter, base + trainable tensors, or the full
model) — the reference every export is verified against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from tunedesk.errors import ConfigError, DependencyError
from tunedesk.export.zero import find_zero_checkpoint, load_zero_model

WEIGHT_KINDS = ("adapter", "trainable", "full")


@dataclass
class CheckpointSource:
    """A complete checkpoint, described by its manifest and run configuration."""

    path: Path
    manifest: dict[str, Any]
    run_config: dict[str, Any] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return str(self.manifest.get("method") or self.run_config.get("train_type") or "")

    @property
    def weights(self) -> str:
        return str(self.manifest.get("weights") or "")

    @property
    def ptuning_version(self) -> int | None:
        return self.manifest.get("ptuning_version") or self.run_config.get("ptuning_version")

    @property
    def run_dir(self) -> Path:
        """<run>/checkpoints/step-NNNNNN -> <run>."""
        return self.path.parent.parent

    @property
    def base_model(self) -> Path | None:
        value = self.manifest.get("base_model") or self.run_config.get("model_name_or_path")
        return Path(value) if value else None

    @property
    def tokenizer_dir(self) -> Path:
        own = self.path / "tokenizer"
        if own.is_dir():
            return own
        if self.weights == "full" and (self.path / "model" / "tokenizer_config.json").exists():
            return self.path / "model"
        if self.base_model is None:
            raise ConfigError(
                f"{self.path}: no tokenizer/ and no base model recorded", "Re-save the checkpoint."
            )
        return self.base_model

    @property
    def template_mode(self) -> str | None:
        """The prompt template the run trained with (run_config `mode`)."""
        mode = self.run_config.get("mode")
        return str(mode) if mode else None


def is_checkpoint(path: Path) -> bool:
    return (path / "manifest.json").is_file()


def open_checkpoint(path: str | Path) -> CheckpointSource:
    """Read a checkpoint directory; explain plainly what is missing or wrong."""
    path = Path(path).resolve()
    if (path / "checkpoints").is_dir() and not (path / "manifest.json").exists():
        # A run directory: its newest complete checkpoint (the trainer's own listing rule).
        from tunedesk.checkpoint import complete_checkpoints

        complete = complete_checkpoints(str(path))
        if not complete:
            raise ConfigError(
                f"{path}: the run has no complete checkpoint yet", "Wait for the first checkpoint save."
            )
        path = Path(complete[-1])
    if not path.is_dir():
        raise ConfigError(
            f"{path}: no such checkpoint directory",
            "Pass a checkpoint directory (…/checkpoints/step-NNNNNN).",
        )
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        raise ConfigError(
            f"{path}: manifest.json is missing, so this checkpoint is incomplete",
            "Export a complete checkpoint (one with manifest.json); an interrupted save is never exported.",
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != "tunedesk-checkpoint" or manifest.get("version") != 1:
        raise ConfigError(
            f"{manifest_path}: not a TuneDesk checkpoint format v1", "Use a checkpoint written by TuneDesk."
        )
    from tunedesk.checkpoint_publish import manifest_problem

    problem = manifest_problem(str(path))[1]
    if problem:  # complete = every file the manifest lists there with its size
        raise ConfigError(
            f"{path}: incomplete checkpoint ({problem})", "Export another complete checkpoint of the run."
        )
    if manifest.get("weights") not in WEIGHT_KINDS:
        raise ConfigError(
            f"{manifest_path}: weights must be one of {WEIGHT_KINDS}", "The manifest is damaged."
        )
    run_config: dict[str, Any] = {}
    for candidate in (path / "run_config.json", path.parent.parent / "run.json"):
        if candidate.is_file():
            run_config = json.loads(candidate.read_text(encoding="utf-8"))
            break
    source = CheckpointSource(path, manifest, run_config)
    if source.weights != "full" and (source.base_model is None or not source.base_model.is_dir()):
        raise ConfigError(
            f"{manifest_path}: the base model {source.base_model} recorded in the checkpoint is not there",
            "Put the base model back at that path (the export merges into it), or edit base_model in manifest.json.",
        )
    if source.weights != "full":
        assert source.base_model is not None
        check_loadable_without_code(source.base_model)
    return source


def pickle_only(model_dir: Path) -> list[str]:
    """The pickle weight files of a folder that has no safetensors (empty when it has some)."""
    if any(model_dir.glob("*.safetensors")):
        return []
    return sorted(
        p.name for p in [*model_dir.glob("*.bin"), *model_dir.glob("*.pt"), *model_dir.glob("*.pth")]
    )


def check_loadable_without_code(model_dir: Path) -> None:
    """Before anything loads: the export reads safetensors only and never runs a model's own code
    (not even torch's unpickler: its advice to pass weights_only=False would run any code)."""
    pickles = pickle_only(model_dir)
    if pickles:
        listed = ", ".join(pickles[:3]) + (" ..." if len(pickles) > 3 else "")
        raise ConfigError(
            f"{model_dir}: the base model has only pickle weights ({listed}); the export loads safetensors only",
            f"Write a safetensors copy beside them, reading tensors only: python -m tunedesk convert-weights "
            f"{model_dir} — then export again.",
        )
    config_path = model_dir / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
    from transformers import CONFIG_MAPPING

    if config.get("auto_map") and config.get("model_type") not in CONFIG_MAPPING:
        raise ConfigError(
            f"{model_dir}: model_type {config.get('model_type')!r} exists only as the model's own Python code "
            "(auto_map in config.json), which an export never runs",
            "ChatGLM2/3: convert the base with python -m tunedesk import-chatglm and train from the converted "
            "folder; other models: train from a version that transformers supports natively.",
        )


def custom_code_note(source: CheckpointSource) -> str | None:
    """What to tell the user when the base model ships its own code (auto_map): the export has none."""
    model_dir = source.path / "model" if source.weights == "full" else source.base_model
    config_path = model_dir / "config.json" if model_dir is not None else None
    if config_path is None or not config_path.is_file():
        return None
    auto_map = json.loads(config_path.read_text(encoding="utf-8")).get("auto_map")
    if not auto_map:
        return None
    return (
        f"The base model ships its own Python code (auto_map in {config_path}). This export carries no custom "
        "code: it is written with transformers' built-in classes, its .py files are not copied and auto_map "
        "is left out of its config.json, so it loads without trust_remote_code."
    )


def load_base(path: Path, dtype: torch.dtype = torch.float32) -> torch.nn.Module:
    from transformers import AutoModelForCausalLM

    # safetensors only and never remote code (check_loadable_without_code explains the refusals).
    model = AutoModelForCausalLM.from_pretrained(
        path, dtype=dtype, use_safetensors=True, local_files_only=True
    )
    model.eval()
    return model


def load_tokenizer(source: CheckpointSource):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(source.tokenizer_dir)


def load_training_model(source: CheckpointSource) -> torch.nn.Module:
    """The model as it was at training time, in fp32 (the reference for verification)."""
    if source.weights == "adapter":
        from peft import PeftModel

        assert source.base_model is not None
        model = PeftModel.from_pretrained(load_base(source.base_model), source.path / "adapter")
    elif source.weights == "trainable":
        assert source.base_model is not None
        model = load_base(source.base_model)
        apply_trainable(model, source.path / "trainable.safetensors")
    else:
        model = load_full_model(source)
    model.eval()
    return model


def apply_trainable(model: torch.nn.Module, tensors_path: Path) -> None:
    """Freeze checkpoints hold only the trained tensors, named as in the base state_dict."""
    from safetensors.torch import load_file

    trained = load_file(str(tensors_path))
    known = set(model.state_dict())
    unknown = sorted(set(trained) - known)
    if unknown:
        raise ConfigError(
            f"{tensors_path}: {len(unknown)} tensors do not exist in the base model (first: {unknown[0]})",
            "The checkpoint was trained from a different base model than the one recorded in manifest.json.",
        )
    model.load_state_dict(trained, strict=False)


def load_full_model(source: CheckpointSource) -> torch.nn.Module:
    """model/ of a full checkpoint; a DeepSpeed ZeRO checkpoint is consolidated first."""
    model_dir = source.path / "model"
    if (model_dir / "config.json").is_file() and any(model_dir.glob("*.safetensors")):
        return load_base(model_dir)
    zero_dir = find_zero_checkpoint(source.path)
    if zero_dir is None:
        raise ConfigError(
            f"{source.path}: a full checkpoint needs model/ (config.json + safetensors) or DeepSpeed ZeRO files",
            "The checkpoint is damaged; export an earlier one.",
        )
    return load_zero_model(source.path, source.base_model, zero_dir)


def count_parameters(model_dir: Path) -> int:
    """Parameters in a model directory, read from the safetensors headers (nothing is loaded)."""
    from safetensors import safe_open

    total = 0
    for file in sorted(model_dir.glob("*.safetensors")):
        with safe_open(str(file), framework="pt") as handle:
            for name in handle.keys():
                shape = handle.get_slice(name).get_shape()
                count = 1
                for dim in shape:
                    count *= dim
                total += count
    return total


def memory_needed_bytes(source: CheckpointSource) -> int:
    """The export's peak: one fp32 model (the merged one is freed before the export is re-loaded
    for verification), plus a margin for activations and loading buffers."""
    model_dir = source.path / "model" if source.weights == "full" else source.base_model
    params = count_parameters(model_dir) if model_dir is not None and model_dir.is_dir() else 0
    return int(params * 4 * 1.2)


def require(module: str, why: str) -> None:
    try:
        __import__(module)
    except ImportError as exc:
        raise DependencyError(
            f"{why} needs the Python package {module!r}: {exc}", "Run `npm run setup:python`."
        ) from exc
