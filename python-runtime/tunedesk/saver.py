"""The recipe's checkpoints: write one at a step (and prune the oldest), read one back on resume.

``Saver`` is what the training loop calls; the checkpoint format itself (temporary folder,
manifest last, atomic publish) lives in checkpoint.py and checkpoint_publish.py.
"""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING, Any

from tunedesk.checkpoint import SaveRequest, prune_checkpoints, restore_rng, save_checkpoint
from tunedesk.config import TrainConfig
from tunedesk.engines.protocol import Engine
from tunedesk.run_output import RunReporter

if TYPE_CHECKING:
    from tunedesk.train_loop import TrainState


class Saver:
    """Writes checkpoints/step-NNNNNN for the loop, announces them, keeps --save_total_limit.

    Every rank calls save() (DeepSpeed writes collectively); only the main rank gets a path back.
    ``seconds`` is the time spent saving, for the run's overhead timing.
    """

    def __init__(
        self,
        *,
        run_dir: str,
        config: TrainConfig,
        reporter: RunReporter,
        model: Any,
        engine: Engine,
        tokenizer: Any,
        weights: str,
        steps_per_epoch: int,
        total_steps: int,
    ):
        self.run_dir = run_dir
        self.config = config
        self.reporter = reporter
        self.model = model
        self.engine = engine
        self.tokenizer = tokenizer
        self.weights = weights
        self.steps_per_epoch = steps_per_epoch
        self.total_steps = total_steps
        self.seconds = 0.0
        self.saved_steps: list[int] = []

    def has_saved(self, step: int) -> bool:
        return step in self.saved_steps

    def save(self, state: TrainState) -> None:
        """A complete checkpoint at state.step (checkpoint_saved on the main rank), then pruning."""
        began = time.perf_counter()
        path = save_checkpoint(self.run_dir, self._request(state), self.model, self.engine, self.tokenizer)
        if path:
            self.saved_steps.append(state.step)
            self.reporter.emit("checkpoint_saved", step=state.step, path=path)
            if self.config.save_total_limit:
                prune_checkpoints(
                    self.run_dir, self.config.save_total_limit, protect=os.path.join(self.run_dir, path)
                )
        self.seconds += time.perf_counter() - began

    def _request(self, state: TrainState) -> SaveRequest:
        config = self.config
        return SaveRequest(
            step=state.step,
            epoch=round(state.step / self.steps_per_epoch, 4),
            method=config.train_type,
            ptuning_version=config.ptuning_version if config.train_type == "ptuning" else None,
            engine=self.engine.name,
            base_model=config.model_name_or_path,
            weights=self.weights,
            loss=state.last_loss,
            run_id=self.reporter.run_id,
            run_config=config.to_json(),
            trainer_state=state.to_json(
                self.steps_per_epoch,
                self.total_steps,
                config.per_device_train_batch_size,
                config.gradient_accumulation_steps,
            ),
        )


def resume_state(checkpoint_dir: str, engine: Engine) -> TrainState:
    """Optimizer/scheduler into the engine, the RNGs restored, and where the loop stood."""
    import torch

    from tunedesk.train_loop import TrainState

    engine.load_state(checkpoint_dir)
    with open(os.path.join(checkpoint_dir, "trainer_state.json"), encoding="utf-8") as handle:
        state = TrainState.from_json(json.load(handle))
    restore_rng(torch.load(os.path.join(checkpoint_dir, "rng_state.pt"), weights_only=True))
    return state
