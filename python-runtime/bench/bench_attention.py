"""Packed rows: transformers' block-diagonal masked SDPA against one causal call per sample.

The benchmark's Qwen2-shaped model (grouped-query attention) and data, TuneDesk's training
forward (lean norms and MLPs, chunked loss, bf16 autocast), the same packed micro-batches
through both attentions, each side in its own process with AdamW steps: the time of a pass,
the process's peak RSS, the bytes kept for backward by one micro-batch, and the loss and
gradient agreement. Rows of 512 tokens (the trainer benchmark), 1024 and 2048 (long samples,
where the mask and the repeated keys grow with the square).

    npm run bench:attention [-- --hidden 256 --layers 4 --samples 96]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def training_model(model_dir: str, per_sample: bool, capacity: int):
    import torch
    from transformers import AutoModelForCausalLM

    from tunedesk.lean_activations import install_lean_mlps, install_lean_norms
    from tunedesk.loss import chunked_head
    from tunedesk.packed_attention import install_packed_attention

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    install_lean_norms(model, "qwen2")
    install_lean_mlps(model, "qwen2")
    head = chunked_head(model, "qwen2", "all")
    if per_sample:
        head.segments = install_packed_attention(model, capacity)
        assert head.segments
    return model.train(), head


def kept_for_backward(model, head, batch) -> tuple[int, object]:
    import torch

    from tunedesk.lean_activations import kept_for_backward
    from tunedesk.loss import micro_loss_sum

    with kept_for_backward() as kept:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = micro_loss_sum(model, head, batch, int(batch["learned_targets"].numel()))
    model.zero_grad()
    loss.backward()
    grads = torch.cat([p.grad.flatten() for p in model.parameters()])
    return kept(), (float(loss.detach()), grads)


def timed_pass(model, head, batches) -> float:
    import torch

    from tunedesk.loss import micro_loss_sum

    start = time.perf_counter()
    for batch in batches:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = micro_loss_sum(model, head, batch, int(batch["learned_targets"].numel()))
        loss.backward()
    return time.perf_counter() - start


def side(args) -> int:
    """One side in its own process (its peak RSS is its own): passes over the batches, with AdamW."""
    import resource

    import torch
    from bench_trainer import encoded

    from tunedesk.packing import make_batch

    torch.set_num_threads(1)
    tokenizer, features = encoded(args.model, args.data)
    size = args.micro_batch
    batches = [
        make_batch(features[i : i + size], tokenizer.pad_token_id, args.width, with_targets=True)
        for i in range(0, len(features) - size + 1, size)
    ]
    model, head = training_model(args.model, args.side == "per-sample", args.width)
    kept, (loss, grads) = kept_for_backward(model, head, batches[0])
    torch.save(grads, args.grads)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-4, fused=True)
    best = float("inf")
    for _ in range(args.passes):
        start = time.perf_counter()
        for batch in batches:
            timed = timed_pass(model, head, [batch])
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            del timed
        best = min(best, time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    shape = "x".join(str(n) for n in batches[0]["input_ids"].shape)
    print("ATTENTION_RESULT " + json.dumps({"pass_s": best, "kept": kept, "loss": loss, "peak_gb": peak, "shape": shape}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--samples", type=int, default=96)
    parser.add_argument("--passes", type=int, default=2, help="passes per side and run; the best counts")
    parser.add_argument("--repeat", type=int, default=2, help="alternating runs per side; the best counts")
    for hidden in ("--side", "--model", "--data", "--grads"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    parser.add_argument("--width", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--micro-batch", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        return side(args)
    import torch
    from bench_data import build_model_dir, write_records

    work = Path(tempfile.mkdtemp(prefix="tunedesk-attention-"))
    data = write_records(work / "data.jsonl", args.samples)
    model_dir, params = build_model_dir(work / "model", data, args.hidden, args.layers, None)
    print(
        f"{params / 1e6:.1f}M parameters, hidden {args.hidden} x {args.layers} layers, {args.samples} samples, "
        f"one thread, each side its own process; best of {args.repeat} runs x {args.passes} passes"
    )
    print("| row width | micro-batch | attention | pass s | peak RSS GB | kept for backward MB | vs masked |")
    print("|---|---|---|---|---|---|---|")
    for width, micro_batch in ((512, 8), (1024, 16), (2048, 24)):
        runs: dict[str, list[dict]] = {"masked": [], "per-sample": []}
        for attempt in range(args.repeat):
            for name in runs if attempt % 2 == 0 else reversed(list(runs)):
                command = [
                    sys.executable, __file__, "--side", name, "--model", model_dir, "--data", str(data),
                    "--grads", str(work / f"{name}-{width}.pt"), "--width", str(width),
                    "--micro-batch", str(micro_batch), "--passes", str(args.passes),
                ]  # fmt: skip
                env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
                done = subprocess.run(command, capture_output=True, text=True, env=env)
                lines = [line for line in done.stdout.splitlines() if line.startswith("ATTENTION_RESULT ")]
                if done.returncode != 0 or not lines:
                    sys.stderr.write(done.stdout[-2000:] + done.stderr[-2000:])
                    raise SystemExit(f"the {name} side failed at width {width}")
                runs[name].append(json.loads(lines[-1].split(" ", 1)[1]))
        best = {name: min(r["pass_s"] for r in rs) for name, rs in runs.items()}
        peak = {name: min(r["peak_gb"] for r in rs) for name, rs in runs.items()}
        ours, theirs = runs["per-sample"][0], runs["masked"][0]
        grads = torch.load(work / f"per-sample-{width}.pt"), torch.load(work / f"masked-{width}.pt")
        grad_gap = float((grads[0] - grads[1]).norm() / grads[1].norm())
        loss_gap = abs(ours["loss"] - theirs["loss"]) / abs(theirs["loss"])
        for name, rs in runs.items():
            ratio = "" if name == "masked" else (
                f"{best['masked'] / best[name]:.2f}x speed, {peak[name] / peak['masked']:.2f}x peak RSS "
                f"(loss gap {loss_gap:.1e}, gradient gap {grad_gap:.1e}, bf16)"
            )
            each = ", ".join(f"{r['peak_gb']:.2f}" for r in rs)
            print(
                f"| {width} | {rs[0]['shape']} | {name} | {best[name]:.2f} | {peak[name]:.2f} ({each}) "
                f"| {rs[0]['kept'] / 2**20:.1f} | {ratio} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
