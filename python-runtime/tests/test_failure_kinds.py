"""Full disk and out of memory end as disk_full / oom with where, how much and what to lower.

The classifier is fed the real exceptions (a real ENOSPC from /dev/full, torch's real CPU
allocator failure, the texts safetensors and torch's zip writer produce on a full disk); the
runs are the real trainer on a tiny model, with the save or the forward pass made to fail.
"""

from __future__ import annotations

import errno
import os
import shutil

import pytest
import torch
from helpers.trainer_fixtures import base_args, read_events, tiny_model_dir, write_data
from safetensors import SafetensorError

from tunedesk import checkpoint as checkpoint_module
from tunedesk import train as train_module
from tunedesk.checkpoint_publish import complete_checkpoints
from tunedesk.errors import classify

SAFETENSORS_FULL = "Error while serializing: I/O error: No space left on device (os error 28)"
TORCH_SHORT_WRITE = "[enforce fail at inline_container.cc:626] . unexpected pos 4480 vs 4374"
CUDA_OOM = (
    "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.10 GiB of which "
    "1.06 GiB is free. Of the allocated memory 75.3 GiB is allocated by PyTorch"
)


def real_cpu_oom() -> RuntimeError:
    try:
        torch.empty(2**44)  # 64 TiB of float32: the allocator refuses at once
    except RuntimeError as exc:
        return exc
    raise AssertionError("the allocator accepted 64 TiB")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_enospc_anywhere_in_the_chain_is_disk_full():
    try:
        try:
            with open("/dev/full", "w") as handle:
                handle.write("x" * 4096)
        except OSError as inner:
            raise RuntimeError("saving the optimizer failed") from inner
    except RuntimeError as exc:
        classified = classify(exc)
    assert classified.kind == "disk_full" and "No space left on device" in classified.message


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (SafetensorError(SAFETENSORS_FULL), "disk_full"),
        (RuntimeError(TORCH_SHORT_WRITE), "disk_full"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "disk_full"),
        (real_cpu_oom(), "oom"),
        (torch.OutOfMemoryError(CUDA_OOM), "oom"),
        (MemoryError(), "oom"),
        (RuntimeError("mat1 and mat2 shapes cannot be multiplied"), "runtime"),
    ],
    ids=["safetensors", "torch-short-write", "quota", "cpu-allocator", "cuda", "memoryerror", "other"],
)
def test_the_real_texts_are_classified(exc, kind):
    assert classify(exc).kind == kind


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    root = tmp_path_factory.mktemp("failures")
    return {
        "llama": tiny_model_dir(str(root / "llama")),
        "data": write_data(str(root / "data.jsonl"), repeat=2),
    }


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def run(assets, out, *extra):
    argv = base_args(
        assets["llama"], assets["data"], str(out), "--train_type", "lora", "--max_steps", "4", *extra
    )
    code = train_module.main([*argv, "--save_model_step", "2"])
    finished = read_events(str(out))[-1]
    assert code == 1 and finished["type"] == "run_finished" and finished["status"] == "failed"
    return finished["error"]


def fail_second_save(monkeypatch, owner, name, exc, calls_per_save=1):
    """Make owner.name raise exc in the second checkpoint save (the first one is written whole)."""
    real, calls = getattr(owner, name), []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) > calls_per_save:
            raise exc
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing)


def assert_disk_full_at_the_second_save(error, out):
    folder = os.path.join(str(out), "checkpoints")
    assert error["kind"] == "disk_full", error
    assert f"checkpoint step-000004 in {folder} needs about" in error["message"]
    assert "Free space on the disk holding" in error["hint"]
    # The complete checkpoint of step 2 is untouched; the failed save's temporary folder is gone.
    assert [os.path.basename(p) for p in complete_checkpoints(str(out))] == ["step-000002"]
    assert not [n for n in os.listdir(folder) if n.startswith(".")]


def test_safetensors_full_disk_during_a_checkpoint(assets, tmp_path, monkeypatch):
    fail_second_save(monkeypatch, checkpoint_module, "write_weights", SafetensorError(SAFETENSORS_FULL))
    error = run(assets, tmp_path / "run")
    assert_disk_full_at_the_second_save(error, tmp_path / "run")
    assert "os error 28" in error["message"]


def test_torch_short_write_during_a_checkpoint(assets, tmp_path, monkeypatch):
    fail_second_save(
        monkeypatch, torch, "save", RuntimeError(TORCH_SHORT_WRITE), calls_per_save=3
    )  # optimizer, scheduler, rng
    error = run(assets, tmp_path / "run")
    assert_disk_full_at_the_second_save(error, tmp_path / "run")
    assert "unexpected pos" in error["message"]


def test_any_write_failure_checks_the_free_space(assets, tmp_path, monkeypatch):
    # An error that says nothing about space (EIO) while the disk has less free than a checkpoint needs.
    fail_second_save(
        monkeypatch, checkpoint_module, "write_weights", OSError(errno.EIO, "Input/output error")
    )
    usage = shutil.disk_usage(str(tmp_path))
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: usage._replace(free=1000))
    error = run(assets, tmp_path / "run")
    assert_disk_full_at_the_second_save(error, tmp_path / "run")
    assert "1000 B is free" in error["message"]


def test_a_write_failure_with_room_to_spare_stays_what_it_was(assets, tmp_path, monkeypatch):
    fail_second_save(
        monkeypatch, checkpoint_module, "write_weights", OSError(errno.EIO, "Input/output error")
    )
    error = run(assets, tmp_path / "run")
    assert error["kind"] == "runtime" and "Input/output error" in error["message"]


@pytest.mark.parametrize("which", ["cpu", "cuda"])
def test_out_of_memory_names_what_to_lower_with_the_estimate_and_peak(assets, tmp_path, monkeypatch, which):
    from transformers.models.llama import modeling_llama

    # The decoder, not LlamaForCausalLM.forward: the chunked loss runs the decoder and the head itself.
    real, calls = modeling_llama.LlamaModel.forward, []

    def forward(self, *args, **kwargs):
        calls.append(1)
        if len(calls) >= 3:  # two steps train, the third runs out of memory
            if which == "cpu":
                torch.empty(2**44)  # the real DefaultCPUAllocator failure
            raise torch.OutOfMemoryError(CUDA_OOM)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(modeling_llama.LlamaModel, "forward", forward)
    error = run(assets, tmp_path / "run")
    assert error["kind"] == "oom", error
    expected = "can't allocate memory" if which == "cpu" else "CUDA out of memory"
    assert expected in error["message"]
    assert "micro-batch 8, max_len 64, gradient checkpointing off" in error["message"]
    hint = error["hint"]
    assert "Lower --per_device_train_batch_size (now 8" in hint and "lower --max_len (now 64)" in hint
    assert "turn gradient checkpointing on" in hint
    assert "Estimate for these settings: about" in hint and "activations" in hint and "logits" in hint
    assert "measured RAM peak before the failure" in hint
