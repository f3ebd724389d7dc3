"""What the recipe, the training loop and the checkpoints need from an engine.

TorchEngine (one device) and DeepSpeedEngine (ZeRO-2/3, one process per GPU) both provide it;
neither inherits from it (a typing.Protocol is checked by shape), so a new engine only has to
offer these members.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import torch


class Engine(Protocol):
    name: str  # "torch" or "deepspeed", recorded in run_started and in every manifest
    device: torch.device
    rank: int
    world_size: int
    is_main: bool  # rank 0: writes events, logs and the checkpoint files
    tmp_token: str  # names the temporary checkpoint folder, the same on every rank

    # Setup, in this order: before_model_load, (load with load_dtype), prepare.
    def before_model_load(self) -> None:
        """Arrange what must exist before from_pretrained (ZeRO-3 loads partitioned)."""

    def load_dtype(self) -> torch.dtype:
        """The dtype to load the base weights in."""

    def prepare(self, model: Any, total_steps: int) -> Any:
        """Optimizer and schedule for `total_steps`; returns the model the loop calls."""

    def unwrap(self, model: Any) -> Any:
        """The plain model inside what prepare() returned (for saving its weights)."""

    # One optimizer step: backward per micro-batch, then step.
    def autocast(self) -> AbstractContextManager[Any]:
        """Mixed precision around the forward pass (a no-op where the engine casts itself)."""

    def global_count(self, count: int) -> int:
        """A step's learned tokens summed over all ranks."""

    def backward(self, loss: torch.Tensor, boundary: bool = True) -> None:
        """Accumulate one micro-batch's gradients; `boundary` marks the step's last one."""

    def step(self) -> torch.Tensor | None:
        """Clip, update, schedule and zero; the pre-clip gradient norm when known."""

    def discard_gradients(self) -> None:
        """Drop a partly accumulated step (a stop in the middle of it)."""

    @property
    def lr(self) -> float:
        """The learning rate the next step uses."""

    # Checkpoints (checkpoint.save_checkpoint, saver.resume_state).
    def consolidated_state_dict(self, model: Any) -> dict[str, Any] | None:
        """Full weights gathered for saving, or None when model.state_dict() is already complete."""

    def save_state(self, out_dir: str) -> None:
        """Optimizer and scheduler state into a checkpoint folder (every rank calls it)."""

    def load_state(self, checkpoint_dir: str) -> None:
        """Optimizer and scheduler state back from a checkpoint folder."""

    def barrier(self) -> None:
        """Wait for every rank (nothing to wait for in one process)."""
