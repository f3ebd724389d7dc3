"""`npm run bench:trainer`: TuneDesk against TRL's SFTTrainer and transformers' Trainer + peft.

One epoch over the same generated instruction data (bench_data.py: ~50-500 tokens a sample),
the same Qwen2-shaped model, the same encoded tokens (prompt masked, answer learned), the same
sample order, optimizer (AdamW, betas 0.9/0.95), schedule and batch, for:

  lora       LoRA r8 on q/k/v/o
  full       every weight trains
  lora-150k  LoRA with a 151,936-row vocabulary (the head's cost of a Qwen-sized tokenizer)

and four trainers, each in its own process (its peak RSS is its own), alternating, best of N:

  tunedesk    `tunedesk train` with its defaults (packing, chunked loss, token-weighted)
  trl         TRL SFTTrainer with its defaults (bf16, gradient checkpointing, chunked_nll loss)
  trl-pack    the same with packing=True (bfd: rows of max_length, position ids restart)
  hf          transformers Trainer + peft, padded batches (the plain reference)

Time to the end of the epoch (the training call only, no loading or saving) and peak RSS of the
process, and each side's loss curve: the padded sides see the very same batches, so their step
losses must agree with ours (TRL's packing builds other batches: only its epoch mean compares).

    python python-runtime/bench/bench_trainer.py                # short: a few minutes, 1 thread
    python python-runtime/bench/bench_trainer.py --size full    # the issue's size: 400 samples, hidden 512 x 8
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNTIME = HERE.parent
BATCH, LR, WEIGHT_DECAY, WARMUP, SEED = 8, 2e-4, 0.01, 0.1, 1234
LORA = {"r": 8, "alpha": 16, "targets": ["q_proj", "k_proj", "v_proj", "o_proj"]}
MAX_LEN, MAX_SRC = 512, 256
DEVICE = "cpu"  # bench_gpu.py sets "cuda" (and MAX_LEN) in its side processes
SIZES = {  # samples, hidden, layers
    "smoke": (16, 64, 2),  # a check that every side runs, not a measurement
    "short": (48, 256, 4),
    "full": (400, 512, 8),
}
VARIANTS = {"lora": ("lora", None), "full": ("all", None), "lora-150k": ("lora", 151936)}
SIDES = ("tunedesk", "trl", "trl-pack", "hf")
LABELS = {
    "tunedesk": "TuneDesk (defaults)",
    "trl": "TRL SFTTrainer (defaults)",
    "trl-pack": "TRL SFTTrainer, packing=True",
    "hf": "transformers Trainer + peft",
}


def peak_rss_gb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024**3 if sys.platform == "darwin" else 1024**2)


def encoded(model_dir: str, data: str):
    """Our encoding of the records, in the order of our first epoch (so every side sees the same batches)."""
    from transformers import AutoTokenizer

    from tunedesk.data import encode_records, load_records
    from tunedesk.train_loop import epoch_order

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    records, _ = load_records(data)
    features, _ = encode_records(records, tokenizer, mode=None, max_len=MAX_LEN, max_src_len=MAX_SRC, is_skip=False)
    return tokenizer, [features[i] for i in epoch_order(len(features), 0, SEED)]


def run_tunedesk(model_dir: str, data: str, train_type: str, out: Path, extra: tuple[str, ...] = ()) -> dict:
    from tunedesk.train import main as train

    argv = [
        "--train_path", data, "--model_name_or_path", model_dir, "--output_dir", str(out),
        "--train_type", train_type, "--lora_dim", str(LORA["r"]), "--lora_alpha", str(LORA["alpha"]),
        "--lora_dropout", "0", "--lora_module_name", ",".join(LORA["targets"]),
        "--per_device_train_batch_size", str(BATCH), "--learning_rate", str(LR),
        "--weight_decay", str(WEIGHT_DECAY), "--warmup_ratio", str(WARMUP), "--num_train_epochs", "1",
        "--seed", str(SEED), "--max_len", str(MAX_LEN), "--max_src_len", str(MAX_SRC),
        "--show_loss_step", "1", "--save_model_step", "100000", "--device", DEVICE, *extra,
    ]  # fmt: skip
    assert train(argv) == 0, "our trainer failed; see the run's train.log"
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    timing = events[-1]["timing"]
    metrics = [e["values"] for e in events if e["type"] == "metrics"]
    return {
        "epoch_s": timing["train_s"] - timing["checkpoint_s"],
        "tokens": timing["tokens"],
        "losses": [m["loss"] for m in metrics],
        # The median step of the epoch's second half: warm-up (and a compile) left out.
        "steady_tokens_per_s": sorted(m["tokens_per_s"] for m in metrics[len(metrics) // 2 :])[
            (len(metrics) - len(metrics) // 2) // 2
        ],
        # The peak RSS at the epoch's last step: our final checkpoint save is not part of the
        # epoch (the other sides save nothing), and a full model's save would dominate the peak.
        "train_peak_rss_gb": metrics[-1]["mem_peak_gb"],
    }


def _sequential(trainer_class):
    """The trainer with our sample order (no reshuffle), so batches match ours step for step."""
    import torch

    class Sequential(trainer_class):
        def _get_train_sampler(self, *args, **kwargs):
            return torch.utils.data.SequentialSampler(self.train_dataset)

    return Sequential


def _common_args(steps: int) -> dict:
    return dict(
        per_device_train_batch_size=BATCH, learning_rate=LR, weight_decay=WEIGHT_DECAY,
        warmup_steps=int(WARMUP * steps), num_train_epochs=1, lr_scheduler_type="linear", adam_beta2=0.95,
        max_grad_norm=1.0, logging_steps=1, save_strategy="no", report_to=[], use_cpu=DEVICE == "cpu", seed=SEED,
        dataloader_num_workers=0, disable_tqdm=True,
    )  # fmt: skip


def _peft(model, train_type: str):
    if train_type != "lora":
        return model
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=LORA["r"], lora_alpha=LORA["alpha"], lora_dropout=0.0, target_modules=LORA["targets"], task_type="CAUSAL_LM"
    )
    return get_peft_model(model, config)


def run_hf(model_dir: str, data: str, train_type: str, out: Path) -> dict:
    from transformers import AutoModelForCausalLM, Trainer, TrainingArguments

    from tunedesk.data import collate

    tokenizer, features = encoded(model_dir, data)
    model = _peft(AutoModelForCausalLM.from_pretrained(model_dir), train_type)
    steps = -(-len(features) // BATCH)
    args = TrainingArguments(output_dir=str(out), remove_unused_columns=False, **_common_args(steps))
    trainer = _sequential(Trainer)(
        model=model, args=args, train_dataset=features, data_collator=lambda rows: collate(rows, tokenizer.pad_token_id)
    )
    began = time.perf_counter()
    trainer.train()
    return {
        "epoch_s": time.perf_counter() - began,
        "tokens": sum(len(f.input_ids) for f in features),
        "losses": [log["loss"] for log in trainer.state.log_history if "loss" in log],
    }


def run_trl(model_dir: str, data: str, train_type: str, out: Path, packing: bool) -> dict:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig, SFTTrainer

    tokenizer, features = encoded(model_dir, data)
    rows = {
        "input_ids": [f.input_ids for f in features],
        "completion_mask": [[int(x != -100) for x in f.labels] for f in features],
    }
    dataset = Dataset.from_dict(rows)
    model = _peft(AutoModelForCausalLM.from_pretrained(model_dir), train_type)
    steps = -(-len(features) // BATCH)
    # Only the task is set (completion-only loss on our tokens, max_length); speed and memory
    # settings (bf16, gradient checkpointing, loss_type, padding) stay TRL's defaults.
    args = SFTConfig(
        output_dir=str(out), max_length=MAX_LEN, completion_only_loss=True, packing=packing, **_common_args(steps)
    )
    trainer_class = SFTTrainer if packing else _sequential(SFTTrainer)
    trainer = trainer_class(model=model, args=args, train_dataset=dataset, processing_class=tokenizer)
    began = time.perf_counter()
    trainer.train()
    return {
        "epoch_s": time.perf_counter() - began,
        "tokens": sum(len(f.input_ids) for f in features),
        "losses": [log["loss"] for log in trainer.state.log_history if "loss" in log],
        "settings": {"bf16": args.bf16, "gradient_checkpointing": args.gradient_checkpointing, "loss": args.loss_type},
    }


def side_main(args) -> int:
    import torch

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    if args.side == "tunedesk":
        result = run_tunedesk(args.model, args.data, args.train_type, out)
    elif args.side == "hf":
        result = run_hf(args.model, args.data, args.train_type, out)
    else:
        result = run_trl(args.model, args.data, args.train_type, out, packing=args.side == "trl-pack")
    result["peak_rss_gb"] = result.pop("train_peak_rss_gb", None) or peak_rss_gb()
    print("BENCH_RESULT " + json.dumps(result), flush=True)
    return 0


def spawn(side: str, model: str, data: str, train_type: str, out: Path, threads: int) -> dict:
    command = [
        sys.executable, __file__, "--side", side, "--model", model, "--data", data,
        "--train-type", train_type, "--out", str(out), "--threads", str(threads),
    ]  # fmt: skip
    env = {
        **os.environ,
        "TOKENIZERS_PARALLELISM": "false",
        "PYTHONPATH": str(RUNTIME),
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
    }
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=RUNTIME)
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH_RESULT ")]
    if done.returncode != 0 or not lines:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"the {side} side failed (exit {done.returncode})")
    return json.loads(lines[-1].split(" ", 1)[1])


def curve_gap(ours: list[float], theirs: list[float]) -> float:
    """Largest step-loss difference relative to the loss (same batches, so this should be small)."""
    pairs = list(zip(ours, theirs))
    return max(abs(a - b) / max(abs(b), 1e-9) for a, b in pairs) if pairs else float("nan")


def report(variant: str, results: dict[str, list[dict]]) -> list[str]:
    best = {side: min(runs, key=lambda r: r["epoch_s"]) for side, runs in results.items()}
    trl = best["trl"]
    lines = []
    for side in results:
        row = best[side]
        mean = sum(row["losses"]) / len(row["losses"])
        gap = "" if side in ("tunedesk", "trl-pack") else f"{curve_gap(best['tunedesk']['losses'], row['losses']) * 100:.1f}%"
        lines.append(
            f"| {variant} | {LABELS[side]} | {row['epoch_s']:.1f} | {row['tokens'] / row['epoch_s']:.0f} | "
            f"{row['peak_rss_gb']:.2f} | {trl['epoch_s'] / row['epoch_s']:.2f}x | {row['peak_rss_gb'] / trl['peak_rss_gb']:.2f}x | "
            f"{row['losses'][0]:.3f} → {row['losses'][-1]:.3f} (mean {mean:.3f}) | {gap} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="short")
    parser.add_argument("--repeat", type=int, default=2, help="alternating runs per side; the best counts")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated: " + ", ".join(VARIANTS))
    # One thread: on a shared machine a thread pool spinning against other processes swings step
    # times by 10x. Raise it on a quiet machine.
    parser.add_argument("--threads", type=int, default=1)
    # The slow references (TRL's packing, the plain Trainer) can be left out of a long run.
    parser.add_argument("--sides", default=",".join(SIDES), help="comma-separated, tunedesk and trl included: " + ", ".join(SIDES))
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--train-type", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(RUNTIME))
    if args.side:
        return side_main(args)
    from bench_data import build_model_dir, write_records

    samples, hidden, layers = SIZES[args.size]
    sides = tuple(side for side in SIDES if side in args.sides.split(","))
    if not {"tunedesk", "trl"} <= set(sides) or set(args.sides.split(",")) - set(SIDES):
        parser.error(f"--sides: tunedesk and trl, and any of {', '.join(SIDES)}")
    work = Path(tempfile.mkdtemp(prefix="tunedesk-bench-"))
    table = []
    try:
        data = write_records(work / "data.jsonl", samples)
        load = os.getloadavg()[0]
        print(
            f"{samples} samples (~50-500 tokens), batch {BATCH}, max_len {MAX_LEN}, one epoch; Qwen2-shaped "
            f"hidden {hidden} x {layers} layers; {args.threads} thread(s) per side; best of {args.repeat}; "
            f"load average at start {load:.1f} on {os.cpu_count()} cores",
            flush=True,
        )
        for variant in args.variants.split(","):
            train_type, vocab = VARIANTS[variant]
            model, params = build_model_dir(work / variant, data, hidden, layers, vocab)
            _, features = encoded(model, str(data))
            lengths = sorted(len(f.input_ids) for f in features)
            print(
                f"{variant}: {params / 1e6:.1f}M parameters; sample tokens min {lengths[0]}, median "
                f"{lengths[len(lengths) // 2]}, max {lengths[-1]}",
                flush=True,
            )
            results: dict[str, list[dict]] = {side: [] for side in sides}
            for attempt in range(args.repeat):
                for side in sides if attempt % 2 == 0 else tuple(reversed(sides)):
                    run = spawn(side, model, str(data), train_type, work / f"{variant}-{side}-{attempt}", args.threads)
                    print(f"  {side}: {run['epoch_s']:.1f} s, {run['peak_rss_gb']:.2f} GB", flush=True)
                    results[side].append(run)
            table += report(variant, results)
            print(json.dumps({variant: results}), file=sys.stderr)
        print(f"\nload average at end {os.getloadavg()[0]:.1f}")
        print(
            "\n| variant | trainer | epoch (s) | tokens/s | peak RSS (GB) | speed vs TRL | memory vs TRL "
            "| loss first → last | step-loss gap to ours |\n|---|---|---|---|---|---|---|---|---|"
        )
        print("\n".join(table))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
