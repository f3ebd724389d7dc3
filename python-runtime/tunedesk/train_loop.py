"""The training loop and its data order, engine-agnostic.

Data order is a pure function of (seed, epoch, rank): every epoch is a fresh permutation drawn
from its own generator, so a resumed run sees exactly the batches the uninterrupted run would
have seen, by skipping the step groups the checkpoint says were consumed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from tunedesk.config import TrainConfig
from tunedesk.engines.protocol import Engine
from tunedesk.errors import NonFiniteLossError
from tunedesk.loss import HeadParts, count_learned, micro_loss_sum
from tunedesk.memory import MemoryMeter
from tunedesk.packing import length_grouped, make_batch
from tunedesk.run_output import RunReporter
from tunedesk.signals import StopRequest


def epoch_order(n: int, epoch: int, seed: int, rank: int = 0, world: int = 1) -> list[int]:
    """Sample indices of one epoch for one rank: a seeded permutation, then every world-th sample."""
    generator = torch.Generator().manual_seed(seed + epoch)
    order = torch.randperm(n, generator=generator).tolist()
    return order[rank::world]


def epoch_groups(
    n: int,
    batch_size: int,
    accum: int,
    epoch: int,
    seed: int,
    rank: int = 0,
    world: int = 1,
    lengths: list[int] | None = None,
) -> list[list[list[int]]]:
    """Optimizer-step groups of micro-batches (lists of sample indices). The last group of an epoch
    may hold fewer micro-batches: it still makes a step, so no sample is silently dropped.
    ``lengths`` (padded batches only): micro-batches of similar length, see packing.length_grouped."""
    order = epoch_order(n, epoch, seed, rank, world)
    if lengths is not None:
        micro = length_grouped(order, lengths, batch_size)
    else:
        micro = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return [micro[i : i + accum] for i in range(0, len(micro), accum)]


def plan_steps(
    n: int, batch_size: int, accum: int, epochs: int, max_steps: int | None, world: int = 1
) -> tuple[int, int]:
    """(optimizer steps per epoch, total optimizer steps)."""
    per_rank = math.ceil(n / world)
    steps_per_epoch = max(1, math.ceil(math.ceil(per_rank / batch_size) / accum))
    return steps_per_epoch, (max_steps if max_steps else epochs * steps_per_epoch)


@dataclass
class TrainState:
    """Where training is; saved in trainer_state.json and restored on resume."""

    step: int = 0  # optimizer steps done
    data_epoch: int = 0  # epoch whose groups are being consumed
    groups_done: int = 0  # step groups of data_epoch already consumed
    loss_history: list[list[float]] = field(default_factory=list)  # [step, loss] tail
    last_loss: float | None = None
    tokens_seen: int = 0  # non-padding tokens trained on by this process since it started

    def to_json(self, steps_per_epoch: int, total_steps: int, batch_size: int, accum: int) -> dict[str, Any]:
        return {
            "step": self.step,
            "epoch": round(self.step / steps_per_epoch, 4),
            "total_steps": total_steps,
            "data_position": {
                "epoch": self.data_epoch,
                "step_groups_consumed": self.groups_done,
                "batches_consumed": self.groups_done * accum,
                "batch_size": batch_size,
            },
            "last_loss": self.last_loss,
            "loss_history": self.loss_history[-200:],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainState:
        position = data["data_position"]
        return cls(
            step=data["step"],
            data_epoch=position["epoch"],
            groups_done=position["step_groups_consumed"],
            loss_history=[list(x) for x in data.get("loss_history", [])],
            last_loss=data.get("last_loss"),
        )


class Cancelled(Exception):
    """A stop was requested; the loop ended at a step boundary."""


@dataclass(kw_only=True)
class LoopContext:
    """What one training loop works with; built by name in train._run."""

    config: TrainConfig
    model: Any  # what engine.prepare returned
    engine: Engine
    features: list  # encoded training samples
    eval_features: list  # encoded eval samples (may be empty)
    pad_id: int
    steps_per_epoch: int
    total_steps: int
    reporter: RunReporter
    stop: StopRequest
    meter: MemoryMeter
    save: Callable[[TrainState], None]  # writes a checkpoint at state.step (saver.Saver.save)
    head: HeadParts | None = None  # the chunked loss's parts, None for the model's own loss
    pack_capacity: int | None = None  # tokens per packed row; None = padded, length-grouped batches


def _to_device(batch: dict, device) -> dict:
    # non_blocking lets the host→GPU copy overlap compute; a no-op on the CPU. Non-tensors (the
    # packed rows' layout) stay on the host.
    return {
        key: value.to(device, non_blocking=True) if isinstance(value, torch.Tensor) else value
        for key, value in batch.items()
    }


def evaluate(ctx: LoopContext) -> float:
    """Token-weighted mean loss over the eval set (no dropout, no gradients)."""
    from tunedesk.data import collate

    ctx.model.eval()
    total = torch.zeros((), dtype=torch.float64)
    tokens = 0
    size = ctx.config.per_device_train_batch_size
    with torch.no_grad():
        for i in range(0, len(ctx.eval_features), size):
            batch = collate(ctx.eval_features[i : i + size], ctx.pad_id)
            count = int((batch["labels"][:, 1:] != -100).sum())
            with ctx.engine.autocast():
                loss = ctx.model(**_to_device(batch, ctx.engine.device), use_cache=False).loss
            total += loss.detach().double().cpu() * count
            tokens += count
    ctx.model.train()
    return float(total / max(1, tokens))


def run_loop(ctx: LoopContext, state: TrainState) -> TrainState:
    """Train until total_steps; raises Cancelled (after saving) on a stop request."""
    config, engine, model = ctx.config, ctx.engine, ctx.model
    model.train()
    window = {"loss": 0.0, "steps": 0, "tokens": 0, "samples": 0, "since": time.perf_counter()}
    grad_norm = None
    lengths = None if ctx.pack_capacity else [len(f.input_ids) for f in ctx.features]
    while state.step < ctx.total_steps:
        groups = epoch_groups(
            len(ctx.features),
            batch_size=config.per_device_train_batch_size,
            accum=config.gradient_accumulation_steps,
            epoch=state.data_epoch,
            seed=config.seed,
            rank=engine.rank,
            world=engine.world_size,
            lengths=lengths,
        )
        while state.groups_done < len(groups) and state.step < ctx.total_steps:
            group = groups[state.groups_done]
            step_loss = torch.zeros((), device=engine.device)
            lr = engine.lr
            # The whole step is collated first: its learned-token count (all ranks) divides every
            # micro-batch's summed loss, so each learned token of the step weighs the same.
            batches, learned = [], []
            for micro in group:
                samples = [ctx.features[i] for i in micro]
                batch = make_batch(samples, ctx.pad_id, ctx.pack_capacity, with_targets=ctx.head is not None)
                count = (
                    int(batch["learned_targets"].numel()) if ctx.head is not None else count_learned(batch["labels"])
                )
                batches.append((batch, count, sum(len(f.input_ids) for f in samples), len(micro)))
                learned.append(count)
            scale = engine.world_size / max(1, engine.global_count(sum(learned)))
            for index, (batch, count, tokens, size) in enumerate(batches):
                if ctx.stop.requested():
                    engine.discard_gradients()  # a partial accumulation is dropped; resume redoes it exactly
                    ctx.save(state)
                    raise Cancelled(ctx.stop.reason)
                window["tokens"] += tokens  # counted on the host: no GPU sync
                state.tokens_seen += tokens
                window["samples"] += size
                with engine.autocast():
                    loss = micro_loss_sum(model, ctx.head, _to_device(batch, engine.device), count) * scale
                engine.backward(loss, boundary=index == len(batches) - 1)
                step_loss += loss.detach()
            # One host sync per optimizer step: the NaN guard must see the value before the update.
            value = float(step_loss)  # this rank's tokens over the step's mean count: the mean on one rank
            if not math.isfinite(value):
                raise NonFiniteLossError(
                    f"the loss became {value} at step {state.step + 1} (learning rate {lr:.3g}); the weights were not updated",
                    "Lower --learning_rate, keep --max_grad_norm on, or use bf16 instead of fp16.",
                )
            grad_norm = engine.step()
            state.step += 1
            state.groups_done += 1
            state.last_loss = value
            state.loss_history.append([state.step, round(value, 6)])
            window["loss"] += value
            window["steps"] += 1
            if state.step % config.show_loss_step == 0 or state.step == ctx.total_steps:
                _emit_metrics(ctx, state, window, lr, grad_norm)
            if config.eval_steps and ctx.eval_features and state.step % config.eval_steps == 0:
                ctx.reporter.emit("eval", step=state.step, values={"eval_loss": evaluate(ctx)})
            if (
                config.save_model_step
                and state.step % config.save_model_step == 0
                and state.step < ctx.total_steps
            ):
                ctx.save(state)
        if state.groups_done >= len(groups):
            state.data_epoch += 1
            state.groups_done = 0
    return state


def _emit_metrics(ctx: LoopContext, state: TrainState, window: dict, lr: float, grad_norm) -> None:
    elapsed = max(1e-9, time.perf_counter() - window["since"])
    values = {
        "loss": window["loss"] / max(1, window["steps"]),
        "lr": lr,
        "grad_norm": float(grad_norm) if grad_norm is not None else None,
        "tokens_per_s": round(window["tokens"] * ctx.engine.world_size / elapsed, 2),
        "samples_per_s": round(window["samples"] * ctx.engine.world_size / elapsed, 3),
        **ctx.meter.sample(),
    }
    epoch = round(state.step / ctx.steps_per_epoch, 4)
    if ctx.engine.is_main:
        ctx.reporter.emit("metrics", step=state.step, epoch=epoch, values=values)
        ctx.reporter.console(
            f"step {state.step}/{ctx.total_steps} epoch {epoch:.2f} loss {values['loss']:.4f} lr {lr:.3g} "
            f"tokens/s {values['tokens_per_s']:.0f} mem {values['mem_gb']:.2f} GB"
        )
    window.update(loss=0.0, steps=0, tokens=0, samples=0, since=time.perf_counter())
