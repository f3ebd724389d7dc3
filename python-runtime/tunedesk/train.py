"""``python -m tunedesk train``: the recipe — setup → train → save → cleanup.

Exit status: 0 when the run completed or was cancelled, 1 when it failed (events.jsonl ends
with run_finished failed and a classified error), 2 when argparse rejects the command line.
"""

from __future__ import annotations

import os
import random
import sys
import time
from dataclasses import dataclass
from typing import Any

from tunedesk.config import TrainConfig, parse_config, save_run_json
from tunedesk.errors import ConfigError, DataError
from tunedesk.run_output import RunReporter, TrainLog, refuse_other_run


@dataclass
class Prepared:
    """Everything setup produced, for the loop and the checkpoints."""

    model: Any
    tokenizer: Any
    engine: Any
    engine_reason: str
    method: Any  # methods.MethodInfo
    features: list
    eval_features: list
    steps_per_epoch: int
    total_steps: int
    head: Any = None  # loss.HeadParts when the chunked LM-head loss runs
    pack_capacity: int | None = None  # packed-row width in tokens, None = padded batches


def set_seed(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_data(config: TrainConfig, tokenizer, reporter: RunReporter, run_dir: str) -> tuple[list, list]:
    """Validate the whole file first (every bad line reported), then encode; split off eval data."""
    from tunedesk.data import encode_records, load_records
    from tunedesk.data.records import bad_line_count

    records, problems = load_records(
        config.train_path, skip_bad=config.skip_bad_lines, drop_empty_output=config.drop_empty_output
    )
    if problems:
        listing = os.path.join(run_dir, "bad_lines.txt")
        with open(listing, "w", encoding="utf-8") as handle:
            handle.writelines(f"{problem}\n" for problem in problems)
        reporter.log(
            f"data: skipped {bad_line_count(problems)} bad line(s) ({len(problems)} problem(s)), "
            "listed in bad_lines.txt",
            "warning",
        )

    empty = [r.line for r in records if r.empty_answer]
    if empty:
        reporter.log(
            f"data: {len(empty)} sample(s) with an empty answer trained (lines {', '.join(map(str, empty[:20]))}"
            f"{' ...' if len(empty) > 20 else ''}); --drop_empty_output leaves them out"
        )
    elif config.drop_empty_output:
        reporter.log("data: samples with an empty answer left out (--drop_empty_output)")

    def encode(recs):
        return encode_records(
            recs,
            tokenizer,
            mode=config.mode,
            max_len=config.max_len,
            max_src_len=config.max_src_len,
            is_skip=config.is_skip,
            skip_bad=config.skip_bad_lines,
        )

    features, stats = encode(records)
    if stats.refused:
        with open(os.path.join(run_dir, "bad_lines.txt"), "a", encoding="utf-8") as handle:
            handle.writelines(f"{problem}\n" for problem in stats.refused)
        reporter.log(
            f"data: skipped {len(stats.refused)} sample(s) the prompt layout cannot take, listed in bad_lines.txt",
            "warning",
        )
    reporter.log(
        f"data: {stats.kept} samples kept of {stats.samples}, {stats.truncated} truncated, "
        f"{stats.skipped} skipped (is_skip), longest {stats.max_tokens} tokens"
    )
    eval_features: list = []
    if config.eval_path:
        eval_records, _ = load_records(
            config.eval_path, skip_bad=config.skip_bad_lines, drop_empty_output=config.drop_empty_output
        )
        eval_features, _ = encode(eval_records)
    elif config.eval_split > 0:
        held = max(1, int(len(features) * config.eval_split))
        eval_features, features = features[-held:], features[:-held]
    if not features:
        raise DataError(
            f"{config.train_path}: no sample left to train on after encoding",
            "Raise --max_len, drop --is_skip, or add data.",
        )
    return features, eval_features


def create_engine(config: TrainConfig):
    from tunedesk.engines import select_engine

    choice = select_engine(config.device)
    if choice.name == "deepspeed":
        from tunedesk.engines.deepspeed_engine import DeepSpeedEngine

        return DeepSpeedEngine(config), choice.reason
    from tunedesk.engines.torch_engine import TorchEngine

    return TorchEngine(config), choice.reason


def setup(config: TrainConfig, reporter: RunReporter, run_dir: str) -> Prepared:
    from tunedesk.checkpoint import read_manifest, restore_weights
    from tunedesk.data.mode_default import default_mode
    from tunedesk.engines.torch_engine import enable_gradient_checkpointing
    from tunedesk.methods import apply_method
    from tunedesk.model_loading import check_model_dir, load_model, load_tokenizer
    from tunedesk.train_loop import plan_steps

    model_config = check_model_dir(config.model_name_or_path, config.trust_remote_code)
    legacy = _legacy_chatglm(config, model_config, reporter)
    config.mode, mode_note = default_mode(config.mode, config.model_name_or_path)
    if mode_note:
        reporter.log(mode_note)
    trust_remote_code = config.trust_remote_code or legacy  # check_model_dir accepted ChatGLM-6B by consent
    engine, reason = create_engine(config)
    if config.ds_file and engine.name == "torch":
        reporter.log(f"ds_file {config.ds_file} is not used: the torch engine runs ({reason})", "warning")
    set_seed(config.seed)
    tokenizer = load_tokenizer(config.model_name_or_path, trust_remote_code)
    features, eval_features = load_data(config, tokenizer, reporter, run_dir)
    steps_per_epoch, total_steps = plan_steps(
        len(features),
        config.per_device_train_batch_size,
        config.gradient_accumulation_steps,
        config.num_train_epochs,
        config.max_steps,
        engine.world_size,
    )
    weights_dir = config.model_name_or_path
    manifest = read_manifest(config.resume_from) if config.resume_from else None
    if manifest and manifest["weights"] == "full":
        weights_dir = os.path.join(config.resume_from, "model")  # full training resumes from its own weights
    engine.before_model_load()  # ZeRO-3: partition while loading
    auto_class = "AutoModelForCausalLM"
    if legacy:
        from tunedesk.chatglm.legacy_run import auto_class_name

        auto_class = auto_class_name(model_config)
    model = load_model(weights_dir, trust_remote_code, dtype=engine.load_dtype(), auto_class=auto_class)
    model, method = apply_method(model, config, model_config.get("model_type"))
    if legacy:
        from tunedesk.chatglm.legacy_run import drop_padding_mask

        drop_padding_mask(model)
    if manifest:
        _check_resume_matches(manifest, config)
        if engine.name == "torch":  # DeepSpeed restores trainable weights from its own shards in load_state
            restore_weights(model, config.resume_from, manifest["weights"])
    if config.gradient_checkpointing is None:  # auto: on where the estimate is tight (memory_plan.py)
        from tunedesk.memory_plan import choose_checkpointing, free_bytes

        tokens = config.per_device_train_batch_size * max(len(f.input_ids) for f in features)
        compute_bytes = 2 if (config.bf16 or config.fp16) else 4
        choice = choose_checkpointing(model, tokens, compute_bytes, engine.device, free_bytes(engine.device))
        config.gradient_checkpointing = choice.on
        reporter.log(choice.reason)
    if config.gradient_checkpointing:
        if legacy:  # transformers 4.33 has no gradient_checkpointing_kwargs (ChatGLM-6B checkpoints reentrantly)
            model.gradient_checkpointing_enable()
            model.enable_input_require_grads()  # reentrant checkpointing needs a grad-carrying input (the originals did this)
            model.config.use_cache = False
        else:
            enable_gradient_checkpointing(model)
    model = engine.prepare(model, total_steps)
    head, capacity = _speed_paths(config, model_config.get("model_type"), legacy, engine, model, features, reporter)
    return Prepared(
        model, tokenizer, engine, reason, method, features, eval_features, steps_per_epoch, total_steps, head, capacity
    )


def _speed_paths(config, model_type, legacy, engine, model, features, reporter):
    """The chunked LM-head loss (one device) and packed rows, where this model supports them."""
    from tunedesk.loss import chunked_head
    from tunedesk.packing import packing_supported

    head = chunked_head(model, model_type, config.train_type) if engine.name == "torch" and not legacy else None
    if head is not None:  # the plain families the chunked loss runs: keep less for backward
        from tunedesk.lean_activations import install_lean_mlps, install_lean_norms, share_lora_inputs

        install_lean_norms(model, model_type)
        install_lean_mlps(model, model_type)
        if getattr(engine, "amp_dtype", None) is not None:
            share_lora_inputs(model)
    capacity = None
    if config.packing and packing_supported(model_type, config.train_type, legacy):
        capacity = max([config.max_len, *(len(f.input_ids) for f in features)])
    elif config.packing:
        reporter.log(f"packing is off for this model ({model_type}, {config.train_type}): padded batches grouped by length")
    return head, capacity


def _legacy_chatglm(config: TrainConfig, model_config: dict, reporter: RunReporter) -> bool:
    """ChatGLM-6B (checked by check_model_dir): refuse settings it cannot run, default --mode glm."""
    from tunedesk.chatglm.legacy_run import check_legacy_settings, is_legacy_chatglm

    if not is_legacy_chatglm(model_config, config.model_name_or_path):
        return False
    for note in check_legacy_settings(config.model_name_or_path, config.train_type, config.mode):
        reporter.log(note, "warning" if "was written for" in note else "info")
    if config.mode is None:
        config.mode = "glm"
        reporter.log("ChatGLM-6B: --mode glm ([gMASK] <sop> layout of the original scripts, its own tokenizer)")
    return True


def _check_resume_matches(manifest: dict, config: TrainConfig) -> None:
    if manifest["method"] != config.train_type:
        raise ConfigError(
            f"resume_from: the checkpoint was trained with {manifest['method']}, this run asks for {config.train_type}",
            f"Resume with --train_type {manifest['method']} (or start a new run).",
        )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        config = parse_config(argv)
        from tunedesk.engines.torch_engine import resolve_precision_default

        resolve_precision_default(config)  # before run.json: it records what really runs
    except ConfigError as exc:
        return _fail_before_run(argv, exc)
    run_dir = os.path.abspath(config.output_dir)
    try:
        refuse_other_run(run_dir, config.resume_from)
    except ConfigError as exc:  # nothing is written into the other run's directory
        print(f"error (config): {exc.message}\nhint: {exc.hint}", file=sys.stderr)
        return 1
    os.makedirs(run_dir, exist_ok=True)
    from tunedesk.engines import select_engine

    is_main = config.local_rank in (-1, 0)
    log = TrainLog(run_dir) if is_main else None
    reporter = RunReporter(run_dir, os.path.basename(run_dir), enabled=is_main)
    placeholder = {
        "method": config.train_type,
        "engine": "none",
        "model": config.model_name_or_path,
        "total_steps": 0,
        "trainable_params": 0,
        "total_params": 0,
        "config": config.to_json(),
    }
    try:
        if is_main:
            save_run_json(config, run_dir)
        status = _run(config, reporter, run_dir)
        return 0 if status in ("completed", "cancelled") else 1
    except BaseException as exc:  # noqa: BLE001 - every failure must end the event stream
        import traceback

        if not isinstance(exc, (ConfigError, DataError)):  # refused config or data: explained below, not debugged
            traceback.print_exc()
        placeholder["engine"] = (
            select_engine(config.device).name if not isinstance(exc, ImportError) else "none"
        )
        from tunedesk.failure_explain import out_of_memory

        reporter.fail(out_of_memory(exc, config) or exc, placeholder)  # oom: what to lower, with numbers
        return 1
    finally:
        reporter.close()
        if log:
            log.close()


def _fail_before_run(argv: list[str], exc: ConfigError) -> int:
    """A configuration that does not validate: still end the run directory's stream when we know it."""
    output_dir = None
    for index, arg in enumerate(argv):
        if arg == "--output_dir" and index + 1 < len(argv):
            output_dir = argv[index + 1]
        elif arg.startswith("--output_dir="):
            output_dir = arg.split("=", 1)[1]
    if output_dir:
        os.makedirs(output_dir, exist_ok=True)
        reporter = RunReporter(output_dir, os.path.basename(os.path.abspath(output_dir)))
        reporter.fail(
            exc,
            {
                "method": _method_from(argv),
                "engine": "none",
                "model": "",
                "total_steps": 0,
                "trainable_params": 0,
                "total_params": 0,
                "config": {"argv": argv},
            },
        )
        reporter.close()
    else:
        print(f"error (config): {exc.message}\nhint: {exc.hint}", file=sys.stderr)
    return 1


def _method_from(argv: list[str]) -> str:
    from tunedesk.events import METHODS

    for index, arg in enumerate(argv[:-1]):
        if arg == "--train_type" and argv[index + 1] in METHODS:
            return argv[index + 1]
    return "lora"  # the original scripts' default train_type


def _run(config: TrainConfig, reporter: RunReporter, run_dir: str) -> str:
    from tunedesk.checkpoint import SaveRequest, prune_checkpoints, restore_rng, save_checkpoint
    from tunedesk.memory import MemoryMeter
    from tunedesk.signals import StopRequest
    from tunedesk.train_loop import Cancelled, LoopContext, TrainState, evaluate, run_loop

    stop = StopRequest(run_dir)
    if os.path.exists(stop.stop_file):  # left from an earlier stop: this new session was asked to run
        os.remove(stop.stop_file)
        reporter.log("removed a STOP file left from an earlier session", "warning")
    stop.install()
    prep = setup(config, reporter, run_dir)
    engine = prep.engine
    state = TrainState()
    if config.resume_from:
        import json

        import torch

        engine.load_state(config.resume_from)
        with open(os.path.join(config.resume_from, "trainer_state.json"), encoding="utf-8") as handle:
            state = TrainState.from_json(json.load(handle))
        restore_rng(torch.load(os.path.join(config.resume_from, "rng_state.pt"), weights_only=True))
    reporter.start(
        method=config.train_type,
        engine=engine.name,
        engine_reason=prep.engine_reason,
        device=str(engine.device),
        model=os.path.abspath(config.model_name_or_path),
        total_steps=prep.total_steps,
        trainable_params=prep.method.trainable_params,
        total_params=prep.method.total_params,
        config=config.to_json(),
        method_detail=prep.method.detail,
        resumed_from=config.resume_from,
        start_step=state.step,
        train_samples=len(prep.features),
        eval_samples=len(prep.eval_features),
    )
    reporter.flush_early_logs()
    checkpoint_seconds = 0.0
    saved_at: list[int] = []

    def save(current: TrainState) -> None:
        nonlocal checkpoint_seconds
        began = time.perf_counter()
        request = SaveRequest(
            step=current.step,
            epoch=round(current.step / prep.steps_per_epoch, 4),
            method=config.train_type,
            ptuning_version=config.ptuning_version if config.train_type == "ptuning" else None,
            engine=engine.name,
            base_model=config.model_name_or_path,
            weights=prep.method.weights,
            loss=current.last_loss,
            run_id=reporter.run_id,
            run_config=config.to_json(),
            trainer_state=current.to_json(
                prep.steps_per_epoch,
                prep.total_steps,
                config.per_device_train_batch_size,
                config.gradient_accumulation_steps,
            ),
        )
        path = save_checkpoint(run_dir, request, prep.model, engine, prep.tokenizer)
        if path:
            saved_at.append(current.step)
            reporter.emit("checkpoint_saved", step=current.step, path=path)
            if config.save_total_limit:
                prune_checkpoints(run_dir, config.save_total_limit, protect=os.path.join(run_dir, path))
        checkpoint_seconds += time.perf_counter() - began

    ctx = LoopContext(
        config,
        prep.model,
        engine,
        prep.features,
        prep.eval_features,
        prep.tokenizer.pad_token_id,
        prep.steps_per_epoch,
        prep.total_steps,
        reporter,
        stop,
        MemoryMeter(engine.device.type),
        save,
        prep.head,
        prep.pack_capacity,
    )
    began = time.perf_counter()
    try:
        state = run_loop(ctx, state)
    except Cancelled as cancelled:
        reporter.log(f"stopped at step {state.step}: {cancelled}")
        reporter.finish(
            "cancelled",
            step=state.step,
            reason=str(cancelled),
            **_timing(began, checkpoint_seconds, reporter, state),
        )
        return "cancelled"
    finally:
        stop.uninstall()
    if prep.eval_features:
        reporter.emit("eval", step=state.step, values={"eval_loss": evaluate(ctx)})
    if state.step not in saved_at:
        save(state)
    reporter.finish(
        "completed",
        step=state.step,
        final_loss=state.last_loss,
        **_timing(began, checkpoint_seconds, reporter, state),
    )
    return "completed"


def _timing(began: float, checkpoint_seconds: float, reporter: RunReporter, state) -> dict[str, Any]:
    """Where the time went, so the overhead budget (events + checkpoints < 1%) can be checked."""
    total = time.perf_counter() - began
    return {
        "timing": {
            "train_s": round(total, 4),
            "checkpoint_s": round(checkpoint_seconds, 4),
            "events_s": round(reporter.event_seconds, 6),
            "tokens": state.tokens_seen,
        }
    }
