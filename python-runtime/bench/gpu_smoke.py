"""GPU smoke check of the torch engine (run by hand on a CUDA machine; CI has no GPU).

    PYTHONPATH=python-runtime python3 python-runtime/bench/gpu_smoke.py [OUT_DIR]

Trains the tiny test models on CUDA with each precision/method that behaves differently on a
GPU (bf16 and fp16 autocast, half-precision frozen base, P-Tuning v2 under gradient
checkpointing) and prints the final loss and the measured GPU memory of each run.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

from helpers.trainer_fixtures import (  # noqa: E402
    base_args,
    metric_losses,
    read_events,
    tiny_model_dir,
    write_data,
)

from tunedesk.train import main as train  # noqa: E402

CASES = [
    ("lora-bf16", "llama", ["--train_type", "lora", "--bf16", "--learning_rate", "5e-2"]),
    ("lora-fp16", "llama", ["--train_type", "lora", "--fp16", "--learning_rate", "5e-2"]),
    (
        "ptuning2-gc-bf16",
        "glm",
        ["--train_type", "ptuning", "--bf16", "--gradient_checkpointing", "--learning_rate", "5e-2"],
    ),
    (
        "freeze-fp32",
        "llama",
        ["--train_type", "freeze", "--trainable_layers", "1", "--learning_rate", "2e-2"],
    ),
    ("all-bf16", "llama", ["--train_type", "all", "--bf16", "--learning_rate", "5e-3"]),
]


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()
    root = tempfile.mkdtemp()
    models = {
        "llama": tiny_model_dir(os.path.join(root, "llama")),
        "glm": tiny_model_dir(os.path.join(root, "glm"), "glm"),
    }
    data = write_data(os.path.join(root, "data.jsonl"))
    summary = {}
    for name, family, extra in CASES:
        run_dir = os.path.join(root, name)
        code = train(base_args(models[family], data, run_dir, "--max_steps", "20", *extra))
        events = read_events(run_dir)
        last = [e for e in events if e["type"] == "metrics"][-1]["values"] if code == 0 else {}
        losses = metric_losses(events)
        summary[name] = {
            "exit": code,
            "device": events[0].get("device"),
            "first_loss": losses[0] if losses else None,
            "last_loss": losses[-1] if losses else None,
            "finished": events[-1],
            "mem": {k: v for k, v in last.items() if k.startswith("mem")},
        }
        print(
            name,
            json.dumps(summary[name]["mem"]),
            summary[name]["first_loss"],
            "->",
            summary[name]["last_loss"],
            "exit",
            code,
            flush=True,
        )
    with open(os.path.join(out, "gpu_smoke.json"), "w") as handle:
        json.dump(summary, handle, indent=1)
    return 0 if all(s["exit"] == 0 for s in summary.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
