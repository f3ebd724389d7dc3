"""The training configuration: every flag of the original ChatGLM-Finetuning train.py, plus ours.

One ``TrainConfig`` dataclass is the single source of truth. The command line, a
``--config run.json`` file (what the app writes) and the saved ``run.json`` all use the same
keys, so a run directory's run.json can be fed back with ``--config``.

Validation collects every problem and raises one ConfigError listing them all, so a user
fixes a command line in one go instead of one error per attempt.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict, dataclass, fields
from typing import Any

from tunedesk.errors import ConfigError

TRAIN_TYPES = ("freeze", "ptuning", "lora", "all")
MODES = ("glm", "glm2", "glm3")
DEVICES = ("auto", "cpu", "cuda", "mps")  # and cuda:N
PTUNING_VERSIONS = (1, 2)


@dataclass
class TrainConfig:
    # --- data (original flags) ---
    train_path: str = ""
    """JSON-lines / JSON / chat data file to train on (original: same)."""
    model_name_or_path: str = ""
    """Local Hugging Face model directory (safetensors). Downloads are never attempted."""
    max_len: int = 1024
    """Maximum tokens per sample, prompt + answer (original: same)."""
    max_src_len: int = 256
    """Maximum prompt tokens; longer prompts are truncated keeping the answer marker (original: same)."""
    is_skip: bool = False
    """Drop samples that would be truncated instead of truncating them; they are counted (original: same)."""
    mode: str | None = None
    """Prompt layout: glm, glm2, glm3 as the original scripts built them, or chat (the tokenizer's chat template).
    Omitted: ChatGLM-6B/2-6B/3-6B models (imported or not) use their own glm/glm2/glm3, others chat."""
    # --- optimisation (original flags) ---
    per_device_train_batch_size: int = 16
    """Micro-batch size per device (original: same)."""
    learning_rate: float = 1e-3
    """Peak learning rate after warm-up (original: same)."""
    weight_decay: float = 0.1
    """AdamW weight decay, not applied to biases and norms. Honoured (the original overwrote it with 0.1)."""
    num_train_epochs: int = 1
    """Passes over the training data; ignored when max_steps is set (original: same)."""
    gradient_accumulation_steps: int = 1
    """Micro-batches per optimizer step (original: same)."""
    warmup_ratio: float = 0.1
    """Share of optimizer steps spent warming the learning rate up linearly, then it decays linearly."""
    seed: int = 1234
    """Seed for model init randomness, dropout and the per-epoch data shuffle (original: same)."""
    gradient_checkpointing: bool | None = None
    """Recompute activations in backward to save memory (original: same, default off). Default (auto):
    on where the run's memory estimate is above 70% of the device's free memory (memory_plan.py)."""
    packing: bool = True
    """Pack each micro-batch's samples into rows without padding (attention stays within a sample;
    same loss). Off: padded batches of similar length. Models that cannot pack train padded."""
    torch_compile: bool = False
    """Compile each decoder layer with torch.compile (TorchInductor): steps ~1.16x faster on this
    project's CPU after a one-time compile of 40-60 s (bench/bench_compile.py), so it pays on runs
    of many steps only. Needs a C++ compiler on the CPU, Triton on an NVIDIA GPU. Plain families on
    one device (llama, mistral, qwen2, qwen3, phi3); elsewhere it is logged and left off."""
    # --- run directory and logging (original flags) ---
    output_dir: str = ""
    """The run directory: run.json, events.jsonl, train.log, checkpoints/ (original: checkpoints only)."""
    show_loss_step: int = 10
    """Emit a metrics event every N optimizer steps (original: same)."""
    save_model_step: int | None = None
    """Save a checkpoint every N optimizer steps; a final one is always saved (original: same)."""
    local_rank: int = -1
    """Set by the DeepSpeed launcher; -1 for a single process (original: same)."""
    # --- method (original flags) ---
    train_type: str = "lora"
    """freeze, ptuning, lora or all (original: same)."""
    ds_file: str | None = None
    """DeepSpeed config file, or one of the originals' names (ds_zero2_no_offload.json...); default ZeRO-2."""
    lora_dim: int = 8
    """LoRA rank r (original: same)."""
    lora_alpha: int = 30
    """LoRA alpha (original: same)."""
    lora_dropout: float = 0.1
    """Dropout on the LoRA input (original: same)."""
    lora_module_name: str | None = None
    """Comma-separated module names to adapt; omitted = per-family defaults (original default: query_key_value)."""
    freeze_module_name: str = "layers.27."
    """Comma-separated name fragments of the TRAINABLE parameters, despite the name (original: same)."""
    pre_seq_len: int = 16
    """P-Tuning: number of virtual tokens (original: same)."""
    prefix_projection: bool = True
    """P-Tuning v2: reparameterise the prefix through an MLP. A real boolean (the original's type=bool read "False" as true)."""
    # --- new flags ---
    ptuning_version: int = 2
    """P-Tuning v2 (deep prefix on every layer) or 1 (virtual tokens on the input embeddings only)."""
    trainable_layers: int | None = None
    """Freeze: train the last N transformer blocks (any supported architecture); overrides freeze_module_name."""
    max_steps: int | None = None
    """Stop after this many optimizer steps (overrides num_train_epochs)."""
    eval_path: str | None = None
    """Evaluation data file; eval loss is reported as eval events."""
    eval_split: float = 0.0
    """Hold out this share of the training data for evaluation when no eval_path is given (0 = none)."""
    eval_steps: int | None = None
    """Evaluate every N optimizer steps (and always at the end when there is eval data)."""
    save_total_limit: int | None = None
    """Keep only the newest N checkpoints."""
    resume_from: str | None = None
    """Checkpoint directory to resume from: weights, optimizer, scheduler, step, RNG, data position."""
    bf16: bool | None = None
    """bfloat16 autocast. Default: on where the device computes bf16 natively (CUDA with bf16, CPUs
    with AVX512-BF16/AMX: 2.2-2.6x faster on this project's CPU), else off; --bf16 false turns it off."""
    fp16: bool = False
    """float16 autocast with loss scaling (cuda, mps; refused on cpu)."""
    device: str = "auto"
    """auto, cpu, cuda, cuda:N or mps."""
    skip_bad_lines: bool = False
    """Skip invalid data lines (counted and listed in bad_lines.txt) instead of refusing to start."""
    allow_empty_output: bool = False
    """Accepted as the originals' scripts and earlier TuneDesk wrote it: empty answers are trained by default now."""
    drop_empty_output: bool = False
    """Leave out samples whose answer is empty (trained by default, as the originals did; data-check lists them)."""
    trust_remote_code: bool = False
    """Allow a model directory's own Python code to run. Explicit consent: off unless given."""
    max_grad_norm: float = 1.0
    """Clip the gradient norm to this value (0 = no clipping)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# What the flag schema (flag_schema.py, resources/trainer-flags.json) adds to each field: the values
# it takes, where the app groups it, and the methods it means something for (others ignore it, so the
# app leaves it out of their runs). A field missing from FLAG_GROUPS stops `train --schema`.
FLAG_CHOICES: dict[str, tuple[Any, ...]] = {
    "train_type": TRAIN_TYPES,
    "mode": MODES,
    "device": DEVICES,
    "ptuning_version": PTUNING_VERSIONS,
}
METHOD_FLAGS: dict[str, tuple[str, ...]] = {
    "lora_dim": ("lora",),
    "lora_alpha": ("lora",),
    "lora_dropout": ("lora",),
    "lora_module_name": ("lora",),
    "freeze_module_name": ("freeze",),
    "trainable_layers": ("freeze",),
    "pre_seq_len": ("ptuning",),
    "prefix_projection": ("ptuning",),
    "ptuning_version": ("ptuning",),
}
FLAG_GROUPS: dict[str, tuple[str, ...]] = {
    "model": ("model_name_or_path", "trust_remote_code", "mode"),
    "data": (
        "train_path", "max_len", "max_src_len", "is_skip", "skip_bad_lines", "allow_empty_output",
        "drop_empty_output", "eval_path", "eval_split",
    ),
    "method": (
        "train_type", "lora_dim", "lora_alpha", "lora_dropout", "lora_module_name", "freeze_module_name",
        "trainable_layers", "pre_seq_len", "prefix_projection", "ptuning_version",
    ),
    "optimisation": (
        "per_device_train_batch_size", "learning_rate", "weight_decay", "num_train_epochs", "max_steps",
        "gradient_accumulation_steps", "warmup_ratio", "max_grad_norm", "seed", "gradient_checkpointing", "packing",
        "torch_compile",
    ),
    "device": ("device", "bf16", "fp16", "ds_file", "local_rank"),
    "output": ("output_dir", "show_loss_step", "save_model_step", "save_total_limit", "eval_steps", "resume_from"),
}


# The originals declared these `store_true`; we keep that and also accept an explicit value.
_STORE_TRUE = (
    "is_skip",
    "gradient_checkpointing",
    "packing",
    "torch_compile",
    "bf16",
    "fp16",
    "skip_bad_lines",
    "allow_empty_output",
    "drop_empty_output",
    "trust_remote_code",
)

HELP_EPILOG = """\
Differences from the original ChatGLM-Finetuning train.py (flags keep their meaning otherwise):
  --weight_decay    is honoured; the original overwrote it with 0.1 in the DeepSpeed config.
  --prefix_projection  is a real boolean (true/false/1/0/yes/no); the original's type=bool turned
                    "False" into True.
  --ds_file         the originals' file names (ds_zero2_no_offload.json, ds_zero3_no_offload.json,
                    ds_zero3_offload.json) resolve to TuneDesk's bundled ZeRO configs when no such
                    file exists; it only matters when the deepspeed engine runs.
  --output_dir      is a run directory (run.json, events.jsonl, train.log, checkpoints/).
Exit status: 0 completed or cancelled, 1 failed (run_finished in events.jsonl says why),
2 the command line itself could not be parsed.
"""


def parse_bool(text: Any) -> bool:
    """A boolean from the command line or a JSON config: true/false/1/0/yes/no/on/off."""
    if isinstance(text, bool):
        return text
    value = str(text).strip().lower()
    if value in ("1", "true", "yes", "y", "on"):
        return True
    if value in ("0", "false", "no", "n", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected a boolean (true/false), got {text!r}")


def _optional_int(text: str) -> int | None:
    return None if str(text).lower() in ("", "none", "null") else int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tunedesk train",
        description="Fine-tune a local model with Freeze, P-Tuning v1/v2, LoRA or full training.",
        epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", default=None, help="a run.json with the same keys; flags given here win")
    parser.add_argument("--schema", action="store_true", help="print every flag as JSON (type, default, help, methods) and exit")
    parser.add_argument("--schema-out", metavar="PATH", help="with or without --schema: write that JSON to PATH instead")
    docs = _field_docs()
    for field in fields(TrainConfig):
        name = field.name
        flag = f"--{name}"
        help_text = docs.get(name, "")
        if name in _STORE_TRUE:
            # `--flag` alone means true (as the originals), `--flag false` is accepted too.
            parser.add_argument(flag, type=parse_bool, nargs="?", const=True, default=None, help=help_text)
        elif name == "prefix_projection":
            parser.add_argument(flag, type=parse_bool, nargs="?", const=True, default=None, help=help_text)
        elif field.type in ("int", int):
            parser.add_argument(flag, type=int, default=None, help=help_text)
        elif field.type in ("float", float):
            parser.add_argument(flag, type=float, default=None, help=help_text)
        elif field.type == "int | None":
            parser.add_argument(flag, type=_optional_int, default=None, help=help_text)
        else:
            parser.add_argument(flag, type=str, default=None, help=help_text)
    return parser


def _field_docs() -> dict[str, str]:
    """Field docstrings (the string literal after each field) for --help, read from this file."""
    import ast

    with open(__file__, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    docs: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "TrainConfig":
            body = node.body
            for current, following in zip(body, body[1:]):
                if (
                    isinstance(current, ast.AnnAssign)
                    and isinstance(current.target, ast.Name)
                    and isinstance(following, ast.Expr)
                    and isinstance(following.value, ast.Constant)
                ):
                    docs[current.target.id] = str(following.value.value).replace("%", "%%")
    return docs


def load_config_file(path: str) -> dict[str, Any]:
    """Read a --config JSON file; unknown keys are an error (a typo would silently do nothing)."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(
            f"--config {path}: file not found", "Pass the path of an existing run.json."
        ) from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"--config {path}:{exc.lineno}: invalid JSON ({exc.msg})", "Fix the JSON syntax."
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"--config {path}: expected a JSON object of settings", "See run.json of any run.")
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"--config {path}: unknown keys {', '.join(unknown)}",
            "Use the flag names of `python -m tunedesk train --help` (without --).",
        )
    return data


def _coerce(name: str, value: Any) -> Any:
    """Convert a JSON value to the field's type; raise ValueError with a readable reason."""
    kind = {f.name: f.type for f in fields(TrainConfig)}[name]
    if value is None:
        if "None" in str(kind):
            return None
        raise ValueError("must not be null")
    if kind in ("bool", bool, "bool | None"):
        try:
            return parse_bool(value)
        except argparse.ArgumentTypeError as exc:
            raise ValueError(str(exc)) from exc
    if kind in ("int", "int | None"):
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(f"must be an integer, got {value!r}")
        return int(value)
    if kind == "float":
        if isinstance(value, bool):
            raise ValueError(f"must be a number, got {value!r}")
        return float(value)
    return str(value)


def parse_config(argv: list[str]) -> TrainConfig:
    """Command line (+ optional --config file) → validated TrainConfig. Raises ConfigError."""
    args = build_parser().parse_args(argv)
    values: dict[str, Any] = {}
    problems: list[str] = []
    if args.config:
        for key, value in load_config_file(args.config).items():
            try:
                values[key] = _coerce(key, value)
            except ValueError as exc:
                problems.append(f"{key} (from {args.config}): {exc}")
    for field in fields(TrainConfig):
        given = getattr(args, field.name)
        if given is not None:
            values[field.name] = given
    # The DeepSpeed launcher may pass the rank only in the environment.
    if "local_rank" not in values and os.environ.get("LOCAL_RANK"):
        values["local_rank"] = int(os.environ["LOCAL_RANK"])
    config = TrainConfig(**values)
    validate(config, problems)
    return config


def validate(config: TrainConfig, problems: list[str] | None = None) -> None:
    """Check everything checkable without loading torch; raise one ConfigError listing all problems."""
    problems = list(problems or [])

    def need(ok: bool, message: str) -> None:
        if not ok:
            problems.append(message)

    need(bool(config.train_path), "train_path: required (the data file to train on)")
    if config.train_path:
        need(os.path.isfile(config.train_path), f"train_path: no such file: {config.train_path}")
    need(bool(config.model_name_or_path), "model_name_or_path: required (a local model directory)")
    if config.model_name_or_path:
        need(
            os.path.isdir(config.model_name_or_path),
            f"model_name_or_path: not a local directory: {config.model_name_or_path} "
            "(TuneDesk never downloads; point it at a downloaded model folder)",
        )
    need(bool(config.output_dir), "output_dir: required (the run directory to write)")
    need(
        config.train_type in TRAIN_TYPES,
        f"train_type: must be one of {', '.join(TRAIN_TYPES)}, got {config.train_type!r}",
    )
    need(
        config.mode is None or config.mode in MODES,
        f"mode: must be one of {', '.join(MODES)} or omitted, got {config.mode!r}",
    )
    for name in (
        "max_len",
        "max_src_len",
        "per_device_train_batch_size",
        "num_train_epochs",
        "gradient_accumulation_steps",
        "show_loss_step",
        "pre_seq_len",
    ):
        need(getattr(config, name) >= 1, f"{name}: must be at least 1, got {getattr(config, name)}")
    need(
        config.max_src_len < config.max_len,
        f"max_src_len ({config.max_src_len}) must be smaller than max_len ({config.max_len})",
    )
    need(config.learning_rate > 0, f"learning_rate: must be positive, got {config.learning_rate}")
    need(config.weight_decay >= 0, f"weight_decay: must be >= 0, got {config.weight_decay}")
    need(0 <= config.warmup_ratio < 1, f"warmup_ratio: must be in [0, 1), got {config.warmup_ratio}")
    need(
        config.max_grad_norm >= 0,
        f"max_grad_norm: must be >= 0 (0 = no clipping), got {config.max_grad_norm}",
    )
    for name in ("save_model_step", "max_steps", "eval_steps", "save_total_limit", "trainable_layers"):
        value = getattr(config, name)
        need(value is None or value >= 1, f"{name}: must be at least 1 when given, got {value}")
    need(0 <= config.eval_split < 1, f"eval_split: must be in [0, 1), got {config.eval_split}")
    if config.eval_path:
        need(os.path.isfile(config.eval_path), f"eval_path: no such file: {config.eval_path}")
    need(config.ptuning_version in PTUNING_VERSIONS, f"ptuning_version: must be 1 or 2, got {config.ptuning_version}")
    need(config.lora_dim >= 1, f"lora_dim: must be at least 1, got {config.lora_dim}")
    need(config.lora_alpha >= 1, f"lora_alpha: must be at least 1, got {config.lora_alpha}")
    need(0 <= config.lora_dropout < 1, f"lora_dropout: must be in [0, 1), got {config.lora_dropout}")
    need(not (config.bf16 and config.fp16), "bf16 and fp16: choose one")
    device = config.device
    need(
        device in DEVICES or (device.startswith("cuda:") and device[5:].isdigit()),
        f"device: must be auto, cpu, cuda, cuda:N or mps, got {device!r}",
    )
    need(
        not (config.fp16 and device == "cpu"),
        "fp16: not supported on the CPU; use --bf16 or no mixed precision",
    )
    if config.resume_from:
        from tunedesk.checkpoint_publish import manifest_problem  # complete = manifest + every file, sized

        problem = manifest_problem(config.resume_from)[1]
        need(problem is None, f"resume_from: {config.resume_from} is not a complete checkpoint ({problem})")
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(
            f"{len(problems)} problem(s) in the training configuration:\n{listing}",
            "Fix the listed settings (see `python -m tunedesk train --help`).",
        )


def save_run_json(config: TrainConfig, run_dir: str) -> str:
    """Write the resolved configuration as run.json (same keys as --config accepts)."""
    path = os.path.join(run_dir, "run.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(config.to_json(), handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    return path
