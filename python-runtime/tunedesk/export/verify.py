"""Verification: does the export compute what the training-time model computed?

Next-token logits at every prompt position are compared on a handful of samples from the
run's own training data, laid out with the run's own prompt template. Two checks:

1. export vs training-time model: max |Δlogit| within a dtype-aware tolerance;
2. training-time model vs the bare base model: the training must have changed something
   measurable, otherwise the "export" is the base in disguise (zeroed adapter, skipped merge).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from tunedesk.errors import VerificationError

DEFAULT_SAMPLES = 4
MAX_SAMPLE_TOKENS = 64
# Used only when the run's data file is gone; recorded as samples_source "builtin".
BUILTIN_PROMPTS = ["Hello, who are you?", "Summarise: the sky is blue.", "1 + 1 =", "你好"]

# (absolute, relative to the largest reference logit). fp32 differs only by summation order
# (merged W+BA vs W·x + B·A·x); half precisions round every stored weight.
TOLERANCES = {"fp32": (1e-3, 1e-4), "fp16": (2e-2, 1e-2), "bf16": (1e-1, 5e-2)}
# GGUF block quantisations (32 values share one scale), for the model rebuilt from the file
# (gguf_verify.py). Measured on the tiny test models of tests/test_gguf_families.py, with headroom.
# Measured max |Δlogit| / max |logit| there: q8_0 <= 0.03, q5_0 <= 0.19, q4_0 <= 0.38 (a 64-wide model
# has little averaging; real models lose less), so these are wide: they catch a broken file, not drift.
TOLERANCES.update({"q8_0": (5e-2, 6e-2), "q5_0": (1e-1, 0.35), "q4_0": (2e-1, 0.6)})


@dataclass
class Samples:
    ids: list[list[int]]
    texts: list[str]
    source: str  # "train_path" (the run's data) or "builtin"


@dataclass
class Verification:
    passed: bool
    max_abs_logit_diff: float
    tolerance: float
    max_abs_diff_vs_base: float | None
    training_effect: float | None  # max |Δlogit| between the training-time model and the base
    samples: int
    samples_source: str
    sample_texts: list[str] = field(default_factory=list)
    dtype: str = "fp32"
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def collect_samples(
    run_config: dict[str, Any], tokenizer: Any, mode: str | None, n: int = DEFAULT_SAMPLES
) -> Samples:
    """Prompt ids for the first `n` records of the run's train_path (prompt part only)."""
    from tunedesk.data import generation_prompt, load_records

    max_src = int(run_config.get("max_src_len") or MAX_SAMPLE_TOKENS)
    train_path = find_train_path(run_config)
    texts: list[str] = []
    ids: list[list[int]] = []
    if train_path is not None:
        records, _ = load_records(train_path, skip_bad=True, allow_empty_output=True)
        for record in records[:n]:
            prompt_messages = record.messages[:-1]
            ids.append(
                generation_prompt(prompt_messages, tokenizer, mode=mode, max_src_len=max_src)[
                    -MAX_SAMPLE_TOKENS:
                ]
            )
            texts.append(prompt_messages[-1]["content"][:200])
        if ids:
            return Samples(ids, texts, "train_path")
    for text in BUILTIN_PROMPTS[:n]:
        message = [{"role": "user", "content": text}]
        ids.append(generation_prompt(message, tokenizer, mode=mode, max_src_len=max_src)[-MAX_SAMPLE_TOKENS:])
        texts.append(text)
    return Samples(ids, texts, "builtin")


def find_train_path(run_config: dict[str, Any]) -> Path | None:
    """The run's data file; a relative path was relative to the trainer's working directory,
    which is usually python-runtime/ (the app's launcher) or the run's parent."""
    value = run_config.get("train_path")
    if not value:
        return None
    path = Path(value)
    candidates = (
        [path] if path.is_absolute() else [Path.cwd() / path, Path(__file__).resolve().parents[2] / path]
    )
    if run_config.get("output_dir") and not path.is_absolute():
        candidates.append(Path(run_config["output_dir"]).parent / path)
    return next((c for c in candidates if c.is_file()), None)


@torch.no_grad()
def sample_logits(model: torch.nn.Module, samples: Samples) -> list[torch.Tensor]:
    """fp32 logits per sample, one forward pass each (no padding, so no mask subtleties)."""
    device = next(model.parameters()).device
    out = []
    for ids in samples.ids:
        logits = model(input_ids=torch.tensor([ids], device=device)).logits
        out.append(logits[0].float().cpu())
    return out


def max_abs_diff(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    """Compared on the trailing positions: P-Tuning v1 prepends virtual tokens to the output."""
    diffs = []
    for x, y in zip(a, b, strict=True):
        n = min(x.shape[0], y.shape[0])
        diffs.append(float((x[-n:] - y[-n:]).abs().max()))
    return max(diffs)


def tolerance_for(dtype: str, reference: list[torch.Tensor]) -> float:
    absolute, relative = TOLERANCES[dtype]
    scale = max(float(t.abs().max()) for t in reference)
    return absolute + relative * scale


def judge(
    export: list[torch.Tensor],
    reference: list[torch.Tensor],
    base: list[torch.Tensor] | None,
    samples: Samples,
    dtype: str,
) -> Verification:
    """Compare logits; the verdict says why it failed in words a user can act on."""
    tol = tolerance_for(dtype, reference)
    # The training's effect is measured in fp32 on both sides, whatever the export dtype.
    effect_tol = tolerance_for("fp32", reference)
    diff = max_abs_diff(export, reference)
    effect = max_abs_diff(reference, base) if base is not None else None
    vs_base = max_abs_diff(export, base) if base is not None else None
    record = Verification(
        passed=True,
        max_abs_logit_diff=diff,
        tolerance=tol,
        max_abs_diff_vs_base=vs_base,
        training_effect=effect,
        samples=len(samples.ids),
        samples_source=samples.source,
        sample_texts=samples.texts,
        dtype=dtype,
    )
    if diff > tol:
        record.passed = False
        if vs_base is not None and vs_base <= tol:
            record.reason = (
                f"the export equals the untouched base model (max |Δlogit| vs base {vs_base:.3g}) but the "
                f"trained model differs from it by {effect:.3g}: the merge did not happen"
            )
        else:
            record.reason = (
                f"max |Δlogit| {diff:.3g} vs the training-time model exceeds the tolerance {tol:.3g}"
            )
    elif effect is not None and effect <= effect_tol:
        record.passed = False
        record.reason = (
            f"the trained weights change nothing measurable vs the base model (max |Δlogit| {effect:.3g} "
            f"<= {effect_tol:.3g}): the adapter or trained tensors are empty (all zeros?)"
        )
    elif vs_base is not None and vs_base < diff:
        # A faithful export is at most `diff` from the trained model, so at least effect - diff from
        # the base; being nearer the base means the merge is missing, or the training's change is
        # smaller than this dtype's rounding (then the export cannot carry it anyway).
        record.passed = False
        record.reason = (
            f"the export is closer to the base model (max |Δlogit| {vs_base:.3g}) than to the trained model "
            f"({diff:.3g}): the merge did not happen, or the training's effect ({effect:.3g}) is below "
            f"{dtype} rounding — export in fp32"
        )
    return record


def raise_if_failed(record: Verification) -> None:
    if not record.passed:
        error = VerificationError(
            f"Export verification failed: {record.reason}",
            "Nothing was written to the target. Check that the checkpoint is the one you trained "
            "(not step 0), and export again; if it persists, export in fp32 and report the numbers.",
        )
        error.record = record.as_dict()  # type: ignore[attr-defined]
        raise error
