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
from typing import TYPE_CHECKING, Any

from tunedesk.config import TrainConfig, parse_config, save_run_json
from tunedesk.errors import ConfigError, DataError
from tunedesk.run_output import RunReporter, TrainLog, print_error, refuse_other_run

if TYPE_CHECKING:
    from tunedesk.engines.protocol import Engine
    from tunedesk.loss import HeadParts
    from tunedesk.methods import MethodInfo
    from tunedesk.model_adapter import ModelAdapter
    from tunedesk.signals import StopRequest
    from tunedesk.train_loop import TrainState


@dataclass(kw_only=True)
class Prepared:
    """Everything setup produced, for the loop and the checkpoints."""

    model: Any  # what engine.prepare returned
    tokenizer: Any
    engine: Engine
    engine_reason: str  # why this engine runs, for run_started
    method: MethodInfo
    features: list
    eval_features: list
    steps_per_epoch: int
    total_steps: int
    head: HeadParts | None = None  # the chunked LM-head loss's parts when it runs
    pack_capacity: int | None = None  # packed-row width in tokens, None = padded batches


def set_seed(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def create_engine(config: TrainConfig) -> tuple[Engine, str]:
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
    from tunedesk.data.run_data import load_data
    from tunedesk.methods import apply_method
    from tunedesk.model_adapter import model_adapter
    from tunedesk.model_loading import check_model_dir, load_model, load_tokenizer
    from tunedesk.train_loop import plan_steps

    model_config = check_model_dir(config.model_name_or_path, config.trust_remote_code)
    adapter = model_adapter(config, model_config, reporter)  # ChatGLM-6B's differences, if it is one
    config.mode, mode_note = default_mode(config.mode, config.model_name_or_path)
    if mode_note:
        reporter.log(mode_note)
    trust_remote_code = config.trust_remote_code or adapter.runs_own_code
    engine, reason = create_engine(config)
    if config.ds_file and engine.name == "torch":
        reporter.log(f"ds_file {config.ds_file} is not used: the torch engine runs ({reason})", "warning")
    set_seed(config.seed)
    tokenizer = load_tokenizer(config.model_name_or_path, trust_remote_code)
    features, eval_features = load_data(config, tokenizer, reporter, run_dir)
    steps_per_epoch, total_steps = plan_steps(
        len(features),
        batch_size=config.per_device_train_batch_size,
        accum=config.gradient_accumulation_steps,
        epochs=config.num_train_epochs,
        max_steps=config.max_steps,
        world=engine.world_size,
    )
    weights_dir = config.model_name_or_path
    manifest = read_manifest(config.resume_from) if config.resume_from else None
    if manifest and manifest["weights"] == "full":
        weights_dir = os.path.join(config.resume_from, "model")  # full training resumes from its own weights
    engine.before_model_load()  # ZeRO-3: partition while loading
    auto_class = adapter.auto_class(model_config)
    model = load_model(weights_dir, trust_remote_code, dtype=engine.load_dtype(), auto_class=auto_class)
    model, method = apply_method(model, config, model_config.get("model_type"))
    adapter.after_method(model)
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
        adapter.enable_gradient_checkpointing(model)
    model = engine.prepare(model, total_steps)
    head, capacity = _speed_paths(config, model_config.get("model_type"), adapter, engine, model, features, reporter)
    return Prepared(
        model=model,
        tokenizer=tokenizer,
        engine=engine,
        engine_reason=reason,
        method=method,
        features=features,
        eval_features=eval_features,
        steps_per_epoch=steps_per_epoch,
        total_steps=total_steps,
        head=head,
        pack_capacity=capacity,
    )


def _speed_paths(
    config: TrainConfig,
    model_type: str | None,
    adapter: ModelAdapter,
    engine: Engine,
    model: Any,
    features: list,
    reporter: RunReporter,
) -> tuple[HeadParts | None, int | None]:
    """The chunked LM-head loss (one device) and packed rows, where this model supports them."""
    from tunedesk.loss import chunked_head
    from tunedesk.packing import packing_supported

    use_head = engine.name == "torch" and adapter.chunked_loss
    head = chunked_head(model, model_type, config.train_type) if use_head else None
    if head is not None:  # the plain families the chunked loss runs: keep less for backward
        from tunedesk.lean_activations import install_lean_mlps, install_lean_norms, share_lora_inputs

        install_lean_norms(model, model_type)
        install_lean_mlps(model, model_type)
        if getattr(engine, "amp_dtype", None) is not None:
            share_lora_inputs(model)
    if config.torch_compile:
        from tunedesk.compile_layers import compile_decoder_layers

        reporter.log(compile_decoder_layers(head.decoder if head else None, engine.name)[1])
    capacity = None
    if config.packing and packing_supported(model_type, config.train_type, adapter.legacy):
        capacity = max([config.max_len, *(len(f.input_ids) for f in features)])
    elif config.packing:
        reporter.log(f"packing is off for this model ({model_type}, {config.train_type}): padded batches grouped by length")
    # Not with --torch_compile: dynamo would recompile for every micro-batch's own sample layout.
    # CPU only: measured there (bench:attention); on a GPU each sample's call is a kernel launch of
    # its own, and the masked path stays until bench_gpu.py has compared them.
    cpu = getattr(engine.device, "type", None) == "cpu"
    if capacity and head is not None and not config.torch_compile and cpu:
        from tunedesk.packed_attention import install_packed_attention

        head.segments = install_packed_attention(model, capacity)
        if head.segments:
            reporter.log("attention: one causal call per packed sample (no block-diagonal mask, no repeated keys)")
    return head, capacity


def _check_resume_matches(manifest: dict, config: TrainConfig) -> None:
    if manifest["method"] != config.train_type:
        raise ConfigError(
            f"resume_from: the checkpoint was trained with {manifest['method']}, this run asks for {config.train_type}",
            f"Resume with --train_type {manifest['method']} (or start a new run).",
        )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(arg.startswith("--schema") for arg in argv):  # describe the flags (for the app); train nothing
        from tunedesk.flag_schema import schema_main

        return schema_main(argv)
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
        print_error("config", exc.message, exc.hint)
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
        print_error("config", exc.message, exc.hint)
    return 1


def _method_from(argv: list[str]) -> str:
    from tunedesk.events import METHODS

    for index, arg in enumerate(argv[:-1]):
        if arg == "--train_type" and argv[index + 1] in METHODS:
            return argv[index + 1]
    return "lora"  # the original scripts' default train_type


def _run(config: TrainConfig, reporter: RunReporter, run_dir: str) -> str:
    """The recipe: listen for a stop, set up, resume, announce, train, evaluate, save, finish."""
    from tunedesk.memory import MemoryMeter
    from tunedesk.saver import Saver, resume_state
    from tunedesk.train_loop import Cancelled, LoopContext, TrainState, evaluate, run_loop

    stop = _listen_for_stop(run_dir, reporter)
    prep = setup(config, reporter, run_dir)
    engine = prep.engine
    state = resume_state(config.resume_from, engine) if config.resume_from else TrainState()
    _announce(config, reporter, prep, state)
    saver = Saver(
        run_dir=run_dir,
        config=config,
        reporter=reporter,
        model=prep.model,
        engine=engine,
        tokenizer=prep.tokenizer,
        weights=prep.method.weights,
        steps_per_epoch=prep.steps_per_epoch,
        total_steps=prep.total_steps,
    )
    ctx = LoopContext(
        config=config,
        model=prep.model,
        engine=engine,
        features=prep.features,
        eval_features=prep.eval_features,
        pad_id=prep.tokenizer.pad_token_id,
        steps_per_epoch=prep.steps_per_epoch,
        total_steps=prep.total_steps,
        reporter=reporter,
        stop=stop,
        meter=MemoryMeter(engine.device.type),
        save=saver.save,
        head=prep.head,
        pack_capacity=prep.pack_capacity,
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
            **_timing(began, saver.seconds, reporter, state),
        )
        return "cancelled"
    finally:
        stop.uninstall()
    if prep.eval_features:
        reporter.emit("eval", step=state.step, values={"eval_loss": evaluate(ctx)})
    if not saver.has_saved(state.step):
        saver.save(state)
    reporter.finish(
        "completed",
        step=state.step,
        final_loss=state.last_loss,
        **_timing(began, saver.seconds, reporter, state),
    )
    return "completed"


def _listen_for_stop(run_dir: str, reporter: RunReporter) -> StopRequest:
    """STOP file, SIGTERM and SIGINT end the loop at a step boundary (signals.py)."""
    from tunedesk.signals import StopRequest

    stop = StopRequest(run_dir)
    if os.path.exists(stop.stop_file):  # left from an earlier stop: this new session was asked to run
        os.remove(stop.stop_file)
        reporter.log("removed a STOP file left from an earlier session", "warning")
    return stop.install()


def _announce(config: TrainConfig, reporter: RunReporter, prep: Prepared, state: TrainState) -> None:
    """run_started (what runs, on what, from which step), then the logs setup held back."""
    reporter.start(
        method=config.train_type,
        engine=prep.engine.name,
        engine_reason=prep.engine_reason,
        device=str(prep.engine.device),
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


def _timing(began: float, checkpoint_seconds: float, reporter: RunReporter, state: TrainState) -> dict[str, Any]:
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
