"""Does torch.compile of the decoder layers pay on this machine? (issue 14: kept only if measured)

The trainer's own step, eager against compiled, side by side in one process: the benchmark's
Qwen2-shaped model and data (bench_data.py), TuneDesk's packed rows, lean norms and MLPs,
chunked loss, bf16 autocast and fused AdamW, full training. Each decoder layer is compiled
(``layer.compile``, dynamic shapes: packed rows come in a few widths). Reports the compile time
(the first pass over every row width) and the steady step time after it, over the same batches.

    python python-runtime/bench/bench_compile.py [--hidden 256 --layers 4 --samples 48 --threads 1]
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def batches_of(model_dir: str, data: str, batch: int):
    from bench_trainer import encoded

    from tunedesk.packing import make_batch

    tokenizer, features = encoded(model_dir, data)
    return [
        make_batch(features[i : i + batch], tokenizer.pad_token_id, 512, with_targets=True)
        for i in range(0, len(features) - batch + 1, batch)
    ]


def one_step(model, head, optimizer, batch) -> float:
    import torch

    from tunedesk.loss import micro_loss_sum

    learned = int(batch["learned_targets"].numel())
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = micro_loss_sum(model, head, batch, learned) / learned
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return float(loss.detach())


def timed_epochs(model, batches, epochs: int) -> tuple[float, list[float], list[float]]:
    """(first epoch s, later epochs' s, losses of the first epoch)"""
    import torch

    from tunedesk.lean_activations import install_lean_mlps, install_lean_norms
    from tunedesk.loss import chunked_head

    install_lean_norms(model, "qwen2")
    install_lean_mlps(model, "qwen2")
    head = chunked_head(model, "qwen2", "all")
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-4, betas=(0.9, 0.95), fused=True)
    model.train()
    times, losses = [], []
    for epoch in range(epochs):
        start = time.perf_counter()
        for batch in batches:
            loss = one_step(model, head, optimizer, batch)
            if epoch == 0:
                losses.append(loss)
        times.append(time.perf_counter() - start)
    return times[0], times[1:], losses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--samples", type=int, default=48)
    parser.add_argument("--epochs", type=int, default=3, help="the first includes compiling")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    import torch
    from bench_data import build_model_dir, write_records
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="tunedesk-compile-"))
    data = write_records(work / "data.jsonl", args.samples)
    model_dir, params = build_model_dir(work / "model", data, args.hidden, args.layers, None)
    batches = batches_of(model_dir, str(data), 8)
    widths = sorted({b["input_ids"].shape[1] for b in batches})
    print(f"{params / 1e6:.1f}M parameters, {len(batches)} steps a pass, row widths {widths}", flush=True)
    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    results = {}
    for name in ("eager", "compiled", "eager again"):
        torch.manual_seed(0)
        model = copy.deepcopy(base)
        if name == "compiled":
            for layer in model.model.layers:
                layer.compile(dynamic=True)
        first, later, losses = timed_epochs(model, batches, args.epochs)
        steady = min(later) if later else first
        results[name] = (first, steady, losses)
        print(
            f"{name:12s} first pass {first:6.1f} s, steady pass {steady:6.2f} s ({steady / len(batches) * 1000:.0f} ms/step), "
            f"losses {losses[0]:.4f} -> {losses[-1]:.4f}",
            flush=True,
        )
    eager = min(results["eager"][1], results["eager again"][1])
    compiled = results["compiled"]
    gap = max(abs(a - b) / abs(a) for a, b in zip(results["eager"][2], compiled[2]))
    print(
        f"\ncompiled steady speed vs eager: {eager / compiled[1]:.2f}x; compile cost "
        f"{compiled[0] - eager:.1f} s (first pass minus an eager pass); largest step-loss gap {gap:.2%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
