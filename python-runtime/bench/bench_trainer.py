"""`npm run bench:trainer`: our torch engine vs a plain transformers Trainer + peft LoRA.

Same model (a ~25M-parameter Llama built from a config, no download), same tokenizer, same
encoded demo data, same LoRA and optimizer settings, on this machine's CPU. Each side runs in
its own subprocess so its peak resident memory is its own. Prints tokens/s, peak RSS, the
ratios, and the share of our step time spent writing events and checkpoints.

    python python-runtime/bench/bench_trainer.py [--steps 60] [--repeat 2] [--threads 1]
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
DEMO_DATA = RUNTIME.parent / "resources" / "demo" / "train.jsonl"
BATCH, LR, WEIGHT_DECAY, WARMUP, SEED = 8, 2e-4, 0.01, 0.1, 1234
LORA = {"r": 8, "alpha": 16, "dropout": 0.05, "targets": ["q_proj", "k_proj", "v_proj", "o_proj"]}
MAX_LEN, MAX_SRC = 128, 96
SAVE_EVERY = 30  # both sides save at 30 and at the end (60)


def peak_rss_gb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024**3 if sys.platform == "darwin" else 1024**2)


def build_assets(work: Path) -> tuple[str, str]:
    """A ~25M-parameter Llama with the demo tokenizer, and the demo data repeated 4 times."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from tunedesk.demo_model import build_tokenizer, demo_texts

    tokenizer = build_tokenizer(demo_texts(DEMO_DATA.parent), 1024)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=512,
        intermediate_size=1536,
        num_hidden_layers=8,
        num_attention_heads=8,
        num_key_value_heads=8,
        max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(SEED)
    model = LlamaForCausalLM(config)
    model_dir = work / "model"
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    data = work / "data.jsonl"
    lines = DEMO_DATA.read_text(encoding="utf-8").splitlines()
    data.write_text("\n".join(lines * 4) + "\n", encoding="utf-8")
    params = sum(p.numel() for p in model.parameters())
    return str(model_dir), str(data), params


def run_ours(model_dir: str, data: str, steps: int, out: Path) -> dict:
    from tunedesk.train import main as train

    argv = [
        "--train_path",
        data,
        "--model_name_or_path",
        model_dir,
        "--output_dir",
        str(out),
        "--train_type",
        "lora",
        "--lora_dim",
        str(LORA["r"]),
        "--lora_alpha",
        str(LORA["alpha"]),
        "--lora_dropout",
        str(LORA["dropout"]),
        "--lora_module_name",
        ",".join(LORA["targets"]),
        "--per_device_train_batch_size",
        str(BATCH),
        "--learning_rate",
        str(LR),
        "--weight_decay",
        str(WEIGHT_DECAY),
        "--warmup_ratio",
        str(WARMUP),
        "--max_steps",
        str(steps),
        "--seed",
        str(SEED),
        "--max_len",
        str(MAX_LEN),
        "--max_src_len",
        str(MAX_SRC),
        "--show_loss_step",
        "1",
        "--save_model_step",
        str(SAVE_EVERY),
        "--device",
        "cpu",
    ]
    assert train(argv) == 0, "our trainer failed; see the run's train.log"
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    timing = events[-1]["timing"]
    losses = [e["values"]["loss"] for e in events if e["type"] == "metrics"]
    return {
        "tokens_per_s": timing["tokens"] / timing["train_s"],
        "train_s": timing["train_s"],
        "overhead_share": (timing["events_s"] + timing["checkpoint_s"]) / timing["train_s"],
        "events_s": timing["events_s"],
        "checkpoint_s": timing["checkpoint_s"],
        "first_loss": losses[0],
        "last_loss": losses[-1],
        "peak_rss_gb": peak_rss_gb(),
    }


def run_hf(model_dir: str, data: str, steps: int, out: Path) -> dict:
    """The reference: transformers Trainer + peft LoRA, fed the very same encoded samples."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

    from tunedesk.data import collate, encode_records, load_records

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    records, _ = load_records(data)
    features, _ = encode_records(
        records, tokenizer, mode=None, max_len=MAX_LEN, max_src_len=MAX_SRC, is_skip=False
    )
    counted = {"tokens": 0}

    def collator(rows):
        batch = collate(rows, tokenizer.pad_token_id)
        counted["tokens"] += int(batch["attention_mask"].sum())
        return batch

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    model = get_peft_model(
        model,
        LoraConfig(
            r=LORA["r"],
            lora_alpha=LORA["alpha"],
            lora_dropout=LORA["dropout"],
            target_modules=LORA["targets"],
            task_type="CAUSAL_LM",
        ),
    )
    args = TrainingArguments(
        output_dir=str(out),
        per_device_train_batch_size=BATCH,
        learning_rate=LR,
        weight_decay=WEIGHT_DECAY,
        warmup_steps=int(WARMUP * steps),
        max_steps=steps,
        lr_scheduler_type="linear",
        adam_beta2=0.95,
        max_grad_norm=1.0,
        logging_steps=1,
        save_strategy="steps",
        save_steps=SAVE_EVERY,
        report_to=[],
        use_cpu=True,
        seed=SEED,
        dataloader_num_workers=0,
        remove_unused_columns=False,
        disable_tqdm=True,
    )
    trainer = Trainer(model=model, args=args, train_dataset=features, data_collator=collator)
    began = time.perf_counter()
    trainer.train()
    train_s = time.perf_counter() - began
    losses = [log["loss"] for log in trainer.state.log_history if "loss" in log]
    return {
        "tokens_per_s": counted["tokens"] / train_s,
        "train_s": train_s,
        "first_loss": losses[0],
        "last_loss": losses[-1],
        "peak_rss_gb": peak_rss_gb(),
    }


def side_main(args) -> int:
    """One side, in its own process; prints one JSON line."""
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    runner = run_ours if args.side == "ours" else run_hf
    result = runner(args.model, args.data, args.steps, Path(args.out))
    print("BENCH_RESULT " + json.dumps(result), flush=True)
    return 0


def spawn(side: str, model: str, data: str, steps: int, out: Path, threads: int | None) -> dict:
    command = [
        sys.executable,
        __file__,
        "--side",
        side,
        "--model",
        model,
        "--data",
        data,
        "--steps",
        str(steps),
        "--out",
        str(out),
    ] + (["--threads", str(threads)] if threads else [])
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(RUNTIME)}
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=RUNTIME)
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH_RESULT ")]
    if done.returncode != 0 or not lines:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"the {side} side failed (exit {done.returncode})")
    return json.loads(lines[-1].split(" ", 1)[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument(
        "--repeat", type=int, default=2, help="alternate the two sides this many times; best of each"
    )
    # One thread by default: on a shared machine, torch's thread pool spinning against other
    # processes makes step times swing by 10x and the comparison meaningless. Raise it on a quiet one.
    parser.add_argument("--threads", type=int, default=1, help="torch threads per side (default 1)")
    parser.add_argument("--side", choices=("ours", "hf"), help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        return side_main(args)
    sys.path.insert(0, str(RUNTIME))
    work = Path(tempfile.mkdtemp(prefix="tunedesk-bench-"))
    try:
        model, data, params = build_assets(work)
        print(
            f"model: Llama {params / 1e6:.1f}M parameters (hidden 512, 8 layers); LoRA r={LORA['r']} on "
            f"{','.join(LORA['targets'])}; batch {BATCH}; {args.steps} steps; checkpoint every {SAVE_EVERY}; CPU"
        )
        results: dict[str, list[dict]] = {"ours": [], "hf": []}
        for attempt in range(args.repeat):
            for side in ("hf", "ours") if attempt % 2 == 0 else ("ours", "hf"):
                results[side].append(
                    spawn(side, model, data, args.steps, work / f"{side}-{attempt}", args.threads)
                )
        ours = max(results["ours"], key=lambda r: r["tokens_per_s"])
        hf = max(results["hf"], key=lambda r: r["tokens_per_s"])
        print("\n| | tokens/s | peak RSS (GB) | loss first → last |\n|---|---|---|---|")
        print(
            f"| transformers Trainer + peft | {hf['tokens_per_s']:.0f} | {hf['peak_rss_gb']:.2f} | "
            f"{hf['first_loss']:.3f} → {hf['last_loss']:.3f} |"
        )
        print(
            f"| TuneDesk torch engine | {ours['tokens_per_s']:.0f} | {ours['peak_rss_gb']:.2f} | "
            f"{ours['first_loss']:.3f} → {ours['last_loss']:.3f} |"
        )
        print(
            f"| ratio (ours / Trainer) | {ours['tokens_per_s'] / hf['tokens_per_s']:.2f}x | "
            f"{ours['peak_rss_gb'] / hf['peak_rss_gb']:.2f}x | |"
        )
        print(
            f"\nevents + checkpoints: {ours['overhead_share'] * 100:.2f}% of our training time "
            f"(events {ours['events_s'] * 1000:.1f} ms, checkpoints {ours['checkpoint_s'] * 1000:.0f} ms "
            f"of {ours['train_s']:.1f} s)"
        )
        print(json.dumps({"ours": results["ours"], "hf": results["hf"]}))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
