"""Checkpoints, format v1 (python-runtime/README.md): written under a temporary name, renamed,
and only then marked complete by manifest.json — the last file written.

A crash (even kill -9) at any moment leaves either a ``.tmp-step-*`` folder, or a ``step-*``
folder without manifest.json: neither is ever offered for resume or export.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from dataclasses import dataclass
from typing import Any

FORMAT = "tunedesk-checkpoint"
VERSION = 1
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


def fsync_dir(path: str) -> None:
    if os.name != "posix":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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


def save_checkpoint(run_dir: str, request: SaveRequest, model, engine, tokenizer) -> str | None:
    """Write checkpoints/step-NNNNNN/ and return its path relative to run_dir (None on non-main ranks).

    Every rank must call this (DeepSpeed gathers partitioned weights and optimizer state collectively).
    """
    import torch

    root = os.path.join(run_dir, CHECKPOINTS)
    name = checkpoint_name(request.step)
    tmp = os.path.join(root, f".tmp-{name}-{engine.tmp_token}")
    final = os.path.join(root, name)
    if engine.is_main:
        os.makedirs(root, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
    engine.barrier()
    state_dict = engine.consolidated_state_dict(model)  # collective under ZeRO-3, None otherwise
    engine.save_state(tmp)  # optimizer + scheduler (all ranks under DeepSpeed)
    if engine.is_main:
        write_weights(engine.unwrap(model), request.weights, tmp, state_dict)
        tokenizer.save_pretrained(os.path.join(tmp, "tokenizer"))
        torch.save(capture_rng(), os.path.join(tmp, "rng_state.pt"))
        _write_json(os.path.join(tmp, "trainer_state.json"), request.trainer_state)
        _write_json(os.path.join(tmp, "run_config.json"), request.run_config)
    engine.barrier()
    if not engine.is_main:
        return None
    _fsync_tree(tmp)
    if os.path.exists(final):  # saving the same step again (e.g. cancel right after a periodic save)
        shutil.rmtree(final)
    os.replace(tmp, final)
    fsync_dir(root)
    sleep = float(os.environ.get(TEST_HOOK_SAVE_SLEEP, "0") or 0)
    if sleep > 0:
        time.sleep(sleep)
    files = {}
    for folder, _dirs, names in os.walk(final):
        for file_name in names:
            full = os.path.join(folder, file_name)
            files[os.path.relpath(full, final).replace(os.sep, "/")] = os.path.getsize(full)
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
        "files": dict(sorted(files.items())),
    }
    write_json_atomic(os.path.join(final, "manifest.json"), manifest)  # LAST: marks it complete
    fsync_dir(final)
    return f"{CHECKPOINTS}/{name}"


def read_manifest(checkpoint_dir: str) -> dict[str, Any]:
    from tunedesk.errors import ConfigError

    path = os.path.join(checkpoint_dir, "manifest.json")
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{checkpoint_dir}: incomplete checkpoint (no manifest.json)",
            "Resume from a complete checkpoint.",
        ) from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise ConfigError(
            f"{path}: not a TuneDesk checkpoint v{VERSION}",
            "Resume from a checkpoint written by this trainer.",
        )
    return manifest


def complete_checkpoints(run_dir: str) -> list[str]:
    """Complete checkpoint directories (with manifest.json), oldest step first."""
    root = os.path.join(run_dir, CHECKPOINTS)
    if not os.path.isdir(root):
        return []
    names = sorted(
        n
        for n in os.listdir(root)
        if n.startswith("step-") and os.path.isfile(os.path.join(root, n, "manifest.json"))
    )
    return [os.path.join(root, n) for n in names]


def prune_checkpoints(run_dir: str, keep: int, protect: str | None = None) -> list[str]:
    """Delete the oldest complete checkpoints beyond ``keep`` (never ``protect``); return what was removed."""
    complete = complete_checkpoints(run_dir)
    removable = [
        p
        for p in complete[: max(0, len(complete) - keep)]
        if not protect or os.path.abspath(p) != os.path.abspath(protect)
    ]
    for path in removable:
        # Remove the manifest first: a half-deleted folder must not look complete.
        os.remove(os.path.join(path, "manifest.json"))
        shutil.rmtree(path, ignore_errors=True)
    return removable


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
