"""The torch engine: one device (cuda, mps or cpu), AdamW, warm-up then decay, accumulation,
clipping, bf16/fp16 autocast. The recipe calls backward() per micro-batch and step() per
optimizer step; the engine owns optimizer, scheduler and loss scaler.
"""

from __future__ import annotations

import contextlib
import os

import torch

from tunedesk.config import TrainConfig
from tunedesk.engines.schedule import lr_factor, param_groups, warmup_steps_for
from tunedesk.errors import ConfigError


def resolve_device(requested: str) -> torch.device:
    """auto → cuda, then mps, then cpu. An unavailable explicit device is a ConfigError."""
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"device {requested}: CUDA is not available to torch",
            "Use --device cpu, or run `python -m tunedesk doctor`.",
        )
    if requested == "mps" and not (
        getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
    ):
        raise ConfigError("device mps: not available", "Use --device cpu.")
    return torch.device(requested)


def cpu_threads(available: int | None = None, load: float | None = None) -> int:
    """Torch threads for training on the CPU: no more than the cores that other processes leave free.

    On a busy machine torch's threads wait for each other at every operation, and a small model is
    all small operations: measured on this project's shared 2-core machine at load 14, the demo
    model took 4.3 s a step with 2 threads and 0.18 s with 1. OMP_NUM_THREADS, when set, decides.
    """
    if os.environ.get("OMP_NUM_THREADS"):
        return torch.get_num_threads()
    available = available if available is not None else torch.get_num_threads()
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # Windows has no load average
            return available
    cores = os.cpu_count() or available
    free = int(cores - load + 0.5)
    return max(1, min(available, free))


def autocast_dtype(config: TrainConfig, device: torch.device) -> torch.dtype | None:
    """The mixed-precision dtype for this device, or None; refuses what the device cannot do."""
    if config.fp16:
        if device.type == "cpu":
            raise ConfigError(
                "fp16: not supported on the CPU", "Use --bf16 on the CPU, or no mixed precision."
            )
        return torch.float16
    if config.bf16:
        if device.type == "cuda" and not torch.cuda.is_bf16_supported():
            raise ConfigError("bf16: this GPU does not support bfloat16", "Use --fp16 instead.")
        return torch.bfloat16
    return None


def native_bf16(device: torch.device) -> bool:
    """Whether bf16 matmuls run natively (and so faster than fp32) on this device."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        try:  # oneDNN's check: AVX512-BF16 or AMX (without them bf16 is emulated and slower)
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):
            return False
    return False  # mps: bf16 autocast is not faster there


def resolve_precision_default(config: TrainConfig) -> None:
    """--bf16 unset: on where the device computes bf16 natively, unless fp16 was asked for."""
    if config.bf16 is None:
        config.bf16 = not config.fp16 and native_bf16(resolve_device(config.device))


def build_adamw(groups: list[dict], lr: float) -> torch.optim.AdamW:
    """AdamW with the original scripts' betas/eps. The fused kernel (cpu, cuda, mps) updates all
    tensors in one pass: faster, and without the per-tensor temporaries that raise peak memory."""
    try:
        return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95), eps=1e-8, fused=True)
    except (RuntimeError, TypeError):  # a device or dtype the fused kernel does not cover
        return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95), eps=1e-8)


def enable_gradient_checkpointing(model) -> None:
    """Non-reentrant checkpointing: works with frozen embeddings (LoRA, Freeze, P-Tuning) unchanged."""
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if hasattr(model, "config"):
        model.config.use_cache = False


class TorchEngine:
    name = "torch"
    is_main = True  # a single process is always the main one
    world_size = 1
    rank = 0

    def __init__(self, config: TrainConfig):
        self.config = config
        self.device = resolve_device(config.device)
        if self.device.type == "cpu":
            torch.set_num_threads(cpu_threads())
        self.amp_dtype = autocast_dtype(config, self.device)
        self.optimizer: torch.optim.Optimizer | None = None
        self.scheduler: torch.optim.lr_scheduler.LambdaLR | None = None
        self.scaler = None
        self._params: list[torch.nn.Parameter] = []
        self.tmp_token = str(os.getpid())  # names the temporary checkpoint folder

    def before_model_load(self) -> None:
        """Nothing to arrange before loading on one device (ZeRO-3 partitions while loading)."""

    def load_dtype(self) -> torch.dtype:
        """Frozen base weights may live in the autocast dtype on a GPU (half the memory); full
        training keeps fp32 master weights. Trainable tensors are upcast in prepare()."""
        if self.device.type == "cuda" and self.amp_dtype is not None and self.config.train_type != "all":
            return self.amp_dtype
        return torch.float32

    def prepare(self, model, total_steps: int):
        model.to(self.device)
        for param in model.parameters():
            if param.requires_grad and param.dtype != torch.float32:
                param.data = param.data.float()  # AdamW on half-precision weights loses small updates
        self._params = [p for p in model.parameters() if p.requires_grad]
        groups = param_groups(model.named_parameters(), self.config.weight_decay)
        self.optimizer = build_adamw(groups, self.config.learning_rate)
        warmup = warmup_steps_for(total_steps, self.config.warmup_ratio)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: lr_factor(step, warmup, total_steps)
        )
        if self.amp_dtype == torch.float16:
            self.scaler = torch.amp.GradScaler(self.device.type)
        return model

    def unwrap(self, model):
        """The model itself: one device needs no wrapper (DeepSpeed returns engine.module)."""
        return model

    def autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def global_count(self, count: int) -> int:
        """Learned tokens of the optimizer step over all ranks: one process holds them all."""
        return count

    def backward(self, loss: torch.Tensor, boundary: bool = True) -> None:
        """Accumulate gradients of one micro-batch (``boundary``: last of the step; only DeepSpeed cares)."""
        (self.scaler.scale(loss) if self.scaler else loss).backward()

    def step(self) -> torch.Tensor | None:
        """Clip, step, schedule, zero. Returns the pre-clip gradient norm as a tensor (no sync here)."""
        assert self.optimizer is not None and self.scheduler is not None
        if self.scaler:
            self.scaler.unscale_(self.optimizer)
        norm = None
        if self.config.max_grad_norm > 0:
            norm = torch.nn.utils.clip_grad_norm_(self._params, self.config.max_grad_norm)
        if self.scaler:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return norm

    def discard_gradients(self) -> None:
        assert self.optimizer is not None
        self.optimizer.zero_grad(set_to_none=True)

    @property
    def lr(self) -> float:
        assert self.scheduler is not None
        return float(self.scheduler.get_last_lr()[0])

    def consolidated_state_dict(self, model):
        """The model's own state_dict is complete in one process (ZeRO-3 has to gather it)."""
        return None

    def save_state(self, out_dir: str) -> None:
        """optimizer.pt and scheduler.pt (+ the fp16 loss scaler), loadable with weights_only=True."""
        assert self.optimizer is not None and self.scheduler is not None
        torch.save(self.optimizer.state_dict(), os.path.join(out_dir, "optimizer.pt"))
        scheduler = {"scheduler": self.scheduler.state_dict()}
        if self.scaler:
            scheduler["scaler"] = self.scaler.state_dict()
        torch.save(scheduler, os.path.join(out_dir, "scheduler.pt"))

    def load_state(self, checkpoint_dir: str) -> None:
        assert self.optimizer is not None and self.scheduler is not None
        optimizer = torch.load(
            os.path.join(checkpoint_dir, "optimizer.pt"), map_location=self.device, weights_only=True
        )
        self.optimizer.load_state_dict(optimizer)
        scheduler = torch.load(os.path.join(checkpoint_dir, "scheduler.pt"), weights_only=True)
        self.scheduler.load_state_dict(scheduler["scheduler"])
        if self.scaler and "scaler" in scheduler:
            self.scaler.load_state_dict(scheduler["scaler"])

    def barrier(self) -> None:
        """Nothing to wait for in one process (the DeepSpeed engine synchronises ranks here)."""
