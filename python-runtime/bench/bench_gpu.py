"""GPU benchmark: TuneDesk vs TRL SFTTrainer vs transformers Trainer + peft on a 0.5B Qwen2-shaped model.

Prepared for an NVIDIA GPU (none was at hand when it was written; `--dry-run` checks it on the
CPU with a tiny model). For max_len 512 and 2048 it runs bench_trainer's four sides (one epoch of
the generated ~50-500-token instruction data, scaled to max_len; LoRA r8 q/k/v/o, batch 8) and
TuneDesk once more with --torch_compile (its epoch includes the compile), then profiles one
TuneDesk training step with torch.profiler, and reports tokens/s, peak memory and
MFU (model FLOPs over the GPU's dense bf16 peak).

    python python-runtime/bench/bench_gpu.py --out resources/calibration/h100-trainers.json
    python python-runtime/bench/bench_gpu.py --dry-run          # CPU, tiny model, seconds

Why resources/calibration/h100-qwen05b.json shows 370 ms per step at 512 tokens (LoRA, gradient
checkpointing, 1397 tokens/s), read from the code that measured it (gpu_calibration.py and the
trainer of then): micro-batch 1 of ONE 512-token sample per step, 5 steps, the median of steps
2-5. One step is 6 x 0.494e9 x 512 = 1.5 TFLOP (4/6 of it for LoRA, plus recomputation) -- 1.5 ms
at the H100's ~989 TFLOP/s, so 99.6% of the 370 ms is not math. The same setting at 2048 tokens
took 247 ms per step for 4x the tokens: the cost is per step, not per token. Per step the eager
trainer launches ~3-4 thousand small kernels (24 layers x (norms, rotary, q/k/v/o + LoRA A/B,
SwiGLU) x forward, recomputation and backward, plus clipping and AdamW) each waiting on Python,
and a 5-step run keeps CUDA's lazy kernel loading and allocator growth inside its median. What
fixes it is more tokens per launch: packed rows (this trainer now packs a micro-batch's samples
into max_len rows), a larger micro-batch, and the chunked loss that skips the prompt tokens'
logits. The profile below shows how the step divides between CPU launch time and GPU kernels.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_trainer  # noqa: E402

# The four sides of bench_trainer, and ours with --torch_compile (its epoch includes compiling;
# on a GPU the per-step launch overhead it removes is what the calibration's 370 ms was).
SIDES = (*bench_trainer.SIDES, "tunedesk-compiled")

QWEN05B = {"hidden": 896, "layers": 24, "ffn": 4864, "heads": 14, "kv_heads": 2, "vocab": 151936}
TINY = {"hidden": 64, "layers": 2, "ffn": 128, "heads": 4, "kv_heads": 2, "vocab": 4096}
PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L40S": 362.0, "A10": 125.0}


def build_model(out: Path, data: Path, shape: dict) -> tuple[str, int]:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from tunedesk.demo_model import build_tokenizer

    texts = []
    for line in data.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts += [row["instruction"], row["output"]]
    tokenizer = build_tokenizer(texts, 2048)
    tokenizer.model_max_length = 4096
    config = Qwen2Config(
        vocab_size=shape["vocab"], hidden_size=shape["hidden"], intermediate_size=shape["ffn"],
        num_hidden_layers=shape["layers"], num_attention_heads=shape["heads"], num_key_value_heads=shape["kv_heads"],
        max_position_embeddings=4096, tie_word_embeddings=True, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
    )  # fmt: skip
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(config)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return str(out), sum(p.numel() for p in model.parameters())


def write_scaled_records(path: Path, samples: int, max_len: int) -> Path:
    """bench_data's records with word counts scaled so lengths spread over ~10%-95% of max_len."""
    import bench_data

    bench_data.write_records(path, samples)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    factor = max_len / 512
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            for key in ("instruction", "output"):
                words = row[key].split()
                row[key] = " ".join((words * int(factor + 1))[: max(2, int(len(words) * factor))])
            handle.write(json.dumps(row) + "\n")
    return path


def model_flops_per_token(params: int, shape: dict, seq: int, lora: bool) -> float:
    """Training FLOPs per token: 6N for full training, 4N for LoRA (no weight gradients of the base),
    plus attention's 12 x layers x hidden x seq (forward + backward, causal half counted as full)."""
    weights = (4 if lora else 6) * params
    return weights + 12 * shape["layers"] * shape["hidden"] * seq


def profile_step(model_dir: str, data: str, max_len: int, device: str, out_dir: Path) -> dict:
    """One TuneDesk step (packed rows, chunked loss, bf16 autocast, fused AdamW) under torch.profiler."""
    import torch
    from torch.profiler import ProfilerActivity, profile
    from transformers import AutoModelForCausalLM

    from tunedesk.loss import chunked_head, micro_loss_sum
    from tunedesk.packing import make_batch

    tokenizer, features = bench_trainer.encoded(model_dir, data)
    model = AutoModelForCausalLM.from_pretrained(model_dir).to(device)
    model = bench_trainer._peft(model, "lora")
    parts = chunked_head(model, "qwen2", "lora")
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4, fused=device == "cuda")
    samples = features[: bench_trainer.BATCH]
    batch = make_batch(samples, tokenizer.pad_token_id, max_len, with_targets=True)
    learned = int(batch["learned_targets"].numel())
    batch = {k: v.to(device) for k, v in batch.items()}
    dtype = torch.bfloat16

    def step():
        with torch.autocast(device, dtype=dtype):
            loss = micro_loss_sum(model, parts, batch, learned) / learned
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    for _ in range(3):  # warm-up: lazy kernel loading, allocator growth, optimizer state
        step()
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    sync()
    began = time.perf_counter()
    for _ in range(5):
        step()
    sync()
    step_s = (time.perf_counter() - began) / 5
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device == "cuda" else [])
    with profile(activities=activities) as prof:
        step()
        sync()
    prof.export_chrome_trace(str(out_dir / f"tunedesk-step-{max_len}.json"))
    events = prof.key_averages()
    sort = "cuda_time_total" if device == "cuda" else "cpu_time_total"
    table = events.table(sort_by=sort, row_limit=15)
    kernels = sum(e.count for e in events if device == "cuda" and getattr(e, "device_type", None) is not None and "CUDA" in str(e.device_type))
    gpu_us = sum(getattr(e, "self_device_time_total", 0) for e in events) if device == "cuda" else None
    return {
        "step_s": step_s,
        "tokens": sum(len(f.input_ids) for f in samples),
        "rows": int(batch["input_ids"].shape[0]),
        "kernels": kernels,
        "gpu_busy_share": (gpu_us / 1e6) / step_s if gpu_us else None,
        "top_ops": table,
    }


def side_main(args) -> int:
    bench_trainer.DEVICE = args.device
    bench_trainer.MAX_LEN, bench_trainer.MAX_SRC = args.max_len, args.max_len // 2
    out = Path(args.out)
    if args.side == "tunedesk":
        result = bench_trainer.run_tunedesk(args.model, args.data, "lora", out)
    elif args.side == "tunedesk-compiled":
        result = bench_trainer.run_tunedesk(args.model, args.data, "lora", out, ("--torch_compile",))
    elif args.side == "hf":
        result = bench_trainer.run_hf(args.model, args.data, "lora", out)
    else:
        result = bench_trainer.run_trl(args.model, args.data, "lora", out, packing=args.side == "trl-pack")
    if args.device == "cuda":
        import torch

        result["peak_gpu_gb"] = torch.cuda.max_memory_reserved() / 1024**3
    result["peak_rss_gb"] = result.pop("train_peak_rss_gb", None) or bench_trainer.peak_rss_gb()
    print("BENCH_RESULT " + json.dumps(result), flush=True)
    return 0


def spawn(side: str, model: str, data: str, max_len: int, device: str, out: Path) -> dict:
    import subprocess

    command = [
        sys.executable, __file__, "--side", side, "--model", model, "--data", data,
        "--max-len", str(max_len), "--device", device, "--out", str(out),
    ]  # fmt: skip
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(HERE.parent)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=HERE.parent)
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH_RESULT ")]
    if done.returncode != 0 or not lines:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        return {"error": f"exit {done.returncode}"}
    return json.loads(lines[-1].split(" ", 1)[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="CPU, tiny model, short lengths: checks the script")
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--max-len", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--device", default="cuda", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        return side_main(args)
    import torch

    device = "cpu" if args.dry_run else "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU: run with --dry-run to check the script on the CPU")
    shape = TINY if args.dry_run else QWEN05B
    lengths = (64,) if args.dry_run else (512, 2048)
    samples = 8 if args.dry_run else args.samples
    name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    peak = next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), None)
    work = Path(tempfile.mkdtemp(prefix="tunedesk-gpu-bench-"))
    report: dict = {"device": name, "torch": torch.__version__, "peak_bf16_tflops": peak, "shape": shape, "runs": {}}
    for max_len in lengths:
        data = write_scaled_records(work / f"data-{max_len}.jsonl", samples, max_len)
        model, params = build_model(work / f"model-{max_len}", data, shape)
        report["parameters"] = params
        flops = model_flops_per_token(params, shape, max_len, lora=True)
        rows = {}
        for side in SIDES:
            run = spawn(side, model, str(data), max_len, device, work / f"{side}-{max_len}")
            if "epoch_s" in run:
                run["tokens_per_s"] = run["tokens"] / run["epoch_s"]
                run["mfu"] = run["tokens_per_s"] * flops / (peak * 1e12) if peak else None
                run.pop("losses", None)
            rows[side] = run
            print(f"max_len {max_len} {side}: {json.dumps({k: v for k, v in run.items() if k != 'settings'})}", flush=True)
        bench_trainer.DEVICE, bench_trainer.MAX_LEN, bench_trainer.MAX_SRC = device, max_len, max_len // 2
        profile = profile_step(model, str(data), max_len, device, work)
        print(profile.pop("top_ops"))
        profile["mfu"] = profile["tokens"] * flops / profile["step_s"] / (peak * 1e12) if peak else None
        print(f"max_len {max_len} one TuneDesk step: {json.dumps(profile)}", flush=True)
        report["runs"][str(max_len)] = {"sides": rows, "profile": profile}
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}; traces in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
