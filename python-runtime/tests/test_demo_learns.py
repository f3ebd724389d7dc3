"""The demo visibly learns: the real trainer, the demo model and the demo data, on the CPU.

These are the demo preset's settings (full training, 300 steps of 16, lr 3e-3): the loss falls
from ~6.7 (random) to well under 0.5, and greedy answers to the HELD-OUT phrasings of eval.jsonl
come out right. Measured: ~25 s of training on a busy two-core machine, 34/34 right.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

PYTHON_RUNTIME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DEMO_SETTINGS = [
    "--train_type", "all",
    "--learning_rate", "3e-3",
    "--per_device_train_batch_size", "16",
    "--max_steps", "300",
    "--weight_decay", "0",
    "--warmup_ratio", "0.05",
    "--max_len", "64",
    "--max_src_len", "48",
    "--seed", "1234",
]  # fmt: skip


def test_demo_model_learns_the_demo_task(demo_model_dir, demo_train_path, demo_eval_path, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tunedesk.data import generation_prompt, load_records

    run_dir = tmp_path / "run"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tunedesk",
            "train",
            "--train_path",
            demo_train_path,
            "--eval_path",
            demo_eval_path,
            "--model_name_or_path",
            demo_model_dir,
            "--output_dir",
            str(run_dir),
            "--show_loss_step",
            "1",
            "--device",
            "cpu",
            *DEMO_SETTINGS,
        ],  # fmt: skip
        cwd=PYTHON_RUNTIME,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    events = [
        json.loads(line) for line in (run_dir / "events.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    losses = [e["values"]["loss"] for e in events if e["type"] == "metrics"]
    assert events[-1]["type"] == "run_finished" and events[-1]["status"] == "completed"
    assert losses[0] > 5.0, "an untrained model should be near chance (ln vocab ≈ 6.6)"
    assert sum(losses[-10:]) / 10 < 0.5, f"loss fell only from {losses[0]:.2f} to {losses[-1]:.2f}"
    eval_losses = [e["values"]["eval_loss"] for e in events if e["type"] == "eval"]
    assert eval_losses and eval_losses[-1] < 1.0

    checkpoint = run_dir / "checkpoints" / "step-000300"
    model = AutoModelForCausalLM.from_pretrained(checkpoint / "model", use_safetensors=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(checkpoint / "tokenizer")
    records, _ = load_records(demo_eval_path)
    right = []
    for record in records:
        ids = generation_prompt(record.messages[:-1], tokenizer, mode=None, max_src_len=48)
        with torch.no_grad():
            out = model.generate(torch.tensor([ids]), max_new_tokens=8, do_sample=False)
        answer = tokenizer.decode(out[0, len(ids) :], skip_special_tokens=True).strip()
        right.append(answer == record.messages[-1]["content"])
    assert sum(right) / len(right) >= 0.8, f"{sum(right)}/{len(right)} held-out answers right"
