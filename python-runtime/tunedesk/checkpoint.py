"""Checkpoints, format v1 (python-runtime/README.md): written whole under a temporary name,
manifest.json (with every file's size) last, and only then renamed into place.

Complete = manifest present and every file it lists there with its size (checkpoint_publish).
A crash (even kill -9) at any moment leaves the newest complete checkpoint in place; leftovers
(``.tmp-step-*``) are never offered for resume or export.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tunedesk.checkpoint_publish import (  # noqa: F401 - complete_checkpoints, prune_checkpoints: public here
    FORMAT,
    VERSION,
    complete_checkpoints,
    file_op,
    fsync_dir,
    list_files,
    manifest_problem,
    prune_checkpoints,
    publish,
    recover_interrupted_saves,
    remove_tree,
)

if TYPE_CHECKING:
    from tunedesk.engines.protocol import Engine

CHECKPOINTS = "checkpoints"
# Test hook only: seconds to sleep after the weights are written and before the manifest, so a
# test can kill the trainer in the middle of a save. Never set in normal use.
TEST_HOOK_SAVE_SLEEP = "TUNEDESK_TEST_HOOK_SLEEP_BEFORE_MANIFEST_S"


def checkpoint_name(step: int) -> str:
    return f"step-{step:06d}"


def _fsync_file(path: str) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_tree(path: str) -> None:
    """Make every file (and the folders) durable before the rename publishes them.

    The files are flushed concurrently: fsync releases the GIL and the file system commits
    concurrent flushes together, so a checkpoint of a dozen files waits for about one flush
    instead of a dozen in a row (most of a small checkpoint's time was spent here).
    """
    from concurrent.futures import ThreadPoolExecutor

    files, folders = [], []
    for root, _dirs, names in os.walk(path):
        files += [os.path.join(root, name) for name in names]
        folders.append(root)
    with ThreadPoolExecutor(max_workers=min(16, max(1, len(files)))) as pool:
        list(pool.map(_fsync_file, files))  # list(): re-raises the first error
    for folder in reversed(folders):  # children before their parent
        fsync_dir(folder)


def _write_json(path: str, data: Any) -> None:
    """A plain write, for files inside a checkpoint's temporary folder: the folder's fsync and rename
    make them durable and visible all at once."""
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")


def write_json_atomic(path: str, data: Any) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def capture_rng() -> dict[str, Any]:
    """RNG state as tensors/ints only, so torch.load(weights_only=True) can read it back."""
    import numpy as np
    import torch

    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "python": list(random.getstate()[1]),
        "python_version": random.getstate()[0],
        "python_gauss": random.getstate()[2],
        "numpy_keys": torch.from_numpy(np_state[1].astype("int64")),
        "numpy_pos": int(np_state[2]),
        "numpy_has_gauss": int(np_state[3]),
        "numpy_gauss": float(np_state[4]),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    import numpy as np
    import torch

    random.setstate((state["python_version"], tuple(state["python"]), state["python_gauss"]))
    keys = state["numpy_keys"].numpy().astype("uint32")
    np.random.set_state(("MT19937", keys, state["numpy_pos"], state["numpy_has_gauss"], state["numpy_gauss"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@dataclass
class SaveRequest:
    """Everything one checkpoint records besides the model and engine."""

    step: int
    epoch: float
    method: str
    ptuning_version: int | None
    engine: str
    base_model: str
    weights: str  # adapter | trainable | full
    loss: float | None
    run_id: str
    trainer_state: dict[str, Any]
    run_config: dict[str, Any]


def _save_adapter_without_card(model, path: str, state_dict: dict | None) -> None:
    """peft's own save (config with inference_mode, embeddings, base model name), minus its model card.

    peft renders a Hugging Face README from a jinja template it compiles on every save: about 60%
    of a LoRA checkpoint's time (40 of 60 ms on the bench model), for a file no one reads inside a
    checkpoint. Exports write their own README.
    """
    model.create_or_update_model_card = lambda *_args, **_kwargs: None
    try:
        model.save_pretrained(path, state_dict=state_dict)
    finally:
        del model.create_or_update_model_card


def write_weights(model, weights: str, out_dir: str, state_dict: dict | None = None) -> None:
    """adapter/ (peft format), trainable.safetensors (Freeze) or model/ (full HF directory)."""
    from safetensors.torch import save_file

    if weights == "adapter":
        _save_adapter_without_card(model, os.path.join(out_dir, "adapter"), state_dict)
    elif weights == "trainable":
        source = state_dict if state_dict is not None else model.state_dict()
        trainable = {name for name, param in model.named_parameters() if param.requires_grad}
        tensors = {
            name: tensor.detach().cpu().contiguous() for name, tensor in source.items() if name in trainable
        }
        save_file(tensors, os.path.join(out_dir, "trainable.safetensors"), metadata={"format": "pt"})
    elif weights == "full":
        model.save_pretrained(os.path.join(out_dir, "model"), state_dict=state_dict)
    else:
        raise ValueError(f"unknown weights kind {weights!r}")


def save_checkpoint(run_dir: str, request: SaveRequest, model, engine: Engine, tokenizer) -> str | None:
    """Write checkpoints/step-NNNNNN/ and return its path relative to run_dir (None on non-main ranks).

    Every rank must call this (DeepSpeed gathers partitioned weights and optimizer state collectively).
    The whole checkpoint, manifest.json last, is written in a temporary folder and only then
    published under its name (checkpoint_publish: a complete checkpoint is never removed first).
    """
    root = os.path.join(run_dir, CHECKPOINTS)
    name = checkpoint_name(request.step)
    tmp = os.path.join(root, f".tmp-{name}-{engine.tmp_token}")
    try:
        return _save(root, name, tmp, request, model, engine, tokenizer)
    except Exception as exc:
        from tunedesk.failure_explain import estimate_checkpoint_bytes, write_failure

        if engine.is_main:
            with contextlib.suppress(OSError):
                remove_tree(tmp)  # give back what the failed save wrote (a full disk first of all)
        complete = complete_checkpoints(run_dir)

        def needed() -> int:  # the last checkpoint's size says best what the next one needs
            if complete:
                return sum(manifest_problem(complete[-1])[0]["files"].values())
            return estimate_checkpoint_bytes(engine.unwrap(model), request.weights)

        explained = write_failure(exc, root, f"checkpoint {name}", needed)
        if explained is not None:
            raise explained from exc
        raise


def _save(root: str, name: str, tmp: str, request: SaveRequest, model, engine: Engine, tokenizer) -> str | None:
    import torch

    final = os.path.join(root, name)
    if engine.is_main:
        os.makedirs(root, exist_ok=True)
        recover_interrupted_saves(root)
        if os.path.lexists(tmp):
            remove_tree(tmp)
        file_op("create the temporary folder")
        os.makedirs(tmp)
    engine.barrier()
    state_dict = engine.consolidated_state_dict(model)  # collective under ZeRO-3, None otherwise
    if engine.is_main:
        file_op("write optimizer and scheduler state")
    engine.save_state(tmp)  # optimizer + scheduler (all ranks under DeepSpeed)
    if engine.is_main:
        file_op("write weights")
        write_weights(engine.unwrap(model), request.weights, tmp, state_dict)
        file_op("write tokenizer")
        tokenizer.save_pretrained(os.path.join(tmp, "tokenizer"))
        file_op("write rng state")
        torch.save(capture_rng(), os.path.join(tmp, "rng_state.pt"))
        file_op("write trainer state")
        _write_json(os.path.join(tmp, "trainer_state.json"), request.trainer_state)
        file_op("write run config")
        _write_json(os.path.join(tmp, "run_config.json"), request.run_config)
    engine.barrier()
    if not engine.is_main:
        return None
    sleep = float(os.environ.get(TEST_HOOK_SAVE_SLEEP, "0") or 0)
    if sleep > 0:
        time.sleep(sleep)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "step": request.step,
        "epoch": request.epoch,
        "method": request.method,
        "ptuning_version": request.ptuning_version,
        "engine": request.engine,
        "base_model": os.path.abspath(request.base_model),
        "weights": request.weights,
        "loss": request.loss,
        "run_id": request.run_id,
        "created": round(time.time(), 3),
        "files": list_files(tmp),  # complete = every one of these there with this size
    }
    file_op("write manifest.json")
    _write_json(os.path.join(tmp, "manifest.json"), manifest)  # LAST file: marks the folder complete
    file_op("flush the temporary folder to disk")
    _fsync_tree(tmp)
    publish(tmp, final)
    fsync_dir(root)
    return f"{CHECKPOINTS}/{name}"


def read_manifest(checkpoint_dir: str) -> dict[str, Any]:
    """The manifest of a complete checkpoint; a clear ConfigError for anything else."""
    from tunedesk.errors import ConfigError

    manifest, problem = manifest_problem(checkpoint_dir)
    if problem is None and manifest is not None:
        return manifest
    if manifest is None and os.path.isfile(os.path.join(checkpoint_dir, "manifest.json")):
        raise ConfigError(
            f"{os.path.join(checkpoint_dir, 'manifest.json')}: {problem}",
            "Resume from a checkpoint written by this trainer.",
        )
    raise ConfigError(
        f"{checkpoint_dir}: incomplete checkpoint ({problem})",
        "Resume from a complete checkpoint of the run (the app lists them).",
    )


def restore_weights(model, checkpoint_dir: str, weights: str) -> None:
    """Load adapter or trainable tensors into an already-prepared model (same method and settings)."""
    from safetensors.torch import load_file

    from tunedesk.errors import ConfigError

    if weights == "adapter":
        from peft import set_peft_model_state_dict

        tensors = load_file(os.path.join(checkpoint_dir, "adapter", "adapter_model.safetensors"))
        result = set_peft_model_state_dict(model, tensors)
        unexpected = getattr(result, "unexpected_keys", [])
        if unexpected:
            raise ConfigError(
                f"{checkpoint_dir}: adapter does not fit this model ({len(unexpected)} unexpected tensors)",
                "Resume with the same model, method and method settings as the checkpoint's run_config.json.",
            )
    elif weights == "trainable":
        tensors = load_file(os.path.join(checkpoint_dir, "trainable.safetensors"))
        own = dict(model.named_parameters())
        unknown = [name for name in tensors if name not in own]
        if unknown:
            raise ConfigError(
                f"{checkpoint_dir}: trainable.safetensors has tensors this model lacks, e.g. {unknown[0]}",
                "Resume with the same base model as the checkpoint.",
            )
        import torch

        with torch.no_grad():
            for name, tensor in tensors.items():
                own[name].copy_(tensor)
    # "full": the model itself was loaded from checkpoint_dir/model (see train.py)
