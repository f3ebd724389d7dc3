"""The export recipe: check → prepare → write into staging → verify → commit.

Every check that can refuse the export (format, family, target, disk space) runs before
the first byte is written; verification runs on the staged files, so a failed export is
simply never moved into place.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from tunedesk.errors import ConfigError, TuneDeskError
from tunedesk.export import gguf_export, gguf_verify, modelfile
from tunedesk.export.gguf_quant import GGUF_TYPES, QUANTS
from tunedesk.export.prepare import Prepared, prepare, weight_bytes
from tunedesk.export.safe_write import StagedExport, check_free_space, check_target, pause_for_kill_test
from tunedesk.export.source import (
    CheckpointSource,
    custom_code_note,
    load_base,
    load_tokenizer,
    memory_needed_bytes,
    open_checkpoint,
)
from tunedesk.export.verify import (
    TOLERANCES,
    Samples,
    Verification,
    collect_samples,
    judge,
    max_abs_diff,
    raise_if_failed,
    sample_logits,
)

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
Progress = Callable[[str, float], None]
Say = Callable[[str], None]


@dataclass
class ExportOptions:
    checkpoint: Path
    out: Path | None = None
    dtype: str | None = None  # None: fp32 for hf (exact), fp16 for gguf
    fmt: str = "hf"
    max_shard_size: str = "2GB"
    force: bool = False
    samples: int = 4


@dataclass
class ExportResult:
    out: Path
    kind: str  # "merged", "ptuning-adapter" or "gguf"
    verification: Verification
    record: dict[str, Any]


def default_out(source: CheckpointSource, fmt: str, dtype: str) -> Path:
    return source.run_dir / "exports" / f"{source.path.name}-{fmt}-{dtype}"


def resolve_dtype(options: ExportOptions) -> str:
    dtype = options.dtype or ("fp16" if options.fmt == "gguf" else "fp32")
    allowed = GGUF_TYPES if options.fmt == "gguf" else tuple(DTYPES)
    if dtype not in allowed:
        raise ConfigError(
            f"--dtype {dtype} is not available for --format {options.fmt}",
            f"Use one of {', '.join(allowed)}.",
        )
    return dtype


def run_export(options: ExportOptions, progress: Progress, say: Say) -> ExportResult:
    if options.fmt not in ("hf", "gguf"):
        raise ConfigError(
            f"unknown --format {options.fmt!r}", "Use hf (Hugging Face safetensors) or gguf (llama.cpp)."
        )
    source = open_checkpoint(options.checkpoint)
    custom_code = custom_code_note(source)
    if custom_code:
        say(custom_code)
    dtype = resolve_dtype(options)
    ptuning = source.method == "ptuning"
    if ptuning and dtype != "fp32":
        say(f"P-Tuning exports keep the prefix as trained (fp32); --dtype {dtype} does not apply to it")
        dtype = "fp32"
    if options.fmt == "gguf":
        if ptuning:
            raise ConfigError(
                "P-Tuning checkpoints cannot be exported as GGUF: llama.cpp has no prefix/soft-prompt support",
                "Export with --format hf: you get the base reference plus the prefix as a peft adapter.",
            )
        gguf_export.check_family(gguf_export.family_of(source))  # before anything heavy starts
    target = (options.out or default_out(source, options.fmt, dtype)).resolve()
    check_target(target, options.force)

    _check_memory(source, say)
    progress("load", 0.05)
    tokenizer = load_tokenizer(source)
    mode = source.template_mode
    samples = collect_samples(source.run_config, tokenizer, mode, options.samples)
    prepared = prepare(source, samples)
    progress("merge", 0.35)

    torch_dtype = DTYPES.get(dtype, torch.float16)
    expected = 0 if ptuning else weight_bytes(prepared.model, torch.int8 if dtype in QUANTS else torch_dtype)
    check_free_space(target.parent, expected)

    record: dict[str, Any] = {
        "format": "tunedesk-export",
        "version": 1,
        "export_format": options.fmt,
        "method": source.method,
        "ptuning_version": source.ptuning_version,
        "checkpoint": str(source.path),
        "step": source.manifest.get("step"),
        "run_id": source.manifest.get("run_id"),
        "base_model": str(source.base_model) if source.base_model else None,
        "dtype": dtype,
        "mode": mode,
        "created": time.time(),
    }
    if custom_code:
        record["custom_code"] = custom_code
    staged = StagedExport(target, options.force)
    staged.expected_bytes = expected
    with staged as staging:
        progress("write", 0.5)
        if ptuning:
            kind = "ptuning-adapter"
            verification = _write_ptuning(source, prepared, samples, staging, tokenizer, progress)
            say(
                "P-Tuning prefixes cannot be folded into the weights: this export is the base model reference "
                f"({source.base_model}) plus the prefix as a peft adapter (adapter/). See README.md in the export."
            )
        elif options.fmt == "gguf":
            kind = "gguf"
            verification = _write_gguf(prepared, samples, staging, tokenizer, dtype, record, progress, target)
        else:
            kind = "merged"
            verification = _write_hf(
                prepared, samples, staging, tokenizer, dtype, options.max_shard_size, progress
            )
        record["kind"] = kind
        record["verification"] = verification.as_dict()
        raise_if_failed(verification)
        progress("finalize", 0.95)
        record["files"] = {
            str(p.relative_to(staging)): p.stat().st_size for p in sorted(staging.rglob("*")) if p.is_file()
        }
        (staging / "export.json").write_text(
            json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        staged.commit()
    return ExportResult(target, kind, verification, record)


class NotEnoughMemoryError(TuneDeskError):
    kind = "oom"


def _check_memory(source: CheckpointSource, say: Say) -> None:
    """Merging and verifying happen in fp32 on the CPU; refuse what cannot fit, warn when tight."""
    import psutil

    needed = memory_needed_bytes(source)
    memory = psutil.virtual_memory()
    gib = 1024**3
    if needed > memory.total:
        raise NotEnoughMemoryError(
            f"The export needs about {needed / gib:.1f} GiB of RAM (fp32 merge + verification); "
            f"this machine has {memory.total / gib:.1f} GiB",
            "Export on a machine with more memory (the checkpoint folder and base model are all it needs).",
        )
    if needed > memory.available:
        say(
            f"warning: the export needs about {needed / gib:.1f} GiB of RAM and {memory.available / gib:.1f} GiB "
            "is free now; close other programs if it is killed"
        )


def _write_hf(
    prepared: Prepared,
    samples: Samples,
    staging: Path,
    tokenizer: Any,
    dtype: str,
    max_shard_size: str,
    progress: Progress,
) -> Verification:
    model = prepared.model.to(DTYPES[dtype])
    model.config.dtype = DTYPES[dtype]
    if getattr(model.config, "auto_map", None):
        del model.config.auto_map  # its code is not part of the export (custom_code_note)
    model.save_pretrained(staging, max_shard_size=max_shard_size)
    pause_for_kill_test()
    tokenizer.save_pretrained(staging)
    del model, prepared.model
    gc.collect()
    progress("verify", 0.75)
    # Compute in fp32 on purpose: the measured Δ is then the export's rounding, not the
    # CPU's half-precision arithmetic.
    fresh = load_base(staging, torch.float32)
    logits = sample_logits(fresh, samples)
    del fresh
    return judge(logits, prepared.reference, prepared.base, samples, dtype)


def _write_ptuning(
    source: CheckpointSource,
    prepared: Prepared,
    samples: Samples,
    staging: Path,
    tokenizer: Any,
    progress: Progress,
) -> Verification:
    from peft import PeftModel

    prepared.model.save_pretrained(staging / "adapter")
    pause_for_kill_test()
    tokenizer.save_pretrained(staging / "tokenizer")
    (staging / "README.md").write_text(_ptuning_readme(source), encoding="utf-8")
    del prepared.model
    gc.collect()
    progress("verify", 0.75)
    assert source.base_model is not None
    fresh = PeftModel.from_pretrained(load_base(source.base_model), staging / "adapter")
    fresh.eval()
    logits = sample_logits(fresh, samples)
    return judge(logits, prepared.reference, prepared.base, samples, "fp32")


def _ptuning_readme(source: CheckpointSource) -> str:
    version = source.ptuning_version or 2
    what = (
        "a deep prefix on every layer (peft prefix tuning)"
        if version == 2
        else "a soft prompt (peft prompt tuning)"
    )
    return f"""# P-Tuning v{version} export

P-Tuning trains {what}. It cannot be folded into the model's weights, so this export is
the **base model** plus the **trained prefix** as a peft adapter:

- base model: `{source.base_model}` (not copied; keep it, or point `base` below at a copy)
- adapter: `adapter/` (peft format), tokenizer: `tokenizer/`

```python
from transformers import AutoModelForCausalLM, AutoTokenizer
from peft import PeftModel

base = AutoModelForCausalLM.from_pretrained("{source.base_model}")
model = PeftModel.from_pretrained(base, "adapter")
tokenizer = AutoTokenizer.from_pretrained("tokenizer")
```

Or with TuneDesk: `python -m tunedesk predict --model <this directory> --prompt "..."`.
Verification (logits vs the training-time model) is recorded in `export.json`.
"""


def _write_gguf(
    prepared: Prepared,
    samples: Samples,
    staging: Path,
    tokenizer: Any,
    dtype: str,
    record: dict[str, Any],
    progress: Progress,
    target: Path,
) -> Verification:
    # First the merged model must still compute what training computed (catches a skipped or empty
    # merge); the verdict recorded and shown is then the GGUF file's own: the model rebuilt from its
    # dequantised tensors, compared with the training-time model.
    merged_logits = sample_logits(prepared.model, samples)
    merged = judge(merged_logits, prepared.reference, prepared.base, samples, "fp32")
    if not merged.passed:
        return merged
    path = staging / f"model-{dtype}.gguf"
    gguf_export.write_gguf(prepared.model, tokenizer, path, dtype)
    pause_for_kill_test()
    progress("verify", 0.75)
    readback = gguf_export.verify_gguf(prepared.model, tokenizer, path, dtype)
    record["gguf"] = readback.as_dict()
    record["gguf"]["file"] = path.name
    record["gguf"]["merged_model_max_abs_logit_diff"] = merged.max_abs_logit_diff
    pre_name, exact = gguf_export.pre_tokenizer_name(tokenizer)
    record["gguf"]["pre_tokenizer"] = pre_name
    if not exact:
        record["gguf"]["note"] = (
            "the tokenizer's pre-split is not one llama.cpp knows by name; it will use its default split, "
            "so tokenization may differ slightly from transformers"
        )
    if not readback.passed:
        merged.passed = False
        merged.dtype = dtype
        merged.reason = f"the GGUF file does not read back as written: {readback.reason}"
        return merged
    # Free the merged model before rebuilding one from the file: the peak stays one fp32 model.
    model_class, config = type(prepared.model), prepared.model.config
    skeleton = gguf_verify.shapes_only(gguf_export.plan_tensors(prepared.model))
    del prepared.model
    gc.collect()
    try:
        file_logits = gguf_verify.gguf_logits(model_class, config, skeleton, path, samples)
    except ValueError as exc:
        merged.passed, merged.dtype = False, dtype
        merged.reason = f"the GGUF file's tensors do not rebuild the model: {exc}"
        return merged
    # Whether training changed anything, and whether the merge happened, was judged above on the merged
    # model in fp32. The file is judged for faithfulness only: at 4-5 bits the rounding can exceed a short
    # fine-tune's effect, which says nothing about the merge (and the base comparison would misfire).
    verification = judge(file_logits, prepared.reference, None, samples, dtype)
    verification.training_effect = merged.training_effect
    if prepared.base is not None:
        verification.max_abs_diff_vs_base = max_abs_diff(file_logits, prepared.base)
    record["gguf"]["tolerance"] = {
        "absolute": TOLERANCES[dtype][0],
        "relative_to_max_logit": TOLERANCES[dtype][1],
        "value": verification.tolerance,
    }
    record["ollama"] = modelfile.write_modelfile(staging, path.name, tokenizer, config, record, target)
    return verification


__all__ = ["ExportOptions", "ExportResult", "Samples", "run_export"]
