"""Measure peak GPU memory and tokens/s of every method with the real trainer, on a GPU.

Not a test: run it on a CUDA machine to refresh resources/calibration/*.json, the measurements
the estimator is checked against (tests/unit/estimator-gpu-calibration.test.ts).

    python python-runtime/bench/gpu_calibration.py --out resources/calibration/h100-qwen05b.json

It builds a ~0.5B-parameter Qwen2-shaped model from a config (random bf16 weights: memory and
speed do not depend on the values), writes long synthetic samples so that every sequence is
exactly max_len tokens, and runs `python -m tunedesk train` for a few steps per setting. The
peaks come from the trainer's own metrics events (torch.cuda.max_memory_allocated/reserved), so
what is measured is what users get. Results are written after every setting, so a run cut short
still leaves what it measured.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Qwen2.5-0.5B's shape: small enough to measure many settings in minutes, large enough that
# model states, activations and the 152k-vocabulary logits all show up in the peak.
MODEL_SHAPE = {
    "architectures": ["Qwen2ForCausalLM"],
    "model_type": "qwen2",
    "hidden_size": 896,
    "intermediate_size": 4864,
    "num_hidden_layers": 24,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
    "vocab_size": 151936,
    "max_position_embeddings": 32768,
    "rms_norm_eps": 1e-6,
    "rope_theta": 1000000.0,
    "tie_word_embeddings": True,
}

DEVICE = "cuda"  # the scratch self-check sets "cpu" to try the script without a GPU

METHODS = {
    "lora": ["--train_type", "lora", "--lora_dim", "16", "--lora_alpha", "64"],
    "freeze": ["--train_type", "freeze", "--trainable_layers", "4"],
    "ptuning": ["--train_type", "ptuning", "--pre_seq_len", "16", "--prefix_projection", "true"],
    "all": ["--train_type", "all"],
}


def build_model(root: Path) -> tuple[Path, int]:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    demo = root / "demo"
    subprocess.run([sys.executable, "-m", "tunedesk", "demo-model", "--out", str(demo)], check=True)
    model_dir = root / "qwen05b"
    config = AutoConfig.for_model(**MODEL_SHAPE)
    tok_config = json.loads((demo / "config.json").read_text())
    for key in ("bos_token_id", "eos_token_id", "pad_token_id"):
        if key in tok_config:
            setattr(config, key, tok_config[key])
    torch.manual_seed(0)
    with torch.device(DEVICE):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(model_dir, safe_serialization=True)
    for item in demo.iterdir():
        if item.name.startswith(("tokenizer", "special_tokens", "chat_template")):
            shutil.copy(item, model_dir / item.name)
    params = sum(p.numel() for p in model.parameters())
    del model
    torch.cuda.empty_cache()
    return model_dir, params


def write_data(path: Path, samples: int = 32) -> None:
    rng = random.Random(0)
    words = ["alpha", "beta", "gamma", "delta", "模型", "训练", "显存", "token", "layer", "rotary"]
    with path.open("w", encoding="utf-8") as fh:
        for _ in range(samples):
            text = " ".join(rng.choice(words) for _ in range(3000))
            answer = " ".join(rng.choice(words) for _ in range(200))
            fh.write(json.dumps({"instruction": "Summarise:", "input": text, "output": answer}) + "\n")


def run_setting(model_dir: Path, data: Path, work: Path, method: str, seq: int, checkpointing: bool) -> dict:
    run_dir = work / f"{method}-{seq}-{int(checkpointing)}"
    argv = [
        sys.executable, "-m", "tunedesk", "train",
        "--model_name_or_path", str(model_dir), "--train_path", str(data), "--output_dir", str(run_dir),
        "--max_len", str(seq), "--max_src_len", str(seq - 64),
        "--per_device_train_batch_size", "1", "--gradient_accumulation_steps", "1",
        "--max_steps", "5", "--show_loss_step", "1", "--save_model_step", "100000",
        "--learning_rate", "1e-5", "--bf16", "true", "--device", DEVICE,
        "--gradient_checkpointing", "true" if checkpointing else "false",
        *METHODS[method],
    ]  # fmt: skip
    started = time.time()
    proc = subprocess.run(argv, capture_output=True, text=True)
    events = []
    events_file = run_dir / "events.jsonl"
    if events_file.exists():
        events = [json.loads(line) for line in events_file.read_text().splitlines() if line.strip()]
    metrics = [e["values"] for e in events if e["type"] == "metrics"]
    started_event = next((e for e in events if e["type"] == "run_started"), {})
    finished = next((e for e in events if e["type"] == "run_finished"), {})
    steady = metrics[1:] or metrics  # the first step includes CUDA/cuBLAS warm-up
    speeds = sorted(m.get("tokens_per_s") or 0 for m in steady)
    result = {
        "method": method,
        "seq_len": seq,
        "gradient_checkpointing": checkpointing,
        "status": finished.get("status", f"no run_finished (exit {proc.returncode})"),
        "error": finished.get("error"),
        "trainable_params": started_event.get("trainable_params"),
        "peak_allocated_gb": max((m.get("mem_peak_gb") or 0 for m in metrics), default=None),
        "peak_reserved_gb": max((m.get("mem_peak_reserved_gb") or 0 for m in metrics), default=None),
        "tokens_per_s_median": speeds[len(speeds) // 2] if speeds else None,
        "wall_s": round(time.time() - started, 1),
    }
    if result["status"] != "completed":
        result["log_tail"] = (proc.stdout + proc.stderr)[-1500:]
    shutil.rmtree(run_dir, ignore_errors=True)  # full-training checkpoints are gigabytes
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--seq", default="512,2048")
    parser.add_argument("--methods", default="lora,freeze,ptuning,all")
    args = parser.parse_args()

    import torch

    if not torch.cuda.is_available():
        print("no CUDA device: this measurement needs a GPU", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tunedesk-calib-"))
    model_dir, params = build_model(work)
    data = work / "long.jsonl"
    write_data(data)
    report = {
        "device": torch.cuda.get_device_name(0),
        "device_total_gb": round(torch.cuda.get_device_properties(0).total_memory / 2**30, 2),
        "torch": torch.__version__,
        "engine": "torch",
        "dtype": "bf16 autocast (frozen base weights bf16; full training keeps fp32 master weights)",
        "micro_batch": 1,
        "model": {**MODEL_SHAPE, "parameters": params},
        "measurements": [],
    }
    for seq in (int(s) for s in args.seq.split(",")):
        for method in args.methods.split(","):
            for checkpointing in (True, False):
                result = run_setting(model_dir, data, work, method, seq, checkpointing)
                print(json.dumps(result), flush=True)
                report["measurements"].append(result)
                out.write_text(json.dumps(report, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
