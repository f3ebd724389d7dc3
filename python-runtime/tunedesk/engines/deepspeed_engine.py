"""The DeepSpeed engine: ZeRO-2/3 (optionally offloaded) on CUDA GPUs, one process per GPU.

Same interface as TorchEngine. Under ZeRO-3 the model is created already partitioned:
transformers' HfDeepSpeedConfig must exist BEFORE from_pretrained so that it loads inside
deepspeed.zero.Init instead of materialising a full copy on every GPU.
"""

from __future__ import annotations

import contextlib
import os

import torch

from tunedesk.config import TrainConfig
from tunedesk.engines.ds_config import load_ds_config, zero_stage
from tunedesk.engines.schedule import lr_factor, warmup_steps_for
from tunedesk.errors import DependencyError

DS_STATE = "deepspeed"  # checkpoint sub-folder holding the ZeRO shards (model + optimizer state)
DS_TAG = "state"


class DeepSpeedEngine:
    name = "deepspeed"

    def __init__(self, config: TrainConfig):
        try:
            import deepspeed
        except ImportError as exc:
            raise DependencyError(
                f"deepspeed does not import: {exc}",
                "pip install -r python-runtime/requirements-deepspeed.txt",
            ) from exc
        self._ds = deepspeed
        self.config = config
        local_rank = int(os.environ.get("LOCAL_RANK", max(config.local_rank, 0)))
        torch.cuda.set_device(local_rank)
        self.device = torch.device("cuda", local_rank)
        deepspeed.init_distributed()
        self.rank = torch.distributed.get_rank()
        self.world_size = torch.distributed.get_world_size()
        self.is_main = self.rank == 0
        self.ds_config = load_ds_config(config, self.world_size)
        self.stage = zero_stage(self.ds_config)
        # Every rank must name the temporary checkpoint folder alike: use rank 0's pid.
        token = [str(os.getpid())]
        torch.distributed.broadcast_object_list(token, src=0)
        self.tmp_token = token[0]
        self.engine = None
        self._hf_ds_config = None

    def before_model_load(self) -> None:
        if self.stage == 3:
            from transformers.integrations import HfDeepSpeedConfig

            # Keep a reference: transformers consults it (weakly) during from_pretrained.
            self._hf_ds_config = HfDeepSpeedConfig(self.ds_config)

    def load_dtype(self) -> torch.dtype:
        if self.config.bf16:
            return torch.bfloat16
        if self.config.fp16:
            return torch.float16
        return torch.float32

    def prepare(self, model, total_steps: int):
        warmup = warmup_steps_for(total_steps, self.config.warmup_ratio)
        params = [p for p in model.parameters() if p.requires_grad]
        self.engine, _, _, _ = self._ds.initialize(
            model=model,
            model_parameters=params,
            config=self.ds_config,
            lr_scheduler=lambda optimizer: torch.optim.lr_scheduler.LambdaLR(
                optimizer, lambda step: lr_factor(step, warmup, total_steps)
            ),
        )
        return self.engine

    def unwrap(self, model):
        return getattr(model, "module", model)

    def autocast(self):
        return contextlib.nullcontext()  # DeepSpeed casts the model itself for bf16/fp16

    def global_count(self, count: int) -> int:
        """Learned tokens of the optimizer step summed over ranks (gradients are averaged over
        ranks, so the loop scales by world_size / this to get the global token mean)."""
        total = torch.tensor([count], dtype=torch.long, device=self.device)
        torch.distributed.all_reduce(total)
        return int(total.item())

    def backward(self, loss: torch.Tensor, boundary: bool = True) -> None:
        # The loop divides by the step's learned tokens itself (train_loop), so DeepSpeed must
        # neither rescale by the accumulation steps nor count micro-steps on its own.
        self.engine.set_gradient_accumulation_boundary(boundary)
        self.engine.backward(loss, scale_wrt_gas=False)

    def step(self):
        self.engine.step()
        norm = self.engine.get_global_grad_norm()
        return None if norm is None else torch.as_tensor(float(norm))

    def discard_gradients(self) -> None:
        self.engine.zero_grad()

    @property
    def lr(self) -> float:
        return float(self.engine.get_lr()[0])

    def consolidated_state_dict(self, model):
        """ZeRO-3: gather the 16-bit weights onto rank 0 (collective). ZeRO-2 keeps full weights."""
        if self.stage == 3:
            return self.engine._zero3_consolidated_16bit_state_dict()
        return None

    def save_state(self, out_dir: str) -> None:
        """ZeRO shards of optimizer (and model) state, from every rank, plus scheduler.pt on rank 0."""
        self.engine.save_checkpoint(
            os.path.join(out_dir, DS_STATE), tag=DS_TAG, save_latest=False, exclude_frozen_parameters=True
        )
        if self.is_main:
            torch.save(
                {"scheduler": self.engine.lr_scheduler.state_dict()}, os.path.join(out_dir, "scheduler.pt")
            )

    def load_state(self, checkpoint_dir: str) -> None:
        self.engine.load_checkpoint(
            os.path.join(checkpoint_dir, DS_STATE),
            tag=DS_TAG,
            load_module_strict=False,
            load_optimizer_states=True,
            load_lr_scheduler_states=True,
        )

    def barrier(self) -> None:
        torch.distributed.barrier()


def consolidate_fp32(checkpoint_dir: str) -> dict[str, torch.Tensor]:
    """Full fp32 weights from a checkpoint's ZeRO shards (zero_to_fp32), e.g. for export on one machine."""
    try:
        from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint
    except ImportError as exc:
        raise DependencyError(
            f"deepspeed is needed to consolidate ZeRO shards: {exc}",
            "pip install -r python-runtime/requirements-deepspeed.txt",
        ) from exc
    return get_fp32_state_dict_from_zero_checkpoint(os.path.join(checkpoint_dir, DS_STATE), tag=DS_TAG)
